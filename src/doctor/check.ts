// One doctor finding: what was checked, how it stands, and what to do about it. Pure.

/** ok: passed; warn: works, but worth a look; fail: ipper cannot work this way; skip: nothing to check here. */
export type Verdict = 'ok' | 'warn' | 'fail' | 'skip';

export interface Finding {
  /** Stable name of the check (scripts and tests match on it). */
  check: string;
  verdict: Verdict;
  /** What is (or is wrong), naming the object. */
  message: string;
  /** The command or edit that fixes it; null when there is nothing to do. */
  fix: string | null;
}

export function ok(check: string, message: string): Finding {
  return { check, verdict: 'ok', message, fix: null };
}

export function warn(check: string, message: string, fix: string | null = null): Finding {
  return { check, verdict: 'warn', message, fix };
}

export function fail(check: string, message: string, fix: string): Finding {
  return { check, verdict: 'fail', message, fix };
}

export function skip(check: string, message: string): Finding {
  return { check, verdict: 'skip', message, fix: null };
}

const LABEL: Record<Verdict, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** One line per finding: "FAIL  bridge-up: ...; fix: ...". */
export function formatFindings(findings: readonly Finding[]): string {
  const width = Math.max(0, ...findings.map((finding) => finding.check.length));
  return findings.map((finding) => `${LABEL[finding.verdict]}  ${finding.check.padEnd(width)}  ${finding.message}${finding.fix === null ? '' : `; fix: ${finding.fix}`}\n`).join('');
}

/** The first failure as one clause for another message ("likely cause: …; fix: …"), or undefined. */
export function likelyCause(findings: readonly Finding[]): string | undefined {
  const failure = findings.find((finding) => finding.verdict === 'fail');
  return failure === undefined ? undefined : `likely cause: ${failure.message}${failure.fix === null ? '' : ` (fix: ${failure.fix})`}`;
}

export function hasFailure(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.verdict === 'fail');
}

/** The install command for the root the doctor looked at. */
export function installCommand(root: string): string {
  return root === '' ? 'ipper install' : `ipper install --root ${root}`;
}
