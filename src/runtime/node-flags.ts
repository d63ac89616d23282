/**
 * The flags Node runs Waypost with: `npm start` and the Docker image pass them (the spec beside this
 * file holds both to this list), and the benchmarks and process tests start the built app with them.
 *
 * `--max-semi-space-size=4` (MiB; Node 20's default grows to 16): under any steady load V8 grows its
 * young generation to two semi-spaces of the maximum and keeps them. Capped at 4, the process holds
 * 10,000 instances in about 150 MB right after registering them at full speed instead of about 175;
 * registrations, discovery reads and proxied requests measured no slower (README, Memory).
 *
 * `--no-memory-reducer`: V8's memory reducer, once it has collected an idle process, holds the old
 * generation's growth to 1.3x per full GC until its heap has grown by 10 MB (or a tenth, if more).
 * A registry that goes quiet and then takes a burst (a fleet redeploying) so ran a full GC every
 * fifth or so of its growth: three inside 45,000 registrations at 3,000/s, where V8's own
 * rate-based growth ran none. The idle heap trim (idle-heap-trim.service.ts) already gives memory
 * back when quiet, which is the reducer's job. Node refuses this flag in NODE_OPTIONS: it goes on
 * the command line.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--no-memory-reducer'];
