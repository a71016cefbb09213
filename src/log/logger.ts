// pino to a file, synchronous (a short-lived hook must not lose lines at exit). A log that cannot
// be opened never fails a hook: logging falls back to silence, with one line on stderr.
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import pino, { type Logger } from 'pino';

export type { Logger };

export interface LoggerOptions {
  file: string;
  level: string;
  name: string;
  /** Where to say that the log cannot be written; undefined to stay silent. */
  warn?: (line: string) => void;
  /** Reopen the file on SIGHUP (for logrotate); only for the long-lived supervisor. */
  reopenOnHangup?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  try {
    // One level only: Node's recursive mkdir spins for ever under /proc (seen here).
    try {
      mkdirSync(dirname(options.file), { mode: 0o755 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const destination = pino.destination({ dest: options.file, sync: true, append: true, mkdir: false });
    // A full or read-only disk later on must not throw from a log call.
    destination.on('error', () => undefined);
    const logger = pino({ level: options.level, base: { pid: process.pid, name: options.name } }, destination);
    if (options.reopenOnHangup) process.on('SIGHUP', () => destination.reopen());
    return logger;
  } catch (error) {
    options.warn?.(`ipper: warning: cannot write log ${options.file}: ${(error as Error).message}`);
    return pino({ level: 'silent' });
  }
}
