import { describe, expect, it } from 'vitest';
import { deconfigCommands, leaseCommands } from '../../../src/dhcp/apply.js';

const A = { ip: '10.0.0.5', prefixLen: 24, router: '10.0.0.1' };

describe('leaseCommands', () => {
  it.each([
    ['first bind', null, A, ['addr replace 10.0.0.5/24 broadcast + dev eth0', 'route replace default via 10.0.0.1 dev eth0']],
    ['renew, same address', A, A, ['addr replace 10.0.0.5/24 broadcast + dev eth0', 'route replace default via 10.0.0.1 dev eth0']],
    ['renew, new router', A, { ...A, router: '10.0.0.254' }, ['addr replace 10.0.0.5/24 broadcast + dev eth0', 'route replace default via 10.0.0.254 dev eth0']],
    ['address change', A, { ip: '10.0.0.9', prefixLen: 24, router: '10.0.0.1' },
      ['addr flush dev eth0', 'addr replace 10.0.0.9/24 broadcast + dev eth0', 'route replace default via 10.0.0.1 dev eth0']],
    ['prefix change', A, { ...A, prefixLen: 16 },
      ['addr flush dev eth0', 'addr replace 10.0.0.5/16 broadcast + dev eth0', 'route replace default via 10.0.0.1 dev eth0']],
    ['first bind, no router', null, { ip: '10.0.0.5', prefixLen: 24 }, ['addr replace 10.0.0.5/24 broadcast + dev eth0', 'route flush exact 0.0.0.0/0 dev eth0']],
    ['router withdrawn', A, { ip: '10.0.0.5', prefixLen: 24 }, ['addr replace 10.0.0.5/24 broadcast + dev eth0', 'route flush exact 0.0.0.0/0 dev eth0']],
  ] as const)('%s', (_name, previous, next, expected) => {
    expect(leaseCommands('eth0', previous, next)).toStrictEqual(expected);
  });

  it('an extra interface: the router is never the default route, and none is left through it', () => {
    expect(leaseCommands('eth1', null, A, undefined, { defaultRoute: false })).toStrictEqual([
      'addr replace 10.0.0.5/24 broadcast + dev eth1', 'route flush exact 0.0.0.0/0 dev eth1',
    ]);
  });

  it('names the given interface', () => {
    expect(leaseCommands('lan1', A, { ...A, ip: '10.0.0.6' })).toStrictEqual([
      'addr flush dev lan1', 'addr replace 10.0.0.6/24 broadcast + dev lan1', 'route replace default via 10.0.0.1 dev lan1',
    ]);
  });
});

describe('leaseCommands with static routes and an MTU', () => {
  const R = { ...A, routes: [{ to: '10.20.0.0/16', via: '10.0.0.2' }, { to: '172.16.0.0/12' }] };

  it('sets the MTU first, then the address, the default and each route', () => {
    expect(leaseCommands('eth0', null, R, 1400)).toStrictEqual([
      'link set dev eth0 mtu 1400',
      'addr replace 10.0.0.5/24 broadcast + dev eth0',
      'route replace default via 10.0.0.1 dev eth0',
      'route replace 10.20.0.0/16 via 10.0.0.2 dev eth0',
      'route replace 172.16.0.0/12 dev eth0 scope link',
    ]);
  });

  it('on a renew, removes the routes the server no longer sends', () => {
    expect(leaseCommands('eth0', R, { ...A, routes: [{ to: '172.16.0.0/12' }] })).toStrictEqual([
      'addr replace 10.0.0.5/24 broadcast + dev eth0',
      'route replace default via 10.0.0.1 dev eth0',
      'route flush exact 10.20.0.0/16 dev eth0',
      'route replace 172.16.0.0/12 dev eth0 scope link',
    ]);
  });

  it('on a new address, the flush takes the old routes and only the new ones are added', () => {
    expect(leaseCommands('eth0', R, { ip: '10.0.0.9', prefixLen: 24 })).toStrictEqual([
      'addr flush dev eth0',
      'addr replace 10.0.0.9/24 broadcast + dev eth0',
      'route flush exact 0.0.0.0/0 dev eth0',
    ]);
  });
});

describe('deconfigCommands', () => {
  it('flushes every address', () => {
    expect(deconfigCommands('eth0')).toStrictEqual(['addr flush dev eth0']);
  });
});

describe('address lifetimes follow the lease', () => {
  it.each([
    [120, 'addr replace 10.0.0.5/24 broadcast + dev eth0 valid_lft 120 preferred_lft 120'],
    [0, 'addr replace 10.0.0.5/24 broadcast + dev eth0 valid_lft 30 preferred_lft 30'],
    [4294967295, 'addr replace 10.0.0.5/24 broadcast + dev eth0'],
  ])('lease of %i s', (leaseSeconds, line) => {
    expect(leaseCommands('eth0', null, { ...A, leaseSeconds })).toContain(line);
  });
});
