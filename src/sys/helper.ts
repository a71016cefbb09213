// ipper-helper (src/helper/ipper-helper.c): udhcpc's event script and the socket's peer check,
// the two jobs Node cannot do without a shell or a native addon. The single binary carries it as
// a SEA asset; the supervisor writes it into helperDir, which must allow exec (/run often does not).
import { readFileSync } from 'node:fs';
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

/** Writes the helper (0700, temp + rename: a client exec'ing the old one is not disturbed). */
export function installHelper(helperDir: string): string {
  ensurePrivateDir(helperDir);
  const path = helperPath(helperDir);
  writeFileAtomic(path, helperBytes(), 0o700);
  return path;
}
