// zod/mini, imported as a namespace (`import * as z from './zod.js'`) so that the bundle keeps only
// what ipper uses: the hook loads it on every container start, and classic zod with all its
// locales costs ~25 ms more. English messages come from the small map below, not from a locale.
import { config, type core } from 'zod/mini';

export * from 'zod/mini';

function describeValue(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  return typeof input;
}

/** One short message per issue kind; checks with a message of their own keep it. */
export function englishMessage(issue: core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return `must be a whole number, not ${JSON.stringify(issue.input)}`;
      return `expected ${issue.expected}, received ${describeValue(issue.input)}`;
    case 'too_small':
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_format':
      return `is not a valid ${issue.format === 'ipv4' ? 'IPv4 address' : issue.format}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
    case 'invalid_union':
      return 'matches none of the accepted shapes';
    default:
      return 'is not valid';
  }
}

config({ localeError: englishMessage });
