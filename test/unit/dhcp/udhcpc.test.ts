import { describe, expect, it } from 'vitest';
import { parseClientEvent, udhcpcArgs } from '../../../src/dhcp/udhcpc.js';

const env = (...entries: string[]): string => `${entries.join('\0')}\0`;
const NO_FIELDS = { ip: undefined, mask: undefined, router: undefined, dns: undefined, domain: undefined, serverid: undefined, lease: undefined, mtu: undefined, search: undefined, staticroutes: undefined };

describe('parseClientEvent', () => {
  it('reads a bound event', () => {
    const text = 'IPPER_EVENT=bound\0IPPER_CONTAINER=abc\0IPPER_TOKEN=t\0ip=10.0.0.5\0mask=24\0router=10.0.0.1\0dns=10.0.0.1\0';
    expect(parseClientEvent(text)).toStrictEqual({
      event: 'bound',
      containerId: 'abc',
      token: 't',
      fields: { ...NO_FIELDS, ip: '10.0.0.5', mask: '24', router: '10.0.0.1', dns: '10.0.0.1' },
    });
  });

  it('reads every lease field and ignores other variables', () => {
    const text = env('PATH=/bin', 'IPPER_SPOOL=/run/ipper/spool', 'IPPER_EVENT=renew', 'IPPER_CONTAINER=c1', 'IPPER_TOKEN=tok', 'interface=eth0',
      'ip=10.0.0.5', 'mask=24', 'router=10.0.0.1', 'dns=1.1.1.1 8.8.8.8', 'domain=lan', 'serverid=10.0.0.1', 'lease=3600', 'mtu=1500', 'search=a.lan b.lan', 'staticroutes=10.1.0.0/16 10.0.0.1', '=junk', 'noequals');
    expect(parseClientEvent(text)).toStrictEqual({
      event: 'renew',
      containerId: 'c1',
      token: 'tok',
      fields: { ip: '10.0.0.5', mask: '24', router: '10.0.0.1', dns: '1.1.1.1 8.8.8.8', domain: 'lan', serverid: '10.0.0.1', lease: '3600', mtu: '1500', search: 'a.lan b.lan', staticroutes: '10.1.0.0/16 10.0.0.1' },
    });
  });

  it.each(['deconfig', 'bound', 'renew', 'nak', 'leasefail'])('knows event %s', (event) => {
    expect(parseClientEvent(env(`IPPER_EVENT=${event}`, 'IPPER_CONTAINER=abc', 'IPPER_TOKEN=t'))?.event).toBe(event);
  });

  it.each([
    ['no token', env('IPPER_EVENT=bound', 'IPPER_CONTAINER=abc')],
    ['no container', env('IPPER_EVENT=bound', 'IPPER_TOKEN=t')],
    ['no event', env('IPPER_CONTAINER=abc', 'IPPER_TOKEN=t')],
    ['unknown event', env('IPPER_EVENT=reboot', 'IPPER_CONTAINER=abc', 'IPPER_TOKEN=t')],
    ['event with a newline', env('IPPER_EVENT=bound\n', 'IPPER_CONTAINER=abc', 'IPPER_TOKEN=t')],
    ['newline-separated', 'IPPER_EVENT=bound\nIPPER_CONTAINER=abc\nIPPER_TOKEN=t\n'],
    ['empty', ''],
  ])('%s → undefined', (_name, text) => {
    expect(parseClientEvent(text)).toBeUndefined();
  });

  it('keeps a value with newlines and "=" as one value', () => {
    const event = parseClientEvent(env('IPPER_EVENT=bound', 'IPPER_CONTAINER=abc', 'IPPER_TOKEN=t', 'domain=lan\nIPPER_TOKEN=evil\nip=6.6.6.6', 'ip=10.0.0.5'));
    expect(event?.token).toBe('t');
    expect(event?.fields.domain).toBe('lan\nIPPER_TOKEN=evil\nip=6.6.6.6');
    expect(event?.fields.ip).toBe('10.0.0.5');
  });

  it('cuts a value at 4096 characters', () => {
    const event = parseClientEvent(env('IPPER_EVENT=bound', 'IPPER_CONTAINER=abc', 'IPPER_TOKEN=t', `domain=${'d'.repeat(10_000)}`));
    expect(event?.fields.domain).toBe('d'.repeat(4096));
  });
});

describe('udhcpcArgs', () => {
  it('runs in the foreground, releases on exit, uses the script and sends the hostname', () => {
    expect(udhcpcArgs({ interface: 'eth0', hostname: 'web-1', scriptPath: '/run/ipper/event.sh' })).toStrictEqual([
      '-f', '-R', '-i', 'eth0', '-s', '/run/ipper/event.sh', '-x', 'hostname:web-1', '-O', 'mtu', '-O', 'search', '-O', 'staticroutes', '-t', '3', '-T', '2', '-A', '5',
    ]);
  });

  it('neither quits (-q) nor gives up (-n)', () => {
    const args = udhcpcArgs({ interface: 'eth0', hostname: 'h', scriptPath: '/s' });
    expect(args).not.toContain('-q');
    expect(args).not.toContain('-n');
  });
});
