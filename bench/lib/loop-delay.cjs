// Preloaded into a profiled process (node -r): samples the event loop's delay and writes the
// percentiles to LOOP_DELAY_FILE when the process is told to stop.
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { writeFileSync } = require('node:fs');

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();
process.on('SIGUSR2', () => {
  const ms = (ns) => Number((ns / 1e6).toFixed(2));
  writeFileSync(
    process.env.LOOP_DELAY_FILE,
    JSON.stringify({
      p50: ms(histogram.percentile(50)),
      p99: ms(histogram.percentile(99)),
      max: ms(histogram.max),
    }),
  );
  histogram.reset();
});
// A script without a SIGTERM handler of its own (the ceiling) would die without writing its
// --cpu-prof profile: exit normally instead.
if (process.env.EXIT_ON_SIGTERM) process.on('SIGTERM', () => process.exit(0));
