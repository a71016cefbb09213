import type * as z from './zod.js';

type ZodIssues = { issues: readonly z.core.$ZodIssue[] };

/** The first issue as one line that names the field: `bridge: must be ...`. */
export function formatZodIssue(error: ZodIssues): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid value';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => `"${key}"`).join(', ');
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}${issue.path.length ? ` in ${issue.path.join('.')}` : ''}`;
  }
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}
