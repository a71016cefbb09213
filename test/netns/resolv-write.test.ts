// The resolv.conf writer against hostile root filesystems, in-process: whatever the image's
// symlinks say, nothing outside the root is written, and the host's files stay byte for byte.
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { IpperError } from '../../src/errors.js';
import { writeResolvConf } from '../../src/net/resolv-write.js';

const TEXT = 'nameserver 10.97.99.1\nsearch lab.test\n';
const HOST_FILES = ['/etc/shadow', '/etc/hostname', '/etc/passwd', '/etc/resolv.conf'];
let base: string;
let hostBefore: Buffer[];
let root: string;
/** A file outside every root, standing for any host file the image may aim at. */
let outside: string;

function refused(write: () => void): IpperError {
  try {
    write();
  } catch (error) {
    expect(error).toBeInstanceOf(IpperError);
    expect((error as IpperError).code).toBe('RESOLV_CONF_UNSAFE');
    return error as IpperError;
  }
  throw new Error('expected a refusal');
}

beforeAll(() => {
  base = mkdtempSync('/tmp/ipper-resolv-');
  hostBefore = HOST_FILES.map((path) => readFileSync(path));
});

beforeEach(() => {
  root = mkdtempSync(`${base}/root-`);
  outside = `${base}/outside-${Math.random().toString(16).slice(2)}`;
  writeFileSync(outside, 'host secret\n');
});

afterAll(() => {
  // Checked once more after every case: the host's own files never changed.
  expect(HOST_FILES.map((path) => readFileSync(path))).toEqual(hostBefore);
  rmSync(base, { recursive: true, force: true });
});

describe('writeResolvConf into a root filesystem', () => {
  it('writes a plain /etc/resolv.conf in place (same inode), and creates one that is missing (0644)', () => {
    mkdirSync(`${root}/etc`);
    writeFileSync(`${root}/etc/resolv.conf`, 'nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch a.very.long.old.list.example\n');
    const inode = statSync(`${root}/etc/resolv.conf`).ino;
    writeResolvConf({ kind: 'rootfs', root }, TEXT);
    expect(readFileSync(`${root}/etc/resolv.conf`, 'utf8')).toBe(TEXT);
    expect(statSync(`${root}/etc/resolv.conf`).ino).toBe(inode);
    rmSync(`${root}/etc/resolv.conf`);
    writeResolvConf({ kind: 'rootfs', root }, TEXT);
    expect(readFileSync(`${root}/etc/resolv.conf`, 'utf8')).toBe(TEXT);
    expect(statSync(`${root}/etc/resolv.conf`).mode & 0o777).toBe(0o644);
  });

  it.each([
    ['/etc/resolv.conf -> /etc/shadow (absolute: the root\'s own /etc/shadow)', () => { mkdirSync(`${root}/etc`); symlinkSync('/etc/shadow', `${root}/etc/resolv.conf`); }, 'etc/shadow'],
    ['/etc/resolv.conf -> ../../../../etc/hostname (".." stops at the root)', () => { mkdirSync(`${root}/etc`); symlinkSync('../../../../etc/hostname', `${root}/etc/resolv.conf`); }, 'etc/hostname'],
    ['/etc -> /srv/etc, and /srv/etc/resolv.conf -> ../../../../../../etc/passwd', () => { mkdirSync(`${root}/srv/etc`, { recursive: true }); symlinkSync('/srv/etc', `${root}/etc`); symlinkSync('../../../../../../etc/passwd', `${root}/srv/etc/resolv.conf`); }, 'srv/etc/passwd'],
  ])('%s: followed inside the root only', (_name, plant, landsAt) => {
    plant();
    writeResolvConf({ kind: 'rootfs', root }, TEXT);
    expect(readFileSync(`${root}/${landsAt}`, 'utf8')).toBe(TEXT);
    expect(HOST_FILES.map((path) => readFileSync(path))).toEqual(hostBefore);
  });

  it('/etc/resolv.conf -> a host file by its full path: looked up inside the root (where its directories do not exist): refused, the host file untouched', () => {
    mkdirSync(`${root}/etc`);
    symlinkSync(outside, `${root}/etc/resolv.conf`);
    expect(refused(() => writeResolvConf({ kind: 'rootfs', root }, TEXT)).message).toMatch(/cannot be resolved in the container's root \(ENOENT\)/);
    expect(readFileSync(outside, 'utf8')).toBe('host secret\n');
    // With the directories present inside the root, it lands there.
    mkdirSync(`${root}${base}`, { recursive: true });
    writeResolvConf({ kind: 'rootfs', root }, TEXT);
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
    expect(refused(() => writeResolvConf({ kind: 'rootfs', root }, TEXT)).message).toMatch(reason);
    expect(readFileSync(outside, 'utf8')).toBe('host secret\n');
    expect(HOST_FILES.map((path) => readFileSync(path))).toEqual(hostBefore);
  });
  // (A root that is the host's own "/" is refused too; not tested here: a regression would write
  // this machine's /etc/resolv.conf.)
});

describe('writeResolvConf into a bind-mounted file', () => {
  it('writes the runtime\'s file in place (the container keeps seeing the same inode)', () => {
    const file = `${base}/userdata-resolv.conf`;
    writeFileSync(file, 'nameserver 8.8.8.8\n');
    chmodSync(file, 0o644);
    const inode = statSync(file).ino;
    writeResolvConf({ kind: 'file', path: file }, TEXT);
    expect(readFileSync(file, 'utf8')).toBe(TEXT);
    expect(statSync(file).ino).toBe(inode);
  });

  it('refuses a symlink at the file\'s place', () => {
    const file = `${base}/link-resolv.conf`;
    rmSync(file, { force: true });
    symlinkSync(outside, file);
    refused(() => writeResolvConf({ kind: 'file', path: file }, TEXT));
    expect(readFileSync(outside, 'utf8')).toBe('host secret\n');
  });
});
