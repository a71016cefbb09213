import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { decodeConfig, hostConfigPath, parseNetConf } from '../../../src/cni/config.js';
import { errorOf } from '../helpers/error-of.js';

const host = configSchema.parse({ bridge: 'br0', dhcpClient: 'udhcpc', leaseTimeoutMs: 5000 });
const base = { cniVersion: '1.1.0', name: 'lan', type: 'ipper' };

describe('parseNetConf', () => {
  it('takes what the host config says where the network says nothing', () => {
    expect(parseNetConf(base, 'ADD', host)).toStrictEqual({
      cniVersion: '1.1.0', name: 'lan', bridge: 'br0', dhcpClient: 'udhcpc', leaseTimeoutMs: 5000, onLeaseTimeout: 'fail', macFrom: 'random', clientId: 'container-id', ipv6: 'auto', ipv6WaitMs: 2000, defaultRoute: true, mac: undefined, prevResult: undefined, validAttachments: undefined,
    });
  });

  it('the network\'s keys win; runtime keys are accepted; the valid list is read', () => {
    const conf = parseNetConf({
      ...base, bridge: 'lan0', dhcpClient: 'dhclient', leaseTimeoutMs: 20000, onLeaseTimeout: 'continue', macFrom: 'identity', ipv4: 'dhcp', ipv6: 'slaac', ipv6WaitMs: 500, defaultRoute: false,
      args: { cni: {} }, capabilities: { mac: true }, runtimeConfig: { mac: '02:AA:bb:cc:dd:ee' }, dns: {}, prevResult: { ips: [] },
      'cni.dev/valid-attachments': [{ containerID: 'c1', ifname: 'eth0' }],
    }, 'GC', host);
    expect(conf).toMatchObject({ ipv6: 'slaac', ipv6WaitMs: 500, defaultRoute: false, bridge: 'lan0', dhcpClient: 'dhclient', leaseTimeoutMs: 20000, onLeaseTimeout: 'continue', macFrom: 'identity', mac: '02:aa:bb:cc:dd:ee', prevResult: { ips: [] }, validAttachments: [{ containerId: 'c1', ifname: 'eth0' }] });
  });

  it.each([
    ['an unsupported version (code 1 before anything else)', { cniVersion: '0.2.0', foo: 1 }, 'INCOMPATIBLE_CNI_VERSION', 'cniVersion "0.2.0" is not supported by ipper (supported: 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0): set "cniVersion" in the network config to one of them'],
    ['no version', { cniVersion: undefined }, 'INVALID_CONFIG', 'cniVersion: missing from the network config (for example "cniVersion": "1.1.0")'],
    ['an unknown key', { foo: [1, 2] }, 'UNSUPPORTED_FIELD', 'unsupported key "foo" (value [1,2]) in network "lan": ipper does not know it'],
    ['ipam', { ipam: { type: 'dhcp' } }, 'UNSUPPORTED_FIELD', 'unsupported key "ipam" (value {"type":"dhcp"}) in network "lan": ipper gets the address by DHCP itself: remove "ipam"'],
    ['a host key', { stateDir: '/x' }, 'UNSUPPORTED_FIELD', 'unsupported key "stateDir" (value "/x") in network "lan": it belongs in the host config (/etc/ipper/config.json), not in a network'],
    ['interface', { interface: 'eth1' }, 'UNSUPPORTED_FIELD', 'unsupported key "interface" (value "eth1") in network "lan": the runtime names the interface (CNI_IFNAME)'],
    ['a bad bridge', { bridge: 'br/0' }, 'INVALID_CONFIG', 'invalid network config: bridge: must be an interface name (1-15 of A-Z a-z 0-9 _ . -)'],
    ['a bad timeout', { leaseTimeoutMs: 5 }, 'INVALID_CONFIG', 'invalid network config: leaseTimeoutMs: must be at least 100'],
    ['a client ipper has no driver for', { dhcpClient: 'pump' }, 'INVALID_CONFIG', expect.stringMatching(/^invalid network config: dhcpClient: /)],
    ['another type', { type: 'bridge' }, 'INVALID_CONFIG', 'invalid network config: type: must be "ipper"'],
    ['a bad name', { name: '-lan' }, 'INVALID_CONFIG', 'invalid network config: name: must start with a letter or digit and hold only letters, digits and _ . -'],
    ['ipv4 off', { ipv4: 'off' }, 'INVALID_CONFIG', 'invalid network config: ipv4: must be "dhcp" (the CNI plugin needs an IPv4 lease for its result)'],
    ['an ipv6 mode ipper does not have', { ipv6: 'stateful' }, 'INVALID_CONFIG', 'invalid network config: ipv6: must be one of "off", "slaac", "dhcpv6", "auto"'],
    ['a bad mac', { runtimeConfig: { mac: '01:00:5e:00:00:01' } }, 'INVALID_CONFIG', expect.stringMatching(/^invalid network config: runtimeConfig.mac: "01:00:5e:00:00:01" /)],
  ])('%s', (_name, extra, code, message) => {
    const error = errorOf(() => parseNetConf({ ...base, ...extra }, 'ADD', host));
    expect(error.code).toBe(code);
    expect(error.message).toEqual(message);
  });

  it.each([
    ['CHECK', '0.3.1', 'CHECK needs cniVersion 0.4.0 or later; the network config says 0.3.1'],
    ['STATUS', '1.0.0', 'STATUS needs cniVersion 1.1.0 or later; the network config says 1.0.0'],
    ['GC', '0.4.0', 'GC needs cniVersion 1.1.0 or later; the network config says 0.4.0'],
  ] as const)('%s with cniVersion %s is refused', (command, cniVersion, message) => {
    const error = errorOf(() => parseNetConf({ ...base, cniVersion }, command, host));
    expect(error).toMatchObject({ code: 'INCOMPATIBLE_CNI_VERSION', message });
  });
});

describe('hostConfigPath', () => {
  it.each([
    [{}, undefined],
    [{ hostConfig: '/etc/ipper/lan2.json' }, '/etc/ipper/lan2.json'],
  ])('%j: %j', (json, path) => {
    expect(hostConfigPath(json)).toBe(path);
  });

  it.each([['etc/ipper.json'], [42]])('%j is refused before anything is read', (hostConfig) => {
    expect(errorOf(() => hostConfigPath({ hostConfig }))).toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/^invalid network config: hostConfig: must be an absolute path, not /) });
  });
});

describe('decodeConfig', () => {
  it.each(['', 'nope', '[]', 'null', '"x"'])('%j is a decode error', (text) => {
    expect(errorOf(() => decodeConfig(text)).code).toBe('INVALID_REQUEST');
  });
});
