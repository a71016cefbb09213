// node dist/lab.cjs up|down|status: the built-in lab for the demo and by hand.
import { DEMO_LAB } from './defaults.js';
import { describeLab, destroyLab, ensureLab, isServerRunning, serverLeases } from './lab.js';

const command = process.argv[2];
if (command === 'up') {
  const lab = ensureLab(DEMO_LAB);
  console.log(JSON.stringify({ hostNs: lab.hostNs, bridge: lab.bridge, hostAddress: lab.hostAddress, server: lab.serverAddress, domain: lab.domain }));
} else if (command === 'down') {
  destroyLab(DEMO_LAB);
} else if (command === 'status') {
  const lab = describeLab(DEMO_LAB);
  console.log(JSON.stringify({ server: isServerRunning(lab), leases: serverLeases(lab) }, null, 2));
} else {
  console.error('usage: lab up|down|status');
  process.exitCode = 64;
}
