// ipper-helper (src/helper/ipper-helper.c): udhcpc's event script and the socket's peer check,
// the two jobs Node cannot do without a shell or a native addon. The single binary carries it as
// a SEA asset; the supervisor writes it into helperDir, which must allow exec (/run often does not).
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import * as sea from 'node:sea';
import { ensurePrivateDir, writeFileAtomic } from './fs.js';

export const HELPER_NAME = 'ipper-helper';

export function helperPath(helperDir: string): string {
  return `${helperDir}/${HELPER_NAME}`;
}

/** The helper's bytes: an asset of the single binary, or the file next to the bundle run by node. */
function helperBytes(): Uint8Array {
  if (sea.isSea()) return new Uint8Array(sea.getAsset(HELPER_NAME));
  return readFileSync(join(dirname(process.argv[1] ?? '.'), HELPER_NAME));
}

/**
 * The helper file as the supervisor keeps it: written at start, and written again whenever it is
 * found missing or changed (a cleanup job, `ipper uninstall`, a hand edit), checked before every
 * use and whenever its directory changes. Running clients call it by path at each renewal, so it
 * must come back by itself, not at the next supervisor restart.
 */
export class HelperFile {
  readonly path: string;
  private readonly bytes: Uint8Array;
  private written: { ino: number; size: number; mtimeMs: number } | undefined;
  private watcher: FSWatcher | undefined;

  constructor(
    private readonly helperDir: string,
    private readonly onRewrite: (reason: string) => void = () => undefined,
  ) {
    this.path = helperPath(helperDir);
    this.bytes = helperBytes();
  }

  /** The helper's path, after making sure the file there is the one we wrote (a stat; a write if not). */
  ensure(): string {
    let reason: string | undefined;
    try {
      const stat = statSync(this.path);
      const same = this.written !== undefined && stat.ino === this.written.ino && stat.size === this.written.size && stat.mtimeMs === this.written.mtimeMs && (stat.mode & 0o777) === 0o700;
      if (!same) reason = this.written === undefined ? 'start' : 'changed';
    } catch {
      reason = this.written === undefined ? 'start' : 'missing';
    }
    if (reason !== undefined) this.write(reason);
    return this.path;
  }

  /** Rewrites the helper as soon as its directory changes (it was removed or replaced). */
  watch(): void {
    try {
      this.watcher = watch(this.helperDir, () => {
        try {
          this.ensure();
        } catch {
          // the next use or round tries again
        }
      });
      this.watcher.on('error', () => this.watcher?.close());
      this.watcher.unref();
    } catch {
      // no watch: every use still checks
    }
  }

  close(): void {
    this.watcher?.close();
  }

  private write(reason: string): void {
    ensurePrivateDir(this.helperDir);
    writeFileAtomic(this.path, this.bytes, 0o700);
    const stat = statSync(this.path);
    this.written = { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs };
    if (reason !== 'start') this.onRewrite(reason);
  }
}
