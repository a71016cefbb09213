import type { LabOptions } from './lab.js';

/** The demo's lab; tests use their own names and subnets so that they never disturb it. */
export const DEMO_LAB: LabOptions = {
  name: 'ipperlab',
  subnet: '10.97.61',
  domain: 'ipper.test',
  dir: '/run/ipper-lab/ipperlab',
  /** Router advertisements with a SLAAC prefix: the demo container is dual stack. */
  ra: 'ra-only',
};
