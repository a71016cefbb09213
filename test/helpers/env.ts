// One test file's world: its own lab (namespaces, dnsmasq), state dir, log and ipper config.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { destroyLab, ensureLab, type Lab, type LabOptions } from '../lab/lab.js';
import { isPidAlive } from './host.js';

export interface TestWorld {
  lab: Lab;
  labOptions: LabOptions;
  dir: string;
  stateDir: string;
  logFile: string;
  configPath: string;
  writeConfig: (extra?: Record<string, unknown>) => void;
  stopSupervisor: () => Promise<void>;
  destroy: () => Promise<void>;
}

export function createWorld(name: string, subnet: string, config: Record<string, unknown> = {}): TestWorld {
  const dir = mkdtempSync(`/tmp/ipper-${name}-`);
  const labOptions: LabOptions = { name, subnet, domain: `${name}.test`, dir: `${dir}/lab` };
  destroyLab(labOptions);
  mkdirSync(labOptions.dir, { recursive: true });
  const lab = ensureLab(labOptions);
  const stateDir = `${dir}/state`;
  const logFile = `${dir}/ipper.log`;
  const configPath = `${dir}/config.json`;
  const writeConfig = (extra: Record<string, unknown> = {}): void => {
    writeFileSync(configPath, JSON.stringify({ bridge: lab.bridge, stateDir, logFile, logLevel: 'debug', ...config, ...extra }, null, 2));
  };
  writeConfig();
  const stopSupervisor = async (): Promise<void> => {
    let pid: number;
    try {
      pid = Number(readFileSync(`${stateDir}/supervisor.pid`, 'utf8').trim());
    } catch {
      return;
    }
    if (!Number.isInteger(pid) || pid <= 0 || !isPidAlive(pid)) return;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 250 && isPidAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  return {
    lab,
    labOptions,
    dir,
    stateDir,
    logFile,
    configPath,
    writeConfig,
    stopSupervisor,
    destroy: async () => {
      await stopSupervisor();
      destroyLab(labOptions);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
