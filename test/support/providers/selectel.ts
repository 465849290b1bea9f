/**
 * Test wiring: a started simulator with one service user, and adapters pointed at it. Used by the
 * Selectel client and simulator tests (and usable by integration tests).
 */

import type { DesiredRegistry, TokenRegistry } from '../../../src/clients/provider.ts';
import {
  createSelectelProvider,
  type SelectelProviderOptions,
} from '../../../src/clients/selectel/adapter.ts';
import type { SimServiceUser } from '../../../src/simulators/selectel/identity.ts';
import {
  SelectelSimulator,
  type SelectelSimulatorOptions,
} from '../../../src/simulators/selectel/simulator.ts';
import type { SimRegistry } from '../../../src/simulators/selectel/state.ts';

/** The project of the test service user. */
export const TEST_PROJECT = '0123456789abcdef0123456789abcdef';

/** A second project, whose registries the first one must not see. */
export const OTHER_PROJECT = 'fedcba9876543210fedcba9876543210';

/** The test service user (member of {@link TEST_PROJECT}). */
export const TEST_USER: SimServiceUser = {
  username: 'berth-service-user',
  password: 'Service-User-Pa55word!',
  accountId: '123456',
  projects: [TEST_PROJECT],
};

/** A running simulator plus what tests need to talk to it. */
export interface SelectelTestBed {
  sim: SelectelSimulator;
  /** Builds a provider for the test project with the test user (options override). */
  provider(options?: Partial<SelectelProviderOptions>): ReturnType<typeof createSelectelProvider>;
  stop(): Promise<void>;
}

/** Starts a simulator with {@link TEST_USER} and short process durations. */
export async function startSelectelTestBed(options: SelectelSimulatorOptions = {}): Promise<SelectelTestBed> {
  const sim = new SelectelSimulator({
    createDurationMs: 50,
    deleteDurationMs: 50,
    gcDurationMs: 50,
    registryHost: '127.0.0.1:5000',
    users: [TEST_USER],
    ...options,
  });
  await sim.start();
  return {
    sim,
    provider: (overrides = {}) =>
      createSelectelProvider({
        projectId: TEST_PROJECT,
        credentials: {
          username: TEST_USER.username,
          password: TEST_USER.password,
          accountId: TEST_USER.accountId,
        },
        apiEndpoint: sim.apiEndpoint,
        identityEndpoint: sim.identityEndpoint,
        registryHost: sim.registryHost,
        // Retries wait for nothing in tests unless a test injects its own sleep.
        sleep: async () => {},
        // The adapter judges expiry by the simulator's clock, which tests move forward.
        now: () => sim.state.now(),
        ...overrides,
      }),
    stop: () => sim.stop(),
  };
}

/** The desired state of a Selectel registry in the test project. */
export function desiredRegistry(name: string, projectId = TEST_PROJECT): DesiredRegistry {
  return { provider: 'selectel', name, settings: { name, projectId } };
}

/** A TokenRegistry for a simulated registry. */
export function tokenRegistry(sim: SelectelSimulator, registry: SimRegistry): TokenRegistry {
  return {
    externalId: registry.id,
    name: registry.name,
    server: sim.registryHost,
    desired: desiredRegistry(registry.name, registry.projectId),
  };
}
