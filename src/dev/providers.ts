import { join } from 'node:path';
import { type RunningSimulators, type StartSimulatorsOptions, startSimulators } from '../simulators/all.ts';
import { freePort } from './ports.ts';
import { PortInUseError, type RunningRegistry, startRegistryWithTokenAuth } from './registry.ts';

/** The provider simulators and the real registry whose logins they check and whose contents they list. */
export interface SimulatorsWithRegistry {
  sims: RunningSimulators;
  registry: RunningRegistry;
  /** Stops the registry, then the simulators. */
  stop(): Promise<void>;
}

/** Attempts before giving up on a port that keeps being taken. */
const ATTEMPTS = 5;

/**
 * Starts the simulators, which must know the registry's host before it runs, and the registry,
 * which must know their token service: the port is chosen first and is free when chosen, but with
 * test files starting servers side by side another process can take it before the registry binds
 * (seen in CI: "bind: address already in use"). Then both start again on another port.
 */
export async function startSimulatorsWithRegistry(
  options: Omit<StartSimulatorsOptions, 'registryHost'> = {},
): Promise<SimulatorsWithRegistry> {
  const address = options.host ?? '127.0.0.1';
  for (let attempt = 1; ; attempt++) {
    const port = await freePort(address);
    const sims = await startSimulators({ ...options, registryHost: `${address}:${port}` });
    try {
      const registry = await startRegistryWithTokenAuth(sims.endpoints.tokenService, port, address);
      // startRegistry keeps its filesystem storage under `storage` in its directory.
      sims.attachRegistry({ storageDir: join(registry.dir, 'storage') });
      return {
        sims,
        registry,
        async stop() {
          await registry.stop();
          await sims.stop();
        },
      };
    } catch (err) {
      await sims.stop();
      if (!(err instanceof PortInUseError) || attempt >= ATTEMPTS) throw err;
    }
  }
}
