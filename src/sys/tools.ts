// External programs by absolute path, found once per process in the usual system directories.
import { accessSync, constants } from 'node:fs';
import { IpperError } from '../errors.js';

const SEARCH_DIRS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin'];
const found = new Map<string, string>();

export function toolPath(name: string): string {
  const cached = found.get(name);
  if (cached !== undefined) return cached;
  for (const dir of SEARCH_DIRS) {
    const candidate = `${dir}/${name}`;
    try {
      accessSync(candidate, constants.X_OK);
      found.set(name, candidate);
      return candidate;
    } catch {
      // try the next directory
    }
  }
  throw new IpperError('TOOL_MISSING', `required program "${name}" not found in ${SEARCH_DIRS.join(', ')}`);
}
