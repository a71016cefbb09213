// Containers run by real runc with the built binary as their hook, in one test world: the IPv6 and
// DHCPv6 suites start, inspect and remove them the same way.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { inNs, type Lab } from '../lab/lab.js';
import { Runc, ensureBusyboxRootfs, writeBundle } from '../lab/runc.js';
import type { ContainerRecord } from '../../src/store/records.js';
import { createWorld, type TestWorld } from './env.js';
import { IPPER, clientsOf, filesIn, linkNames, waitForRemoval } from './host.js';
import { inspect } from './network.js';

export interface Container {
  id: string;
  pid: number;
  bundleDir: string;
}

const HTTPD = ['/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www'];

/** Whether another lab machine gets an answer to one ping. */
export function peerPings(lab: Lab, address: string): boolean {
  return inNs(lab.peerNs, ['/bin/busybox', 'ping', '-c', '1', '-W', '2', address], { allowFail: true }).includes('1 packets received');
}

export class RuncContainers {
  readonly runc: Runc;

  constructor(
    readonly world: TestWorld,
    readonly rootfs: string,
  ) {
    this.runc = new Runc(world.lab, `${world.dir}/runc`, (id) => waitForRemoval(world.stateDir, id));
  }

  inspect(id: string): { Container: string; NetworkSettings: Record<string, unknown> } {
    return inspect(this.world, id);
  }

  record(id: string): ContainerRecord {
    return JSON.parse(readFileSync(`${this.world.stateDir}/containers/${id}.json`, 'utf8')) as ContainerRecord;
  }

  /** Runs a container; its stdout (what the process saw at its start) goes to <bundle>/runc-create.out. */
  start(annotations: Record<string, string> = {}, args = HTTPD, id = randomBytes(16).toString('hex'), rootfs = this.rootfs): Container {
    const bundleDir = `${this.world.dir}/bundles/${id.slice(0, 12)}-${randomBytes(3).toString('hex')}`;
    writeBundle({ bundleDir, rootfs, args, ipperPath: IPPER, ipperConfig: this.world.configPath, annotations });
    this.runc.create(id, bundleDir);
    this.runc.start(id);
    const state = this.runc.state(id);
    if (state === undefined) throw new Error(`runc has no container ${id}`);
    return { id, pid: state.pid, bundleDir };
  }

  /** createRuntime alone, expected to fail: runc's message. */
  failToCreate(annotations: Record<string, string>): string {
    const id = randomBytes(16).toString('hex');
    const bundleDir = `${this.world.dir}/bundles/${id.slice(0, 12)}`;
    writeBundle({ bundleDir, rootfs: this.rootfs, args: ['/bin/busybox', 'sleep', '60'], ipperPath: IPPER, ipperConfig: this.world.configPath, annotations });
    try {
      this.runc.create(id, bundleDir);
    } catch (error) {
      this.runc.remove(id);
      return (error as Error).message;
    }
    this.runc.remove(id);
    throw new Error('runc create succeeded');
  }

  removeAll(): void {
    for (const id of this.runc.list()) this.runc.remove(id);
  }

  /** Nothing of ipper's left: no container port on the bridge, no record, no DHCP client. */
  expectClean(baselineLinks: string[]): void {
    expect(linkNames(this.world.lab.hostNs)).toEqual(baselineLinks);
    expect(filesIn(`${this.world.stateDir}/containers`)).toEqual([]);
    expect(clientsOf(this.world.stateDir, { all: true })).toEqual([]);
  }
}

/** A test world with a busybox root filesystem for its containers, and the host's links before any. */
export function runcWorld(...args: Parameters<typeof createWorld>): { world: TestWorld; containers: RuncContainers; baseline: string[] } {
  const world = createWorld(...args);
  const rootfs = `${world.dir}/rootfs`;
  ensureBusyboxRootfs(rootfs);
  return { world, containers: new RuncContainers(world, rootfs), baseline: linkNames(world.lab.hostNs) };
}
