/**
 * Test wiring shared by the Quay contract tests: a started simulator, an adapter pointed at it
 * (retry sleeps recorded instead of waited, generous client limits), and request-body capture.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import type { z } from 'zod';
import { Redactor } from '../../../src/clients/http/redact.ts';
import type { DesiredRegistry, TokenRegistry } from '../../../src/clients/provider.ts';
import {
  createQuayProvider,
  type QuayProvider,
  type QuayProviderOptions,
} from '../../../src/clients/quay/adapter.ts';
import type { QuaySchema } from '../../../src/crds/providers.ts';
import { QuaySimulator, type QuaySimulatorOptions } from '../../../src/simulators/quay/simulator.ts';

/** The quay block of a ContainerRegistry, as parsed. */
type QuaySettings = z.output<typeof QuaySchema>;

/** The simulator's route of a robot create, as its request log names it. */
export const ROBOT_PUT = 'PUT /api/v1/organization/:org/robots/:robot';

/** The path of one robot, for faults matched by path. */
export const robotPath = /\/robots\/[^/]+$/;

/** A request the adapter sent, with its JSON body. */
export interface SentRequest {
  method: string;
  path: string;
  body: unknown;
}

/** A simulator and an adapter talking to it. */
export interface QuayHarness {
  sim: QuaySimulator;
  provider: QuayProvider;
  url: string;
  /** Retry delays the HttpClient asked for (never actually waited). */
  delays: number[];
  /** Every request the adapter sent, bodies parsed. */
  sent: SentRequest[];
  redactor: Redactor;
  /** A second adapter with other options (another token, say) against the same simulator. */
  connect(options?: Partial<QuayProviderOptions>): QuayProvider;
  /**
   * The desired registry for an organization, as a valid ContainerRegistry has it: with an e-mail
   * (`ops@<org>.example`) unless `email: undefined` is given.
   */
  desired(organization: string, settings?: Partial<QuaySettings>): DesiredRegistry;
  /** The TokenRegistry of an organization (its desired registry with `settings`). */
  registry(organization: string, settings?: Partial<QuaySettings>): TokenRegistry;
  close(): Promise<void>;
}

/** Records request bodies on their way out (undici interceptor). */
function capturing(sent: SentRequest[]): Dispatcher {
  return new Agent().compose((dispatch) => (opts, handler) => {
    const raw = typeof opts.body === 'string' ? opts.body : undefined;
    sent.push({
      method: opts.method,
      path: opts.path,
      body: raw === undefined ? undefined : JSON.parse(raw),
    });
    return dispatch(opts, handler);
  });
}

/** Starts a simulator (registry host `registry.test:5000` unless given) and an adapter for it. */
export async function startQuay(
  simOptions: QuaySimulatorOptions = {},
  providerOptions: Partial<QuayProviderOptions> = {},
): Promise<QuayHarness> {
  const sim = new QuaySimulator({ registryHost: 'registry.test:5000', ...simOptions });
  const url = await sim.start();
  const delays: number[] = [];
  const sent: SentRequest[] = [];
  const redactor = new Redactor();
  const dispatcher = capturing(sent);
  const connect = (options: Partial<QuayProviderOptions> = {}) =>
    createQuayProvider({
      baseUrl: url,
      token: sim.token,
      registryHost: sim.registryHost,
      dispatcher,
      redactor,
      limits: { qps: 10_000, burst: 10_000, concurrency: 16 },
      sleep: async (ms) => {
        delays.push(ms);
      },
      ...providerOptions,
      ...options,
    });
  const desired = (organization: string, settings: Partial<QuaySettings> = {}): DesiredRegistry => {
    const merged: QuaySettings = { url, organization, email: `ops@${organization}.example`, ...settings };
    if (merged.email === undefined) delete merged.email;
    return { provider: 'quay', name: organization, settings: merged };
  };
  return {
    sim,
    provider: connect(),
    url,
    delays,
    sent,
    redactor,
    connect,
    desired,
    registry: (organization, settings) => ({
      externalId: organization,
      name: organization,
      server: sim.registryHost,
      desired: desired(organization, settings),
    }),
    close: async () => {
      await sim.stop();
      await dispatcher.close();
    },
  };
}

/** A recorded response body from src/clients/quay/testdata (sources in its README.md). */
export function recorded(name: string): unknown {
  return JSON.parse(
    readFileSync(
      join(import.meta.dirname, '..', '..', '..', 'src', 'clients', 'quay', 'testdata', `${name}.json`),
      'utf8',
    ),
  );
}
