import { defineConfig } from 'vitest/config';

// Three tiers: unit (pure, no root); netns (real ip, namespaces, dnsmasq, the built binary;
// root); e2e (real runc; root). Files run one at a time: the root tiers share the machine's
// namespace list and process table, and the unit tier is quick either way.
export default defineConfig({
  test: {
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'netns', include: ['test/netns/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'] } },
    ],
  },
});
