// The resolv.conf writer against hostile root filesystems: whatever the image's symlinks say,
// nothing outside the root is written. Each write runs in a child process in a private mount
// namespace where decoys are bind-mounted over the host files the image aims at (/etc/shadow,
// /etc/hostname, ...): a regression would overwrite a decoy, seen by the test, never this
// machine's own file. The real files are compared byte for byte as well.
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ResolvTarget } from '../../src/net/resolv.js';
import { ROOT } from '../helpers/host.js';

const TEXT = 'nameserver 10.97.99.1\nsearch lab.test\n';
const HOST_FILES = ['/etc/shadow', '/etc/hostname', '/etc/passwd', '/etc/resolv.conf'];
let base: string;
let hostBefore: Buffer[];
let runner: string;
let writer: string;
let root: string;
/** A file outside every root, standing for any host file the image may aim at. */
let outside: string;

interface Outcome {
  ok: boolean;
  code?: string;
  message?: string;
}

const RUNNER = `
const { execFileSync } = require('node:child_process');
const [writer, decoys, target, text] = process.argv.slice(2);
for (const [decoy, file] of JSON.parse(decoys)) execFileSync('/usr/bin/mount', ['--bind', decoy, file]);
const { writeResolvConf } = require(writer);
try {
  writeResolvConf(JSON.parse(target), text);
  process.stdout.write(JSON.stringify({ ok: true }));
} catch (error) {
  process.stdout.write(JSON.stringify({ ok: false, code: error.code, message: error.message }));
}
`;

/** writeResolvConf in a private mount namespace with decoys over the host files; the decoys must stay as they were. */
function write(target: ResolvTarget): Outcome {
  const decoyDir = mkdtempSync(`${base}/decoys-`);
  const pairs = HOST_FILES.map((file, index) => {
    const decoy = `${decoyDir}/${index}`;
    writeFileSync(decoy, `decoy of ${file}\n`);
    return [decoy, file];
  });
  const result = spawnSync('/usr/bin/unshare', ['--mount', '--propagation', 'private', process.execPath, runner, writer, JSON.stringify(pairs), JSON.stringify(target), TEXT], { encoding: 'utf8', timeout: 20_000 });
  expect(result.stderr).toBe('');
  for (const [decoy, file] of pairs) expect(readFileSync(decoy!, 'utf8')).toBe(`decoy of ${file}\n`);
  expect(HOST_FILES.map((path) => readFileSync(path))).toEqual(hostBefore);
  return JSON.parse(result.stdout) as Outcome;
}

function refused(target: ResolvTarget): string {
  const outcome = write(target);
  expect(outcome).toMatchObject({ ok: false, code: 'RESOLV_CONF_UNSAFE' });
  return outcome.message ?? '';
}

beforeAll(() => {
  base = mkdtempSync('/tmp/ipper-resolv-');
  hostBefore = HOST_FILES.map((path) => readFileSync(path));
  writer = `${base}/writer.cjs`;
  buildSync({ entryPoints: [`${ROOT}/src/net/resolv-write.ts`], bundle: true, platform: 'node', format: 'cjs', outfile: writer, logLevel: 'silent' });
  runner = `${base}/runner.cjs`;
  writeFileSync(runner, RUNNER);
});

beforeEach(() => {
  root = mkdtempSync(`${base}/root-`);
  outside = `${base}/outside-${Math.random().toString(16).slice(2)}`;
  writeFileSync(outside, 'host secret\n');
});

afterAll(() => {
  expect(HOST_FILES.map((path) => readFileSync(path))).toEqual(hostBefore);
  rmSync(base, { recursive: true, force: true });
});

describe('writeResolvConf into a root filesystem', () => {
  it('writes a plain /etc/resolv.conf in place (same inode), and creates one that is missing (0644)', () => {
    mkdirSync(`${root}/etc`);
    writeFileSync(`${root}/etc/resolv.conf`, 'nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch a.very.long.old.list.example\n');
    const inode = statSync(`${root}/etc/resolv.conf`).ino;
    expect(write({ kind: 'rootfs', root })).toEqual({ ok: true });
    expect(readFileSync(`${root}/etc/resolv.conf`, 'utf8')).toBe(TEXT);
    expect(statSync(`${root}/etc/resolv.conf`).ino).toBe(inode);
    rmSync(`${root}/etc/resolv.conf`);
    expect(write({ kind: 'rootfs', root })).toEqual({ ok: true });
    expect(readFileSync(`${root}/etc/resolv.conf`, 'utf8')).toBe(TEXT);
    expect(statSync(`${root}/etc/resolv.conf`).mode & 0o777).toBe(0o644);
  });

  it.each([
    ['/etc/resolv.conf -> /etc/shadow (absolute: the root\'s own /etc/shadow)', () => { mkdirSync(`${root}/etc`); symlinkSync('/etc/shadow', `${root}/etc/resolv.conf`); }, 'etc/shadow'],
    ['/etc/resolv.conf -> ../../../../etc/hostname (".." stops at the root)', () => { mkdirSync(`${root}/etc`); symlinkSync('../../../../etc/hostname', `${root}/etc/resolv.conf`); }, 'etc/hostname'],
    ['/etc -> /srv/etc, and /srv/etc/resolv.conf -> ../../../../../../etc/passwd', () => { mkdirSync(`${root}/srv/etc`, { recursive: true }); symlinkSync('/srv/etc', `${root}/etc`); symlinkSync('../../../../../../etc/passwd', `${root}/srv/etc/resolv.conf`); }, 'srv/etc/passwd'],
  ])('%s: followed inside the root only', (_name, plant, landsAt) => {
    plant();
    expect(write({ kind: 'rootfs', root })).toEqual({ ok: true });
    expect(readFileSync(`${root}/${landsAt}`, 'utf8')).toBe(TEXT);
  });

  it('/etc/resolv.conf -> a host file by its full path: looked up inside the root (where its directories do not exist): refused, the host file untouched', () => {
    mkdirSync(`${root}/etc`);
    symlinkSync(outside, `${root}/etc/resolv.conf`);
    expect(refused({ kind: 'rootfs', root })).toMatch(/cannot be resolved in the container's root \(ENOENT\)/);
    expect(readFileSync(outside, 'utf8')).toBe('host secret\n');
    // With the directories present inside the root, it lands there.
    mkdirSync(`${root}${base}`, { recursive: true });
    expect(write({ kind: 'rootfs', root })).toEqual({ ok: true });
    expect(readFileSync(`${root}${outside}`, 'utf8')).toBe(TEXT);
    expect(readFileSync(outside, 'utf8')).toBe('host secret\n');
  });

  it.each([
    ['/etc -> /etc (a loop once inside the root)', () => symlinkSync('/etc', `${root}/etc`), /more than 40 symlinks/],
    ['/etc -> ../../../etc', () => symlinkSync('../../../etc', `${root}/etc`), /more than 40 symlinks/],
    ['a loop of two', () => { mkdirSync(`${root}/etc`); symlinkSync('b', `${root}/etc/resolv.conf`); symlinkSync('resolv.conf', `${root}/etc/b`); }, /more than 40 symlinks/],
    ['/etc is a file', () => writeFileSync(`${root}/etc`, 'x'), /not a directory/],
    ['/etc/resolv.conf is a directory', () => mkdirSync(`${root}/etc/resolv.conf`, { recursive: true }), /cannot be opened|not a regular file/],
    ['/etc/resolv.conf is a FIFO (a write would block)', () => { mkdirSync(`${root}/etc`); execFileSync('/usr/bin/mkfifo', [`${root}/etc/resolv.conf`]); }, /not a regular file|cannot be opened/],
    ['/etc/resolv.conf is a hard link to a file outside the root', () => { mkdirSync(`${root}/etc`); linkSync(outside, `${root}/etc/resolv.conf`); }, /not a regular file with a single link/],
    ['/etc/resolv.conf -> /dev/null, a device', () => { mkdirSync(`${root}/etc`); mkdirSync(`${root}/dev`); execFileSync('/usr/bin/mknod', [`${root}/dev/null`, 'c', '1', '3']); symlinkSync('/dev/null', `${root}/etc/resolv.conf`); }, /not a regular file/],
  ])('%s: refused, nothing written anywhere', (_name, plant, reason) => {
    plant();
    expect(refused({ kind: 'rootfs', root })).toMatch(reason);
    expect(readFileSync(outside, 'utf8')).toBe('host secret\n');
  });

  it('a root that is the host\'s own (a rootfs symlinked to /): refused', () => {
    const link = `${base}/rootfs-to-host`;
    symlinkSync('/', link);
    expect(refused({ kind: 'rootfs', root: link })).toMatch(/is the host's root/);
  });
});

describe('writeResolvConf into a bind-mounted file', () => {
  it('writes the runtime\'s file in place (the container keeps seeing the same inode)', () => {
    const file = `${base}/userdata-resolv.conf`;
    writeFileSync(file, 'nameserver 8.8.8.8\n');
    chmodSync(file, 0o644);
    const inode = statSync(file).ino;
    expect(write({ kind: 'file', path: file })).toEqual({ ok: true });
    expect(readFileSync(file, 'utf8')).toBe(TEXT);
    expect(statSync(file).ino).toBe(inode);
  });

  it('refuses a symlink at the file\'s place', () => {
    const file = `${base}/link-resolv.conf`;
    symlinkSync(outside, file);
    refused({ kind: 'file', path: file });
    expect(readFileSync(outside, 'utf8')).toBe('host secret\n');
  });
});
