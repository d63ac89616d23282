/** Prometheus text exposition: one metric family at a time, labels already safe (no quotes, no newlines). */
export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export function family(
  name: string,
  type: 'gauge' | 'counter',
  help: string,
  samples: Sample[],
): string {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
  for (const sample of samples) {
    const labels = sample.labels
      ? `{${Object.entries(sample.labels)
          .map(([k, v]) => `${k}="${v}"`)
          .join(',')}}`
      : '';
    lines.push(`${name}${labels} ${sample.value}`);
  }
  return lines.join('\n') + '\n';
}
