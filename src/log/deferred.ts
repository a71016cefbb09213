// The hook's log: lines are kept in memory and written when the hook ends, so that a container
// start that logs nothing never loads pino (~10 ms), and one that does pays for it once.
import type { LoggerOptions } from './logger.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

export interface HookLog {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  /** Writes what was logged; never throws (a logging failure never fails a hook). */
  flush(): Promise<void>;
}

const RANK: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, silent: 100 };

export function deferredLog(options: LoggerOptions): HookLog {
  const lines: { level: Level; fields: object; message: string }[] = [];
  const threshold = RANK[options.level] ?? 30;
  const keep = (level: Level) => (fields: object, message: string) => {
    if (RANK[level]! >= threshold) lines.push({ level, fields, message });
  };
  return {
    debug: keep('debug'),
    info: keep('info'),
    warn: keep('warn'),
    error: keep('error'),
    async flush() {
      if (lines.length === 0) return;
      try {
        const { createLogger } = await import('./logger.js');
        const logger = createLogger(options);
        for (const line of lines.splice(0)) logger[line.level](line.fields, line.message);
      } catch {
        // the log is best effort
      }
    },
  };
}
