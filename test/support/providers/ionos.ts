/**
 * Test wiring: an IONOS simulator with short process times and the real adapter pointed at it,
 * with its own redactor and a recorded (not waited) retry sleep. Used by the adapter's contract
 * tests and the simulator's own tests; not imported by production code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import { Redactor } from '../../../src/clients/http/redact.ts';
import {
  createIonosProvider,
  type IonosProvider,
  type IonosProviderOptions,
} from '../../../src/clients/ionos/adapter.ts';
import type { IonosSettings } from '../../../src/clients/ionos/registries.ts';
import type { DesiredRegistry, ObservedRegistry, TokenRegistry } from '../../../src/clients/provider.ts';
import { IonosSimulator, type IonosSimulatorOptions } from '../../../src/simulators/ionos/simulator.ts';

/** A running simulator plus an adapter on it. */
export interface IonosHarness {
  sim: IonosSimulator;
  provider: IonosProvider;
  /** Every retry delay the HTTP client asked for (it does not really sleep). */
  sleeps: number[];
  redactor: Redactor;
  close(): Promise<void>;
}

/**
 * Starts a simulator (provisioning/deletion 100 ms; IONOS's real one-hour minimum token lifetime
 * unless `sim.minTokenLifetimeMs` says otherwise) and an adapter that knows the same minimum and
 * measures expiries on the simulator's clock.
 */
export async function startIonosHarness(
  options: {
    sim?: IonosSimulatorOptions;
    provider?: Partial<IonosProviderOptions>;
    auth?: 'basic' | 'token';
  } = {},
): Promise<IonosHarness> {
  const sim = new IonosSimulator({
    provisionDelayMs: 100,
    updateDelayMs: 0,
    deletionDelayMs: 100,
    ...options.sim,
  });
  const baseUrl = await sim.start();
  const sleeps: number[] = [];
  const redactor = new Redactor();
  const provider = createIonosProvider({
    baseUrl,
    credentials: options.auth === 'basic' ? sim.basicCredentials : { token: sim.apiToken },
    redactor,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    limits: { qps: 10_000, burst: 10_000, concurrency: 8 },
    timeoutMs: 5000,
    minTokenLifetimeMs: sim.minTokenLifetimeMs,
    now: () => sim.world.now(),
    ...options.provider,
  });
  return { sim, provider, sleeps, redactor, close: () => sim.stop() };
}

/** A desired IONOS registry with defaults (de/fra, no scanning). */
export function desiredIonos(name: string, settings: Partial<IonosSettings> = {}): DesiredRegistry {
  return {
    provider: 'ionos',
    name,
    settings: { location: 'de/fra', vulnerabilityScanning: false, ...settings },
  };
}

/** The TokenRegistry the token controller would pass for an observed registry. */
export function tokenRegistryOf(observed: ObservedRegistry, desired: DesiredRegistry): TokenRegistry {
  return { externalId: observed.externalId, name: observed.name, server: observed.server ?? '', desired };
}

/** A seeded, running registry as a TokenRegistry. */
export function seededTokenRegistry(sim: IonosSimulator, name: string): TokenRegistry {
  const registry = sim.addRegistry({ name });
  const desired = desiredIonos(name);
  return {
    externalId: registry.id,
    name,
    server: `${name}.cr.de-fra.ionos.com`,
    desired,
  };
}

/** A recorded example body from src/clients/ionos/testdata (see its README for the sources). */
export function recorded(name: string): unknown {
  const dir = join(import.meta.dirname, '..', '..', '..', 'src', 'clients', 'ionos', 'testdata');
  return JSON.parse(readFileSync(join(dir, name), 'utf8'));
}

/** A request as the adapter sent it. */
export interface SentRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/** An undici dispatcher that records what the adapter sends (headers and JSON bodies). */
export function recordingDispatcher(): { dispatcher: Dispatcher; sent: SentRequest[] } {
  const sent: SentRequest[] = [];
  const dispatcher = new Agent().compose(
    (dispatch: Dispatcher.Dispatch) =>
      (opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => {
        sent.push({
          method: opts.method,
          path: opts.path,
          headers: { ...(opts.headers as Record<string, string>) },
          body: typeof opts.body === 'string' ? JSON.parse(opts.body) : undefined,
        });
        return dispatch(opts, handler);
      },
  );
  return { dispatcher, sent };
}
