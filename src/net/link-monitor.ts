// Link events from the kernel, read from one long-lived `ip -o monitor link`: how the supervisor
// learns that a bridge went away, came back, or that a port lost its bridge.
import type { Logger } from '../log/logger.js';
import { spawnLineReader, type LineReader } from '../sys/exec.js';
import { toolPath } from '../sys/tools.js';

export interface LinkEvent {
  name: string;
  /** The link itself is gone. */
  deleted: boolean;
  /** The bridge (or bond) the link is a port of; undefined when it is on none. */
  master?: string;
  /** Administratively up (the UP flag). */
  up: boolean;
}

// `[Deleted ]<index>: <name>[@<peer>]: <FLAGS> ...`; interface names hold no ':', '@' or spaces
// in practice (a name with an '@' would be cut there).
const EVENT_LINE = /^(Deleted )?\d+: ([^\s:@]+)(?:@[^\s:]*)?: <([^>]*)>(.*)$/;

/**
 * Parses one line of `ip -o monitor link`. A bridge also reports on each of its ports in its own
 * messages (no qdisc, no group; "Deleted" there means the port left the bridge, not that it is
 * gone): those repeat what the port's own messages say and are skipped.
 */
export function parseLinkEvent(line: string): LinkEvent | undefined {
  const match = EVENT_LINE.exec(line.trim());
  if (match === null) return undefined;
  const [, deleted, name, flags, rest] = match as unknown as [string, string | undefined, string, string, string];
  if (!/ group \S+/.test(rest)) return undefined;
  const master = / master (\S+)/.exec(rest)?.[1];
  return { name, deleted: deleted !== undefined, ...(master !== undefined && { master }), up: flags.split(',').includes('UP') };
}

const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 60_000;
/** A monitor that ran this long was healthy: its next restart starts from the shortest delay. */
const HEALTHY_MS = 30_000;

export interface LinkMonitorOptions {
  log: Logger;
  onEvent: (event: LinkEvent) => void;
  /** The monitor was restarted: events may have been missed meanwhile. */
  onRestart: () => void;
}

/** Keeps one `ip -o monitor link` running (restarted with backoff if it dies) until stop(). */
export class LinkMonitor {
  private child: LineReader | undefined;
  private stopped = false;
  private delayMs = RESTART_MIN_MS;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LinkMonitorOptions) {}

  start(): void {
    this.stopped = false;
    this.spawn(false);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.child?.stop();
    this.child = undefined;
  }

  private spawn(restarted: boolean): void {
    const began = Date.now();
    let child: LineReader;
    try {
      child = spawnLineReader(toolPath('ip'), ['-o', 'monitor', 'link'], (line) => {
        const event = parseLinkEvent(line);
        if (event !== undefined) this.options.onEvent(event);
      });
    } catch (error) {
      this.options.log.error({ err: error }, 'link monitor not started');
      this.scheduleRestart();
      return;
    }
    this.child = child;
    if (restarted) this.options.onRestart();
    void child.exited.then((code) => {
      if (this.stopped || this.child !== child) return;
      this.child = undefined;
      if (Date.now() - began >= HEALTHY_MS) this.delayMs = RESTART_MIN_MS;
      this.options.log.error({ code, delayMs: this.delayMs }, 'link monitor exited; restarting');
      this.scheduleRestart();
    });
  }

  private scheduleRestart(): void {
    const delay = this.delayMs;
    this.delayMs = Math.min(RESTART_MAX_MS, delay * 2);
    this.timer = setTimeout(() => {
      if (!this.stopped) this.spawn(true);
    }, delay);
    this.timer.unref();
  }
}
