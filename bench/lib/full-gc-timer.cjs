// Preloaded into Waypost by `npm run bench:registry` (node --expose-gc -r): on SIGUSR2, times five
// forced full collections and writes their durations and the heap in use to FULL_GC_FILE. A forced
// collection marks and compacts the whole heap at once, so its length is the work each of V8's full
// GCs does, spread or not; that work, not how often it falls inside a 5 s window, is what a leaner
// registry takes down.
const { writeFileSync } = require('node:fs');

process.on('SIGUSR2', () => {
  const ms = [];
  for (let i = 0; i < 5; i++) {
    const start = process.hrtime.bigint();
    global.gc();
    ms.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  writeFileSync(
    process.env.FULL_GC_FILE,
    JSON.stringify({ ms, heapUsedMb: process.memoryUsage().heapUsed / 1048576 }),
  );
});
