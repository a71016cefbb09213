import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { errorOf } from '../helpers/error-of.js';

const DEFAULTS = {
  bridge: 'br0',
  allowedBridges: [],
  interface: 'eth0',
  dhcpClient: 'dhcpcd',
  stateDir: '/run/ipper',
  helperDir: '/var/lib/ipper',
  logFile: '/var/log/ipper.log',
  logLevel: 'info',
  leaseTimeoutMs: 10_000,
  onLeaseTimeout: 'fail',
  hostnameFrom: 'id',
  bridgeFilter: true,
  gcIntervalMs: 30_000,
  ipv4: 'dhcp',
  ipv6: 'auto',
  ipv6WaitMs: 2000,
  resolvConf: 'write',
  macFrom: 'random',
  clientId: 'container-id',
};

const IFNAME = 'must be an interface name (1-15 of A-Z a-z 0-9 _ . -)';


describe('parseConfig', () => {
  it.each([undefined, '{}', ' {}\n'])('%j gives every default', (text) => {
    expect(parseConfig(text, '/etc/ipper/config.json')).toStrictEqual(DEFAULTS);
  });

  it('keeps given values and defaults the rest', () => {
    const text = JSON.stringify({ bridge: 'lan0', allowedBridges: ['lan1'], leaseTimeoutMs: 100, onLeaseTimeout: 'continue', hostAddress: '192.168.1.10' });
    expect(parseConfig(text, 'f')).toStrictEqual({ ...DEFAULTS, bridge: 'lan0', allowedBridges: ['lan1'], leaseTimeoutMs: 100, onLeaseTimeout: 'continue', hostAddress: '192.168.1.10' });
  });

  it.each([
    ['{"foo":1}', 'config F: unknown key "foo"'],
    ['{"foo":1,"bar":2}', 'config F: unknown keys "foo", "bar"'],
    ['{"bridge":"a;b"}', `config F: bridge: ${IFNAME}`],
    ['{"bridge":"abcdefghijklmnop"}', `config F: bridge: ${IFNAME}`],
    ['{"bridge":""}', `config F: bridge: ${IFNAME}`],
    ['{"allowedBridges":["ok","a b"]}', `config F: allowedBridges.1: ${IFNAME}`],
    ['{"interface":"a/b"}', `config F: interface: ${IFNAME}`],
    ['{"interface":".."}', `config F: interface: ${IFNAME}`],
    ['{"dhcpClient":"foo"}', 'config F: dhcpClient: must be one of "udhcpc", "dhclient", "dhcpcd"'],
    ['{"stateDir":"run/ipper"}', 'config F: stateDir: must be an absolute path'],
    ['{"logFile":"ipper.log"}', 'config F: logFile: must be an absolute path'],
    ['{"leaseTimeoutMs":-1}', 'config F: leaseTimeoutMs: must be at least 100'],
    ['{"leaseTimeoutMs":600001}', 'config F: leaseTimeoutMs: must be at most 600000'],
    ['{"leaseTimeoutMs":"x"}', 'config F: leaseTimeoutMs: expected number, received string'],
    ['{"leaseTimeoutMs":0.5}', 'config F: leaseTimeoutMs: must be a whole number, not 0.5'],
    ['{"onLeaseTimeout":"maybe"}', 'config F: onLeaseTimeout: must be one of "fail", "continue"'],
    ['{"hostAddress":"nope"}', 'config F: hostAddress: must be an IPv4 address'],
    ['{"hostAddress":"10.0.0.256"}', 'config F: hostAddress: must be an IPv4 address'],
    ['[]', 'config F: expected object, received array'],
    ['null', 'config F: expected object, received null'],
    ['{', "config F is not valid JSON: Expected property name or '}' in JSON at position 1"],
    ['', 'config F is not valid JSON: Unexpected end of JSON input'],
  ])('%s → %s', (text, message) => {
    const error = errorOf(() => parseConfig(text, 'F'));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.exitCode).toBe(78);
    expect(error.message).toBe(message);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ipper-unit-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the defaults when $IPPER_CONFIG names a missing file', () => {
    expect(loadConfig({ IPPER_CONFIG: join(dir, 'missing.json') })).toStrictEqual(DEFAULTS);
  });

  it('parses the file that $IPPER_CONFIG names', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, '{"bridge":"lab0","stateDir":"/tmp/ipper-state"}\n');
    expect(loadConfig({ IPPER_CONFIG: path })).toStrictEqual({ ...DEFAULTS, bridge: 'lab0', stateDir: '/tmp/ipper-state' });
  });

  it('names the file when its content is bad', () => {
    const path = join(dir, 'config.json');
    writeFileSync(path, '{"bridge":"a;b"}');
    const error = errorOf(() => loadConfig({ IPPER_CONFIG: path }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(`config ${path}: bridge: ${IFNAME}`);
  });

  it('refuses a symlinked config', () => {
    const target = join(dir, 'real.json');
    const link = join(dir, 'link.json');
    writeFileSync(target, '{}');
    symlinkSync(target, link);
    const error = errorOf(() => loadConfig({ IPPER_CONFIG: link }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toBe(`cannot read config ${link}: is a symlink`);
  });
});

describe('hostnameFrom', () => {
  it('accepts id and config, and names the key for anything else', () => {
    expect(parseConfig('{"hostnameFrom":"config"}', 'F').hostnameFrom).toBe('config');
    expect(() => parseConfig('{"hostnameFrom":"name"}', 'F')).toThrow('config F: hostnameFrom: must be one of "id", "config"');
  });
});
