// The `metrics` config value: where the supervisor serves Prometheus text metrics. Pure.

/** An absolute unix socket path, or host:port (an IPv4 literal, [IPv6], or localhost). */
export type MetricsListen = { path: string } | { host: string; port: number };

export function parseMetricsListen(value: string): MetricsListen | undefined {
  if (value.startsWith('/')) return /\0/.test(value) ? undefined : { path: value };
  const match = /^(localhost|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):(\d{1,5})$/.exec(value);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}
