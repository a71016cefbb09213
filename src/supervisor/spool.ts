// The DHCP clients' event files: watched with inotify, read in the order they were written.
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readSpooledEvent, type SpooledEvent } from '../dhcp/driver.js';
import type { Logger } from '../log/logger.js';
import { readFileNoFollow, removeFile } from '../sys/fs.js';

const MAX_EVENT_BYTES = 256 * 1024;

export class EventSpool {
  private watcher: FSWatcher | undefined;
  private draining = false;
  private again = false;
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly dir: string,
    private readonly onEvent: (event: SpooledEvent) => void,
    private readonly log: Logger,
  ) {}

  start(sweepMs = 5000): void {
    this.watcher = watch(this.dir, () => this.drain());
    this.watcher.on('error', (error) => this.log.error({ err: error }, 'event spool watch failed'));
    // inotify can overflow; a slow sweep picks up whatever it missed.
    this.sweep = setInterval(() => this.drain(), sweepMs);
    this.sweep.unref();
    this.drain();
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.sweep);
  }

  private drain(): void {
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = true;
    try {
      do {
        this.again = false;
        for (const file of this.pendingFiles()) this.consume(file);
      } while (this.again);
    } finally {
      this.draining = false;
    }
  }

  private pendingFiles(): string[] {
    const files: { path: string; mtime: bigint }[] = [];
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.ev')) continue;
      const path = `${this.dir}/${name}`;
      try {
        files.push({ path, mtime: statSync(path, { bigint: true }).mtimeNs });
      } catch {
        // consumed meanwhile
      }
    }
    return files.sort((a, b) => (a.mtime < b.mtime ? -1 : a.mtime > b.mtime ? 1 : 0)).map((file) => file.path);
  }

  private consume(path: string): void {
    let text: string;
    try {
      text = (readFileNoFollow(path) ?? '').slice(0, MAX_EVENT_BYTES);
    } catch {
      return;
    } finally {
      removeFile(path);
    }
    const event = readSpooledEvent(text);
    if (event === undefined) {
      this.log.warn({ path }, 'unreadable DHCP event ignored');
      return;
    }
    this.onEvent(event);
  }
}
