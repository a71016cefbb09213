// Prometheus text metrics of the supervisor (config `metrics`, off by default): leases by state,
// lease events, attach latency and failures by reason, client and supervisor restarts. prom-client
// is loaded only when metrics are on; the hook never loads this module.
import { chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { deriveLeaseState, type LeaseFacts, type LeaseState } from '../status/lease-state.js';
import { removeFile } from '../sys/fs.js';
import type { MetricsListen } from '../config/metrics-listen.js';

/** What a container's lease did, as the log and the metrics name it. */
export type LeaseEventKind = 'bound' | 'renewed' | 'address-changed' | 'lost' | 'released' | 'not-released';

/** Where the supervisor reports what happens; a no-op when metrics are off. */
export interface Observer {
  leaseEvent(kind: LeaseEventKind): void;
  /** An attach answered: its duration, and its error code ("ok" when it succeeded). */
  attach(seconds: number, code: string): void;
}

export const NO_OBSERVER: Observer = { leaseEvent: () => undefined, attach: () => undefined };

export interface MetricsSource {
  leaseFacts(): LeaseFacts[];
  clientRestarts(): number;
  /** How many times a supervisor started for this state directory since boot. */
  supervisorStarts: number;
}

const STATES: readonly LeaseState[] = ['attaching', 'requesting', 'bound', 'renewing', 'rebinding', 'expired', 'failed'];

export interface MetricsServer {
  observer: Observer;
  close(): void;
}

export async function startMetrics(listen: MetricsListen, source: MetricsSource): Promise<MetricsServer> {
  const { Counter, Gauge, Histogram, Registry } = await import('prom-client');
  const registry = new Registry();
  new Gauge({
    name: 'ipper_leases',
    help: 'Containers by lease state',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts = new Map<LeaseState, number>(STATES.map((state) => [state, 0]));
      const now = new Date();
      for (const facts of source.leaseFacts()) {
        const state = deriveLeaseState(facts, now);
        counts.set(state, (counts.get(state) ?? 0) + 1);
      }
      for (const [state, count] of counts) this.set({ state }, count);
    },
  });
  const events = new Counter({ name: 'ipper_lease_events_total', help: 'Lease events: bound, renewed, address-changed, lost, released, not-released', labelNames: ['event'], registers: [registry] });
  const failures = new Counter({ name: 'ipper_attach_failures_total', help: 'Attaches that failed, by error code', labelNames: ['reason'], registers: [registry] });
  const latency = new Histogram({
    name: 'ipper_attach_duration_seconds',
    help: 'createRuntime as the supervisor serves it: request received to reply sent',
    buckets: [0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  new Gauge({ name: 'ipper_client_restarts_total', help: 'DHCP clients restarted by this supervisor', registers: [registry], collect() { this.set(source.clientRestarts()); } });
  new Gauge({ name: 'ipper_supervisor_starts', help: 'Supervisors started for this state directory since boot (restarts + 1)', registers: [registry], collect() { this.set(source.supervisorStarts); } });

  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  if ('path' in listen) removeFile(listen.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in listen) server.listen(listen.path, resolve);
    else server.listen(listen.port, listen.host, resolve);
  });
  if ('path' in listen) chmodSync(listen.path, 0o600);
  return {
    observer: {
      leaseEvent: (kind) => events.inc({ event: kind }),
      attach: (seconds, code) => {
        latency.observe(seconds);
        if (code !== 'ok') failures.inc({ reason: code });
      },
    },
    close: () => {
      server.close();
      if ('path' in listen) removeFile(listen.path);
    },
  };
}
