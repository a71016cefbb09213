// `ipper install` / `uninstall` against a scratch root: what lands where, and exactly undone.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPPER, ROOT } from '../helpers/host.js';

let root: string;
const USR_HOOKS = '/usr/share/containers/oci/hooks.d/ipper.json';
const ETC_HOOKS = '/etc/containers/oci/hooks.d/ipper.json';
const ENTRY = readFileSync(`${ROOT}/hooks.d/ipper.json`, 'utf8');

function put(path: string, text: string): void {
  mkdirSync(dirname(`${root}${path}`), { recursive: true });
  writeFileSync(`${root}${path}`, text);
}

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
  it('installs the binary, the runtime link, the hooks.d file where Podman reads it by default, a default config and the Docker runtime', () => {
    expect(ipper('install', '--root', root).status).toBe(0);
    expect(tree()).toEqual([
      '/etc/docker/daemon.json',
      '/etc/ipper/config.json',
      '/opt/cni/bin/ipper',
      '/usr/lib/cni/ipper',
      '/usr/local/bin/ipper',
      '/usr/local/bin/ipper-runtime',
      USR_HOOKS,
    ]);
    // The CNI plugin: a runtime finds it by its type, "ipper", in its plugin directories.
    expect(readlinkSync(`${root}/opt/cni/bin/ipper`)).toBe('/usr/local/bin/ipper');
    expect(readlinkSync(`${root}/usr/lib/cni/ipper`)).toBe('/usr/local/bin/ipper');
    expect(spawnSync(`${root}/usr/local/bin/ipper`, ['--version'], { encoding: 'utf8', env: {} }).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(readlinkSync(`${root}/usr/local/bin/ipper-runtime`)).toBe('ipper');
    expect(JSON.parse(readFileSync(`${root}${USR_HOOKS}`, 'utf8'))).toEqual(JSON.parse(readFileSync(`${ROOT}/hooks.d/ipper.json`, 'utf8')));
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

  it('uninstall leaves a CNI plugin named ipper that is not its link, and says so', () => {
    expect(ipper('install', '--root', root).status).toBe(0);
    rmSync(`${root}/opt/cni/bin/ipper`);
    writeFileSync(`${root}/opt/cni/bin/ipper`, 'an operator\'s own copy');
    const result = ipper('uninstall', '--root', root);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`left ${root}/opt/cni/bin/ipper: it is not the link ipper makes`);
    expect(tree()).toEqual(['/etc/docker/daemon.json', '/opt/cni/bin/ipper']);
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

  it("removes ipper's own stale copy in /etc (it would mask the fresh one where both are read), and only ipper's", () => {
    put(ETC_HOOKS, ENTRY);
    expect(ipper('install', '--root', root)).toMatchObject({ status: 0, stderr: '' });
    expect(tree()).not.toContain(ETC_HOOKS);
    expect(tree()).toContain(USR_HOOKS);
    // An operator's own file of that name stays, and install says so.
    const mine = JSON.stringify({ ...JSON.parse(ENTRY), hook: { path: '/usr/local/bin/ipper', args: ['ipper', 'hook'], env: ['IPPER_CONFIG=/srv/ipper.json'] } });
    put(ETC_HOOKS, mine);
    const result = ipper('install', '--root', root);
    expect(result).toMatchObject({ status: 0, stderr: `ipper: warning: left ${root}${ETC_HOOKS}: it is not the entry ipper writes\n` });
    expect(readFileSync(`${root}${ETC_HOOKS}`, 'utf8')).toBe(mine);
    expect(ipper('uninstall', '--root', root).status).toBe(0);
    expect(readFileSync(`${root}${ETC_HOOKS}`, 'utf8')).toBe(mine);
    expect(tree()).not.toContain(USR_HOOKS);
  });

  it('honours hooks_dir from containers.conf and its drop-ins (the last file and the last directory win), and uninstall finds it', () => {
    put('/usr/share/containers/containers.conf', '[engine]\nhooks_dir = ["/usr/share/containers/oci/hooks.d"]\n');
    put('/etc/containers/containers.conf', '[engine]\nruntime = "runc"\nhooks_dir = ["/opt/never"]\n');
    put('/etc/containers/containers.conf.d/10-site.conf', '[engine]\nhooks_dir = [\n  "/srv/hooks/low",\n  "/srv/hooks/high",\n]\n');
    put('/etc/containers/containers.conf.d/20-other.conf', '[containers]\nlog_size_max = -1\n');
    put('/etc/containers/containers.conf.d/README', 'hooks_dir = nonsense');
    put('/srv/hooks/low/ipper.json', ENTRY); // ours from before: masked by high, removed
    expect(ipper('install', '--root', root)).toMatchObject({ status: 0, stderr: '' });
    const hooksFiles = tree().filter((path) => path.endsWith('/ipper.json'));
    expect(hooksFiles).toEqual(['/srv/hooks/high/ipper.json', USR_HOOKS]);
    for (const path of hooksFiles) expect(JSON.parse(readFileSync(`${root}${path}`, 'utf8'))).toEqual(JSON.parse(ENTRY));
    expect(ipper('uninstall', '--root', root).status).toBe(0);
    expect(tree().filter((path) => path.endsWith('/ipper.json'))).toEqual([]);
  });

  it.each([
    ['/etc/containers/containers.conf', '[engine]\nhooks_dir = ["/srv/hooks"', ':2: cannot read it as TOML (expected comma or end of structure); Podman cannot either, fix it first'],
    ['/etc/containers/containers.conf.d/50-x.conf', '[engine]\nhooks_dir = "/srv/hooks"\n', ': [engine] hooks_dir must be an array of directories; Podman cannot use it either, fix it first'],
  ])('refuses a containers.conf it cannot read (%s) in one line, and changes nothing', (path, text, message) => {
    put(path, text);
    for (const command of ['install', 'uninstall']) {
      const result = ipper(command, '--root', root);
      expect(result).toMatchObject({ status: 78, stdout: '', stderr: `ipper: ${root}${path}${message} [INVALID_CONFIG]\n` });
      expect(tree()).toEqual([path]);
    }
  });

  it('rejects a relative --root', () => {
    expect(ipper('install', '--root', 'relative')).toMatchObject({ status: 64, stderr: 'ipper: usage: ipper install [--root /absolute/dir] [USAGE]\n' });
  });
});

// What the .deb's maintainer scripts run: dpkg owns the binary, the link, /usr/share's hooks.d
// file and the config; the binary does only the rest.
describe('ipper install|uninstall --package --root (postinst, prerm)', () => {
  const PACKAGE_ENTRY = { ...JSON.parse(ENTRY), hook: { ...JSON.parse(ENTRY).hook, path: '/usr/bin/ipper' } };

  it('postinst merges the runtime (at /usr/bin/ipper-runtime) into daemon.json and writes nothing dpkg owns; prerm takes exactly that away', () => {
    put('/etc/docker/daemon.json', JSON.stringify({ 'log-driver': 'journald', runtimes: { nvidia: { path: 'nvidia-container-runtime' } } }));
    put('/etc/ipper/config.json', '{"bridge": "lan0"}\n');
    expect(ipper('install', '--package', '--root', root)).toMatchObject({ status: 0, stderr: '' });
    expect(tree()).toEqual(['/etc/docker/daemon.json', '/etc/ipper/config.json']);
    expect(JSON.parse(readFileSync(`${root}/etc/docker/daemon.json`, 'utf8'))).toEqual({
      'log-driver': 'journald',
      runtimes: { nvidia: { path: 'nvidia-container-runtime' }, ipper: { path: '/usr/bin/ipper-runtime' } },
    });
    put('/var/lib/ipper/ipper-helper', 'written by the supervisor');
    expect(ipper('uninstall', '--package', '--root', root)).toMatchObject({ status: 0, stderr: '' });
    expect(JSON.parse(readFileSync(`${root}/etc/docker/daemon.json`, 'utf8'))).toEqual({ 'log-driver': 'journald', runtimes: { nvidia: { path: 'nvidia-container-runtime' } } });
    // The config is dpkg's (a conffile: kept at remove, removed at purge).
    expect(tree()).toEqual(['/etc/docker/daemon.json', '/etc/ipper/config.json']);
    expect(existsSync(`${root}/var/lib/ipper`)).toBe(false);
  });

  it("copies the package's entry into an operator's hooks_dir and removes ipper's stale copies elsewhere; prerm removes the copy", () => {
    put('/etc/containers/containers.conf.d/10-site.conf', '[engine]\nhooks_dir = ["/srv/hooks"]\n');
    put(ETC_HOOKS, ENTRY); // from an earlier `ipper install`: it would mask the package's
    expect(ipper('install', '--package', '--root', root)).toMatchObject({ status: 0, stderr: '' });
    expect(tree().filter((path) => path.endsWith('/ipper.json'))).toEqual(['/srv/hooks/ipper.json']);
    expect(JSON.parse(readFileSync(`${root}/srv/hooks/ipper.json`, 'utf8'))).toEqual(PACKAGE_ENTRY);
    expect(ipper('uninstall', '--package', '--root', root)).toMatchObject({ status: 0, stderr: '' });
    expect(tree().filter((path) => path.endsWith('/ipper.json'))).toEqual([]);
  });

  it('refuses a daemon.json that is not JSON, and changes nothing', () => {
    put('/etc/docker/daemon.json', '{"runtimes": ');
    for (const command of ['install', 'uninstall']) {
      const result = ipper(command, '--package', '--root', root);
      expect(result.status).toBe(78);
      expect(result.stderr).toMatch(/^ipper: .*daemon\.json is not valid JSON .* \[INVALID_CONFIG\]\n$/);
      expect(readFileSync(`${root}/etc/docker/daemon.json`, 'utf8')).toBe('{"runtimes": ');
    }
  });
});
