/**
 * The flags Node runs Waypost with: `npm start` and the Docker image pass them (the spec beside this
 * file holds both to this list), and the benchmarks and process tests start the built app with them.
 *
 * `--max-semi-space-size=4` (MiB; Node 20's default grows to 16): under any steady load V8 grows its
 * young generation to two semi-spaces of the maximum and keeps them. Capped at 4, the process holds
 * 10,000 instances in about 150 MB right after registering them at full speed instead of about 175;
 * registrations, discovery reads and proxied requests measured no slower (README, Memory).
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];
