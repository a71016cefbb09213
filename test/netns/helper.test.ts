// ipper-helper on its own: udhcpc's event handler and the socket's peer check, as built.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/host.js';

const HELPER = `${ROOT}/dist/ipper-helper`;
let dir: string;

beforeAll(() => {
  dir = mkdtempSync('/tmp/ipper-helper-test-');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runEvent(spool: string, event: string, env: Record<string, string> = {}): { status: number | null; stderr: string } {
  const result = spawnSync(HELPER, [event], { env: { IPPER_SPOOL: spool, ...env }, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

describe('as udhcpc\'s event script', () => {
  it('spools its environment NUL-separated, values verbatim, the event name last', () => {
    const spool = `${dir}/spool`;
    mkdirSync(spool, { mode: 0o700 });
    const hostile = 'x;$(touch /tmp/pwned)\n`id`';
    expect(runEvent(spool, 'bound', { ip: '10.0.0.5', domain: hostile, IPPER_EVENT: 'deconfig' }).status).toBe(0);
    const files = readdirSync(spool);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d+\.ev$/);
    const entries = readFileSync(`${spool}/${files[0]}`, 'utf8').split('\0');
    expect(entries.pop()).toBe(''); // every entry ends with its NUL
    expect(entries).toContain(`domain=${hostile}`);
    expect(entries).toContain('ip=10.0.0.5');
    // An inherited IPPER_EVENT is dropped: the event is what udhcpc passed.
    expect(entries.filter((entry) => entry.startsWith('IPPER_EVENT='))).toEqual(['IPPER_EVENT=bound']);
    expect(entries.at(-1)).toBe('IPPER_EVENT=bound');
  });

  it('refuses a spool that is relative, missing or a symlink, and leaves nothing', () => {
    const target = `${dir}/target`;
    mkdirSync(target);
    symlinkSync(target, `${dir}/linked`);
    for (const spool of ['relative/spool', `${dir}/missing`, `${dir}/linked`]) {
      const result = runEvent(spool, 'bound');
      expect(result.status, spool).not.toBe(0);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(readdirSync(target)).toEqual([]);
    expect(spawnSync(HELPER, [], { env: {} }).status).toBe(2);
    expect(spawnSync(HELPER, ['--evil'], { env: {} }).status).toBe(2);
  });
});

describe('--peercred', () => {
  it('prints the pid, uid and gid of the process at the other end of the socket', async () => {
    const path = `${dir}/peer.sock`;
    const output = await new Promise<string>((resolve, reject) => {
      const server = createServer((socket) => {
        const child = spawn(HELPER, ['--peercred'], { stdio: [socket, 'pipe', 'inherit'] });
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.on('close', () => {
          socket.destroy();
          server.close();
          resolve(stdout);
        });
      });
      server.on('error', reject);
      server.listen(path, () => createConnection(path).on('error', () => undefined));
    });
    expect(output).toBe(`${process.pid} ${process.getuid!()} ${process.getgid!()}\n`);
  });

  it('fails when its stdin is not a socket', () => {
    // Not node's stdin pipe: that is a socketpair, whose peer is this test.
    const devNull = openSync('/dev/null', 'r');
    const result = spawnSync(HELPER, ['--peercred'], { stdio: [devNull, 'pipe', 'pipe'], encoding: 'utf8' });
    closeSync(devNull);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/SO_PEERCRED/);
  });
});
