import { describe, expect, it } from 'vitest';
import { diagnoseLeaseTimeout, type LeaseTimeoutFacts } from '../../../src/dhcp/diagnose.js';
import { udhcpc } from '../../../src/dhcp/udhcpc.js';

/** The facts as the supervisor gathers them for a udhcpc client: its driver reads the log. */
const facts = (fields: Omit<LeaseTimeoutFacts, 'seen'>): LeaseTimeoutFacts => ({ ...fields, seen: udhcpc.exchangeSeen(fields.clientLog) });

const HINT = '; br_netfilter is loaded with bridge-nf-call-iptables=1, so iptables FORWARD rules (Docker sets policy DROP) see bridged DHCP: allow it, or set net.bridge.bridge-nf-call-iptables=0';
const DISCOVERS = 'udhcpc: started, v1.35.0\nudhcpc: broadcasting discover\nudhcpc: broadcasting discover\nudhcpc: broadcasting discover\n';
const NO_OFFER = '3 DHCPDISCOVER sent on bridge "br0", no DHCPOFFER came back: is a DHCP server reachable on that bridge, with free addresses?';
const SELECT = 'udhcpc: broadcasting discover\nudhcpc: broadcasting select for 10.0.0.5, server 10.0.0.1\nudhcpc: broadcasting discover\n';
const NO_ACK = 'a server offered an address but never acknowledged the request (1 DHCPREQUEST sent; DHCPNAK, or the ACK was lost)';

describe('diagnoseLeaseTimeout', () => {
  it.each([
    ['', undefined, 'the DHCP client sent nothing'],
    ['\n  \n', undefined, 'the DHCP client sent nothing'],
    ['udhcpc: started, v1.35.0\nudhcpc: SIOCGIFINDEX: No such device\n', undefined, 'the DHCP client sent nothing (it said: udhcpc: SIOCGIFINDEX: No such device)'],
    [`x${'y'.repeat(300)}`, '1\n', `the DHCP client sent nothing (it said: x${'y'.repeat(199)})`],
    [DISCOVERS, undefined, NO_OFFER],
    [DISCOVERS, '0\n', NO_OFFER],
    [DISCOVERS, '1\n', NO_OFFER + HINT],
    ['udhcpc: sending discover\nudhcpc: sending discover\n', undefined, NO_OFFER.replace('3 DHCPDISCOVER', '2 DHCPDISCOVER')],
    [SELECT, undefined, NO_ACK],
    [SELECT, '0', NO_ACK],
    [SELECT, '1\n', NO_ACK + HINT],
    [`${SELECT}udhcpc: sending select for 10.0.0.5\n`, undefined, NO_ACK.replace('(1 DHCPREQUEST', '(2 DHCPREQUEST')],
  ])('%j with bridge-nf-call-iptables %j', (clientLog, bridgeNfCallIptables, expected) => {
    expect(diagnoseLeaseTimeout(facts({ clientLog, bridge: 'br0', bridgeNfCallIptables }))).toBe(expected);
  });

  it('names the bridge', () => {
    expect(diagnoseLeaseTimeout(facts({ clientLog: 'udhcpc: broadcasting discover\n', bridge: 'lab0', bridgeNfCallIptables: undefined }))).toBe(
      '1 DHCPDISCOVER sent on bridge "lab0", no DHCPOFFER came back: is a DHCP server reachable on that bridge, with free addresses?',
    );
  });
});

describe('diagnoseLeaseTimeout reads older busybox output', () => {
  it('counts "Sending discover..." lines', () => {
    expect(diagnoseLeaseTimeout(facts({ clientLog: 'Sending discover...\nSending discover...\n', bridge: 'br0', bridgeNfCallIptables: undefined }))).toMatch(/^2 DHCPDISCOVER sent on bridge "br0"/);
  });
});
