// One test file's world: its own lab (namespaces, dnsmasq), state dir, log and ipper config.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { driverFor } from '../../src/dhcp/drivers.js';
import type { DhcpClientName } from '../../src/dhcp/driver.js';
import { destroyLab, destroySecondLan, ensureLab, ensureSecondLan, type Lab, type LabOptions } from '../lab/lab.js';
import { isPidAlive } from './host.js';

export interface TestWorld {
  lab: Lab;
  /** A second bridge with its own DHCP server (createWorld's secondLan), in allowedBridges. */
  lan2: Lab | undefined;
  labOptions: LabOptions;
  dir: string;
  stateDir: string;
  /** The supervisor's ipper-helper: every DHCP client of this world runs it as its event script. */
  helper: string;
  logFile: string;
  configPath: string;
  writeConfig: (extra?: Record<string, unknown>) => void;
  /** Stops the supervisor of this world's state dir, or of another one its config named. */
  stopSupervisor: (stateDirOfIt?: string) => Promise<void>;
  destroy: () => Promise<void>;
}

/**
 * The DHCP client the root tiers run with: IPPER_TEST_DHCP_CLIENT=udhcpc|dhclient|dhcpcd (default
 * dhcpcd, ipper's own default; `npm run test:clients` runs the same files with the others).
 */
export const TEST_DHCP_CLIENT = (process.env['IPPER_TEST_DHCP_CLIENT'] ?? 'dhcpcd') as DhcpClientName;

/**
 * Makes a client renew now, the way its driver is asked to (DhcpDriver.renew); returns how long to
 * wait for the renewal. A client renewed by a restart (dhclient) ends on the signal and its
 * supervisor starts it again: the renewal comes from a new process. With `sameProcess` (a test
 * about this process's own events) such a client is not asked: it renews on its own timer, at
 * half the lab's 2-minute lease.
 */
export function askToRenew(pid: number, client: DhcpClientName = TEST_DHCP_CLIENT, options: { sameProcess?: boolean } = {}): number {
  const { renew } = driverFor(client);
  if (renew.kind === 'restart' && options.sameProcess === true) return 90_000;
  process.kill(pid, renew.kind === 'signal' ? renew.signal : renew.stopSignal);
  return 10_000;
}

export interface WorldExtra extends Pick<LabOptions, 'ra'> {
  /** A second LAN beside the first: its bridge (br1) and the first three octets of its /24. */
  secondLan?: { bridge: string; subnet: string };
}

export function createWorld(baseName: string, subnet: string, config: Record<string, unknown> = {}, extra: WorldExtra = {}): TestWorld {
  const { secondLan, ...labExtra } = extra;
  // IPPER_LAB_PREFIX lets two checkouts run their tests on one machine without sharing a lab.
  const name = `${process.env['IPPER_LAB_PREFIX'] ?? ''}${baseName}`;
  const dir = mkdtempSync(`/tmp/ipper-${name}-`);
  const labOptions: LabOptions = { name, subnet, domain: `${name}.test`, dir: `${dir}/lab`, ...labExtra };
  destroyLab(labOptions);
  mkdirSync(labOptions.dir, { recursive: true });
  const lab = ensureLab(labOptions);
  const lan2 = secondLan === undefined ? undefined : ensureSecondLan(lab, secondLan.bridge, secondLan.subnet);
  const stateDir = `${dir}/state`;
  const helperDir = `${dir}/lib`;
  const logFile = `${dir}/ipper.log`;
  const configPath = `${dir}/config.json`;
  const writeConfig = (extra: Record<string, unknown> = {}): void => {
    const allowed = lan2 === undefined ? {} : { allowedBridges: [lan2.bridge] };
    writeFileSync(configPath, JSON.stringify({ bridge: lab.bridge, stateDir, helperDir, logFile, logLevel: 'debug', dhcpClient: TEST_DHCP_CLIENT, ...allowed, ...config, ...extra }, null, 2));
  };
  writeConfig();
  const stopSupervisor = async (stateDirOfIt = stateDir): Promise<void> => {
    let pid: number;
    try {
      pid = Number(readFileSync(`${stateDirOfIt}/supervisor.pid`, 'utf8').trim());
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 0 || !isPidAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 250 && isPidAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  return {
    lab,
    lan2,
    labOptions,
    dir,
    stateDir,
    helper: `${helperDir}/ipper-helper`,
    logFile,
    configPath,
    writeConfig,
    stopSupervisor,
    destroy: async () => {
      await stopSupervisor();
      if (lan2 !== undefined) destroySecondLan(lan2);
      destroyLab(labOptions);
      // IPPER_KEEP_WORLD=1 keeps the state dir and logs for a look after a failure.
      if (process.env['IPPER_KEEP_WORLD'] !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}
