import { IpperError, isErrnoCode } from '../errors.js';
import { readFileNoFollow } from '../sys/fs.js';
import { configSchema, type Config } from './schema.js';
import { formatZodIssue } from './zod-format.js';

export const DEFAULT_CONFIG_PATH = '/etc/ipper/config.json';

/** Parses the config file's text; every bad key or value is an error that names it. */
export function parseConfig(text: string | undefined, source: string): Config {
  let json: unknown = {};
  if (text !== undefined) {
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new IpperError('INVALID_CONFIG', `config ${source} is not valid JSON: ${(error as Error).message}`);
    }
  }
  const result = configSchema.safeParse(json);
  if (!result.success) throw new IpperError('INVALID_CONFIG', `config ${source}: ${formatZodIssue(result.error)}`);
  return result.data;
}

/** Loads $IPPER_CONFIG or /etc/ipper/config.json; a missing file means all defaults. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const path = env['IPPER_CONFIG'] || DEFAULT_CONFIG_PATH;
  let text: string | undefined;
  try {
    text = readFileNoFollow(path);
  } catch (error) {
    const reason = isErrnoCode(error, 'ELOOP') ? 'is a symlink' : (error as Error).message;
    throw new IpperError('INVALID_CONFIG', `cannot read config ${path}: ${reason}`, { cause: error });
  }
  return parseConfig(text, path);
}
