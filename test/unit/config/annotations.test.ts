import { describe, expect, it } from 'vitest';
import { resolveAddressModes, resolveContainerSettings } from '../../../src/config/annotations.js';
import { parseConfig } from '../../../src/config/load.js';
import { IpperError } from '../../../src/errors.js';

const config = parseConfig('{"bridge":"br0","allowedBridges":["lab0","br-lan.10"]}', 'test');
const ID = '3f9a1c2b7d4e5f60718293a4';

function errorOf(annotations: Record<string, string>): IpperError {
  try {
    resolveContainerSettings(config, ID, annotations);
  } catch (error) {
    expect(error).toBeInstanceOf(IpperError);
    return error as IpperError;
  }
  throw new Error('expected an error');
}

describe('resolveContainerSettings', () => {
  it.each([undefined, {}, { 'io.kubernetes.pod': 'x', 'org.opencontainers.image.title': 'y', ipper: 'z', 'ipperx.bridge': '$(x)' }])(
    'gives the defaults for %j',
    (annotations) => {
      expect(resolveContainerSettings(config, ID, annotations)).toStrictEqual({ bridge: 'br0', bridges: ['br0'], mac: undefined, hostname: '3f9a1c2b7d4e' });
    },
  );

  it.each([
    [{ 'ipper.bridge': 'br0' }, { bridge: 'br0', bridges: ['br0'], mac: undefined, hostname: '3f9a1c2b7d4e' }],
    [{ 'ipper.bridge': 'lab0' }, { bridge: 'lab0', bridges: ['lab0'], mac: undefined, hostname: '3f9a1c2b7d4e' }],
    [{ 'ipper.bridge': 'br-lan.10' }, { bridge: 'br-lan.10', bridges: ['br-lan.10'], mac: undefined, hostname: '3f9a1c2b7d4e' }],
    [{ 'ipper.mac': '02:AA:BB:CC:DD:EE' }, { bridge: 'br0', bridges: ['br0'], mac: '02:aa:bb:cc:dd:ee', hostname: '3f9a1c2b7d4e' }],
    [{ 'ipper.mac': '02-aa-bb-cc-dd-ee' }, { bridge: 'br0', bridges: ['br0'], mac: '02:aa:bb:cc:dd:ee', hostname: '3f9a1c2b7d4e' }],
    [{ 'ipper.mac': ' 52-54-00-AB-CD-EF ' }, { bridge: 'br0', bridges: ['br0'], mac: '52:54:00:ab:cd:ef', hostname: '3f9a1c2b7d4e' }],
    [{ 'ipper.hostname': 'web' }, { bridge: 'br0', bridges: ['br0'], mac: undefined, hostname: 'web' }],
    [{ 'ipper.hostname': 'a'.repeat(63) }, { bridge: 'br0', bridges: ['br0'], mac: undefined, hostname: 'a'.repeat(63) }],
    [{ 'ipper.hostname': 'Web-01' }, { bridge: 'br0', bridges: ['br0'], mac: undefined, hostname: 'Web-01' }],
  ])('%j → %j', (annotations, expected) => {
    expect(resolveContainerSettings(config, ID, annotations)).toStrictEqual(expected);
  });

  it.each([
    ['br0,lab0', ['br0', 'lab0']],
    ['lab0,br0', ['lab0', 'br0']],
    ['br0,lab0,br-lan.10', ['br0', 'lab0', 'br-lan.10']],
    ['br0,br0', ['br0', 'br0']],
  ])('ipper.bridge %s: one interface per bridge, the first is the first interface\'s', (annotation, bridges) => {
    expect(resolveContainerSettings(config, ID, { 'ipper.bridge': annotation })).toStrictEqual({ bridge: bridges[0], bridges, mac: undefined, hostname: '3f9a1c2b7d4e' });
  });

  const BRIDGE_NAME = 'annotation ipper.bridge: must be an interface name (1-15 of A-Z a-z 0-9 _ . -)';
  const HOSTNAME = 'annotation ipper.hostname: must be a DNS label (1-63 letters, digits, hyphens; no hyphen at either end)';
  const MULTICAST = 'is a multicast address (lowest bit of the first octet set)';
  const NOT_MAC = 'is not a MAC address (expected six hex octets, aa:bb:cc:dd:ee:ff)';
  it.each([
    [{ 'ipper.bridge': 'a;b' }, BRIDGE_NAME],
    [{ 'ipper.bridge': '$(x)' }, BRIDGE_NAME],
    [{ 'ipper.bridge': 'a/b' }, BRIDGE_NAME],
    [{ 'ipper.bridge': 'a b' }, BRIDGE_NAME],
    [{ 'ipper.bridge': '' }, BRIDGE_NAME],
    [{ 'ipper.bridge': 'b'.repeat(16) }, BRIDGE_NAME],
    [{ 'ipper.bridge': 'docker0' }, 'annotation ipper.bridge: "docker0" is not the configured bridge nor in allowedBridges'],
    [{ 'ipper.bridge': 'br0,docker0' }, 'annotation ipper.bridge: "docker0" is not the configured bridge nor in allowedBridges'],
    [{ 'ipper.bridge': 'br0,' }, 'annotation ipper.bridge: "" must be an interface name (1-15 of A-Z a-z 0-9 _ . -; several separated by ",")'],
    [{ 'ipper.bridge': 'br0, lab0' }, 'annotation ipper.bridge: " lab0" must be an interface name (1-15 of A-Z a-z 0-9 _ . -; several separated by ",")'],
    [{ 'ipper.bridge': 'br0;lab0' }, BRIDGE_NAME],
    [{ 'ipper.bridge': Array(9).fill('br0').join(',') }, 'annotation ipper.bridge: names 9 bridges; at most 8'],
    [{ 'ipper.mac': '01:00:5E:00:00:01' }, `annotation ipper.mac: "01:00:5E:00:00:01" ${MULTICAST}`],
    [{ 'ipper.mac': '00-00-00-00-00-00' }, 'annotation ipper.mac: "00-00-00-00-00-00" is all zeros'],
    [{ 'ipper.mac': 'FF:FF:FF:FF:FF:FF' }, 'annotation ipper.mac: "FF:FF:FF:FF:FF:FF" is the broadcast address'],
    [{ 'ipper.mac': 'garbage' }, `annotation ipper.mac: "garbage" ${NOT_MAC}`],
    [{ 'ipper.mac': `02:${'x'.repeat(60)}` }, `annotation ipper.mac: "02:${'x'.repeat(37)}" ${NOT_MAC}`],
    [{ 'ipper.hostname': 'a'.repeat(64) }, HOSTNAME],
    [{ 'ipper.hostname': 'my_host' }, HOSTNAME],
    [{ 'ipper.hostname': '-web' }, HOSTNAME],
    [{ 'ipper.hostname': 'web-' }, HOSTNAME],
    [{ 'ipper.hostname': 'web.example' }, HOSTNAME],
    [{ 'ipper.hostname': '' }, HOSTNAME],
    [{ 'ipper.hostname': 'web\n' }, HOSTNAME],
    [{ 'ipper.ip': '10.0.0.5' }, 'annotation ipper.ip: unknown (known: ipper.bridge, ipper.mac, ipper.hostname, ipper.ipv4, ipper.ipv6, ipper.clientId)'],
    [{ 'ipper.Bridge': 'br0' }, 'annotation ipper.Bridge: unknown (known: ipper.bridge, ipper.mac, ipper.hostname, ipper.ipv4, ipper.ipv6, ipper.clientId)'],
    [{ 'ipper.hostname': 'ok', 'ipper.': 'x' }, 'annotation ipper.: unknown (known: ipper.bridge, ipper.mac, ipper.hostname, ipper.ipv4, ipper.ipv6, ipper.clientId)'],
  ])('%j → %s', (annotations, message) => {
    const error = errorOf(annotations);
    expect(error.code).toBe('INVALID_ANNOTATION');
    expect(error.exitCode).toBe(65);
    expect(error.message).toBe(message);
  });
});

describe('resolveAddressModes', () => {
  const modes = (annotations: Record<string, string>, base: Partial<{ ipv4: 'dhcp' | 'off'; ipv6: 'off' | 'slaac' | 'dhcpv6' | 'auto' }> = {}) =>
    resolveAddressModes({ ipv4: base.ipv4 ?? 'dhcp', ipv6: base.ipv6 ?? 'auto' }, annotations);

  it('takes the config, overridden by the annotations', () => {
    expect(modes({})).toEqual({ ipv4: 'dhcp', ipv6: 'auto' });
    expect(modes({ 'ipper.ipv4': 'off', 'ipper.ipv6': 'slaac' })).toEqual({ ipv4: 'off', ipv6: 'slaac' });
    expect(modes({ 'ipper.ipv6': 'off' }, { ipv6: 'slaac' })).toEqual({ ipv4: 'dhcp', ipv6: 'off' });
    expect(modes({ 'ipper.ipv6': 'dhcpv6' })).toEqual({ ipv4: 'dhcp', ipv6: 'dhcpv6' });
  });

  it.each([
    [{ 'ipper.ipv4': 'static' }, 'annotation ipper.ipv4: "static" is not one of dhcp, off'],
    [{ 'ipper.ipv6': 'SLAAC' }, 'annotation ipper.ipv6: "SLAAC" is not one of off, slaac, dhcpv6, auto'],
    [{ 'ipper.ipv6': '' }, 'annotation ipper.ipv6: "" is not one of off, slaac, dhcpv6, auto'],
    [{ 'ipper.ipv4': 'off', 'ipper.ipv6': 'off' }, 'ipv4 and ipv6 are both off (config or ipper.ipv4/ipper.ipv6): the container would get no address'],
  ])('%j → %s', (annotations, message) => {
    expect(() => modes(annotations)).toThrow(message);
    try {
      modes(annotations);
    } catch (error) {
      expect((error as IpperError).code).toBe('INVALID_ANNOTATION');
    }
  });
});
