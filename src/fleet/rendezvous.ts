/**
 * Rendezvous (highest-random-weight) hashing: each instance goes to the node whose hash with it is
 * highest. Every node computes the same answer from the same member list, and when a node joins
 * or leaves only the instances it wins or held move: about 1/N of them. Pure.
 */
export function checkerOf(instanceId: string, nodes: readonly string[]): string | null {
  let best: string | null = null;
  let bestScore = -1;
  for (const node of nodes) {
    const score = fnv1a(node, instanceId);
    if (score > bestScore || (score === bestScore && best !== null && node < best)) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}

/** FNV-1a over `node \n id`, then a final mix so near-equal ids spread over the whole range. */
function fnv1a(node: string, id: string): number {
  let hash = 0x811c9dc5;
  const feed = (text: string) => {
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
  };
  feed(node);
  feed('\n');
  feed(id);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}
