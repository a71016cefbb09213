import { defineConfig } from 'vitest/config';

// Three tiers: unit (pure, no root, parallel); netns (real ip, namespaces, dnsmasq, the built
// binary; root); e2e (real runc; root). The root tiers run one file at a time: they share the
// machine's namespaces list and process table.
export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'netns', include: ['test/netns/**/*.test.ts'], fileParallelism: false, testTimeout: 60_000, hookTimeout: 60_000 } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false, testTimeout: 180_000, hookTimeout: 60_000 } },
    ],
  },
});
