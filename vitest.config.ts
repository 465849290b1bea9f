import { defineConfig } from 'vitest/config';
import { shiftedClockEnv } from './test/support/clock-shift.ts';

// BERTH_TEST_CLOCK=00:30Z (or "month-end 23:50Z", or a moment) runs the unit and integration tests,
// and the Node processes they start, on a clock shifted there; the control plane keeps the host's
// (docs/adr/019-shifted-clock-tests.md). Not the e2e tests: their operator runs in a container.
const shifted = shiftedClockEnv(process.env);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          env: shifted,
          include: ['src/**/*.test.ts', 'test/cluster/**/*.test.ts', 'test/support/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          env: shifted,
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
