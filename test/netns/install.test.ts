// `ipper install` / `uninstall` against a scratch root: what lands where, and exactly undone.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPPER, ROOT } from '../helpers/host.js';

let root: string;

function ipper(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(IPPER, args, { encoding: 'utf8', env: {} });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function tree(): string[] {
  const found = spawnSync('/usr/bin/find', [root, '-mindepth', '1', '(', '-type', 'f', '-o', '-type', 'l', ')'], { encoding: 'utf8' }).stdout;
  return found.split('\n').filter(Boolean).map((path) => path.slice(root.length)).sort();
}

beforeEach(() => {
  root = mkdtempSync('/tmp/ipper-install-');
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('ipper install --root', () => {
  it('installs the binary, the runtime link, the hooks.d file, a default config and the Docker runtime', () => {
    expect(ipper('install', '--root', root).status).toBe(0);
    expect(tree()).toEqual([
      '/etc/containers/oci/hooks.d/ipper.json',
      '/etc/docker/daemon.json',
      '/etc/ipper/config.json',
      '/usr/local/bin/ipper',
      '/usr/local/bin/ipper-runtime',
    ]);
    expect(spawnSync(`${root}/usr/local/bin/ipper`, ['--version'], { encoding: 'utf8', env: {} }).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(readlinkSync(`${root}/usr/local/bin/ipper-runtime`)).toBe('ipper');
    expect(JSON.parse(readFileSync(`${root}/etc/containers/oci/hooks.d/ipper.json`, 'utf8'))).toEqual(JSON.parse(readFileSync(`${ROOT}/hooks.d/ipper.json`, 'utf8')));
    expect(JSON.parse(readFileSync(`${root}/etc/docker/daemon.json`, 'utf8'))).toEqual({ runtimes: { ipper: { path: '/usr/local/bin/ipper-runtime' } } });
  });

  it('merges into an existing daemon.json and keeps an existing config', () => {
    mkdirSync(`${root}/etc/docker`, { recursive: true });
    mkdirSync(`${root}/etc/ipper`, { recursive: true });
    writeFileSync(`${root}/etc/docker/daemon.json`, JSON.stringify({ 'log-driver': 'journald', runtimes: { nvidia: { path: 'nvidia-container-runtime' } } }));
    writeFileSync(`${root}/etc/ipper/config.json`, '{"bridge": "lan0"}\n');
    expect(ipper('install', '--root', root).status).toBe(0);
    expect(JSON.parse(readFileSync(`${root}/etc/docker/daemon.json`, 'utf8'))).toEqual({
      'log-driver': 'journald',
      runtimes: { nvidia: { path: 'nvidia-container-runtime' }, ipper: { path: '/usr/local/bin/ipper-runtime' } },
    });
    expect(readFileSync(`${root}/etc/ipper/config.json`, 'utf8')).toBe('{"bridge": "lan0"}\n');
    expect(ipper('uninstall', '--root', root).status).toBe(0);
    expect(tree()).toEqual(['/etc/docker/daemon.json', '/etc/ipper/config.json']);
    expect(JSON.parse(readFileSync(`${root}/etc/docker/daemon.json`, 'utf8'))).toEqual({ 'log-driver': 'journald', runtimes: { nvidia: { path: 'nvidia-container-runtime' } } });
  });

  it('refuses an invalid daemon.json and changes nothing', () => {
    mkdirSync(`${root}/etc/docker`, { recursive: true });
    writeFileSync(`${root}/etc/docker/daemon.json`, '{"runtimes": ');
    const result = ipper('install', '--root', root);
    expect(result.status).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/daemon.json is not valid JSON .*ipper does not overwrite it \[INVALID_CONFIG\]/);
    expect(tree()).toEqual(['/etc/docker/daemon.json']);
    expect(readFileSync(`${root}/etc/docker/daemon.json`, 'utf8')).toBe('{"runtimes": ');
  });

  it('uninstall undoes exactly a fresh install, and twice is harmless', () => {
    expect(ipper('install', '--root', root).status).toBe(0);
    expect(ipper('uninstall', '--root', root).status).toBe(0);
    expect(tree()).toEqual(['/etc/docker/daemon.json']);
    expect(JSON.parse(readFileSync(`${root}/etc/docker/daemon.json`, 'utf8'))).toEqual({});
    expect(ipper('uninstall', '--root', root).status).toBe(0);
    expect(existsSync(`${root}/usr/local/bin/ipper`)).toBe(false);
    expect(() => lstatSync(`${root}/usr/local/bin/ipper-runtime`)).toThrow();
  });

  it("uninstall also removes the ipper-helper the supervisor wrote in the default helperDir", () => {
    expect(ipper('install', '--root', root).status).toBe(0);
    mkdirSync(`${root}/var/lib/ipper`, { recursive: true, mode: 0o700 });
    writeFileSync(`${root}/var/lib/ipper/ipper-helper`, 'binary', { mode: 0o700 });
    expect(ipper('uninstall', '--root', root).status).toBe(0);
    expect(existsSync(`${root}/var/lib/ipper`)).toBe(false);
    // Something else of the operator's in that directory stays, and so does the directory.
    mkdirSync(`${root}/var/lib/ipper`, { recursive: true });
    writeFileSync(`${root}/var/lib/ipper/ipper-helper`, 'binary');
    writeFileSync(`${root}/var/lib/ipper/notes`, 'mine');
    expect(ipper('uninstall', '--root', root).status).toBe(0);
    expect(tree()).toContain('/var/lib/ipper/notes');
    expect(existsSync(`${root}/var/lib/ipper/ipper-helper`)).toBe(false);
  });

  it('rejects a relative --root', () => {
    expect(ipper('install', '--root', 'relative')).toMatchObject({ status: 64, stderr: 'ipper: usage: ipper install [--root /absolute/dir] [USAGE]\n' });
  });
});
