// Every DHCP client driver by the name the config uses (dhcpClient).
import { realpathSync } from 'node:fs';
import { IpperError } from '../errors.js';
import { toolPath } from '../sys/tools.js';
import { dhclient } from './dhclient.js';
import { dhcpcd } from './dhcpcd.js';
import type { DhcpClientName, DhcpDriver } from './driver.js';
import { udhcpc } from './udhcpc.js';

export const DRIVERS: Readonly<Record<DhcpClientName, DhcpDriver>> = { udhcpc, dhclient, dhcpcd };

export function driverFor(name: DhcpClientName): DhcpDriver {
  return DRIVERS[name];
}

/** A container's client, by its record: records written before there was a choice name none, and meant udhcpc. */
export function driverOfRecord(record: { dhcpClient?: DhcpClientName | undefined }): DhcpDriver {
  return DRIVERS[record.dhcpClient ?? 'udhcpc'];
}

/** The client's executable, or a TOOL_MISSING error that names the package to install. */
export function clientProgram(driver: DhcpDriver): string {
  try {
    return toolPath(driver.program);
  } catch (error) {
    throw new IpperError('TOOL_MISSING', `DHCP client "${driver.name}" (config dhcpClient) is not installed: install the Debian package ${driver.debianPackage}`, { cause: error });
  }
}

/**
 * The file each installed client's /proc/<pid>/exe names, and its driver: how garbage collection
 * recognises a client (and tells it from the event helper it runs).
 */
export function installedClientExecutables(): Map<string, DhcpClientName> {
  const executables = new Map<string, DhcpClientName>();
  for (const driver of Object.values(DRIVERS)) {
    try {
      executables.set(realpathSync(toolPath(driver.program)), driver.name);
    } catch {
      // not installed: none of its processes can run
    }
  }
  return executables;
}
