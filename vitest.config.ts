import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/cluster/**/*.test.ts', 'test/support/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/cluster/global-setup.ts'],
          // A real kube-apiserver on 2 cores: generous per-test limits, a couple of files at a time.
          testTimeout: 120_000,
          hookTimeout: 180_000,
          maxWorkers: 3,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          // The chart installed on a real node (kubelet, containerd): after the other projects, so
          // the node's Pods do not compete with them for the 2 cores, and one file at a time.
          sequence: { groupOrder: 1 },
          testTimeout: 300_000,
          hookTimeout: 900_000,
          maxWorkers: 1,
          fileParallelism: false,
        },
      },
    ],
  },
});
