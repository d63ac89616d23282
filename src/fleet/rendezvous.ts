import { hash32 } from '../common/hash';

/**
 * Rendezvous (highest-random-weight) hashing: each instance goes to the node whose hash with it is
 * highest. Every node computes the same answer from the same member list, and when a node joins
 * or leaves only the instances it wins or held move: about 1/N of them. Pure.
 */
export function checkerOf(instanceId: string, nodes: readonly string[]): string | null {
  let best: string | null = null;
  let bestScore = -1;
  for (const node of nodes) {
    const score = hash32(`${node}\n${instanceId}`);
    if (score > bestScore || (score === bestScore && best !== null && node < best)) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}
