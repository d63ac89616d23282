// Reading a V8 .cpuprofile: self time by function and by where the code lives.

/** Where a profiled function's code lives. */
function placeOf(url) {
  if (!url) return '(native / GC / idle)';
  if (url.startsWith('node:')) return 'node core';
  if (url.includes('/node_modules/undici/')) return 'undici';
  if (url.includes('/node_modules/@nestjs/')) return 'nest';
  if (url.includes('/node_modules/'))
    return `npm: ${url.split('/node_modules/').pop().split('/')[0]}`;
  if (url.includes('/dist/')) return 'waypost';
  return url;
}

export function summarize(profile) {
  const interval = {};
  const { nodes, samples, timeDeltas } = profile;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < samples.length; i++) {
    self.set(samples[i], (self.get(samples[i]) ?? 0) + (timeDeltas[i] ?? 0));
  }
  const byFunction = new Map();
  const byPlace = new Map();
  let total = 0;
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    if (callFrame.functionName === '(idle)') continue;
    total += us;
    const file = callFrame.url.split('/').slice(-2).join('/');
    const key = `${callFrame.functionName || '(anonymous)'} ${file}:${callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const place = callFrame.functionName.startsWith('(')
      ? callFrame.functionName
      : placeOf(callFrame.url);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
  }
  const top = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => `  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`);
  void interval;
  return {
    total,
    functions: top(byFunction, Number(process.env.BENCH_TOP ?? 25)),
    places: top(byPlace, 12),
  };
}
