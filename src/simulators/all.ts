import { randomBytes } from 'node:crypto';
import { registryViewFor } from './core/view-bookkeeping.ts';
import { IonosSimulator } from './ionos/simulator.ts';
import { QuaySimulator } from './quay/simulator.ts';
import { SelectelSimulator } from './selectel/simulator.ts';
import { RegistryTokenService } from './token-service.ts';

/** Where the simulators listen and how to log in to them (simulator credentials, made per run). */
export interface SimulatorEndpoints {
  ionos: { baseUrl: string; token: string };
  selectel: {
    apiEndpoint: string;
    identityEndpoint: string;
    projectId: string;
    username: string;
    password: string;
    accountId: string;
  };
  quay: { url: string; token: string };
  /** The Docker registry token service: a registry's `auth.token` settings. */
  tokenService: { realm: string; service: string; issuer: string; jwks: unknown };
  /** The docker server host the simulators report for their registries. */
  registryHost: string;
}

/** All simulators and the token service, started together. */
export interface RunningSimulators {
  ionos: IonosSimulator;
  selectel: SelectelSimulator;
  quay: QuaySimulator;
  tokenService: RegistryTokenService;
  endpoints: SimulatorEndpoints;
  /**
   * Makes every simulator's repository and image listing a view of the real registry at
   * `registryHost`, read through tokens the token service signs for the simulators themselves;
   * `storageDir` (its filesystem storage, when on this machine) lets them list untagged manifests
   * they never saw tagged. Until then, and for seeded entries the registry lacks, they list seeds.
   */
  attachRegistry(options?: { storageDir?: string }): void;
  stop(): Promise<void>;
}

/** Options for {@link startSimulators}. */
export interface StartSimulatorsOptions {
  /** Docker host of the registry behind the simulators (default `127.0.0.1:5000`). */
  registryHost?: string;
  /** Provisioning and deletion times of the fake registries (default 2 s). */
  processMs?: number;
  /**
   * Shortest IONOS token lifetime the simulator accepts (default IONOS's real hour). A test that
   * needs quicker expiries says so here and gives the operator the same value
   * (`controllersWith({ ionosMinTokenLifetimeMs })`), or berth keeps asking for the hour.
   */
  ionosMinTokenLifetimeMs?: number;
  /**
   * The address to listen on (default 127.0.0.1). An end-to-end test uses the Pod network's
   * gateway, so that the operator running in a Pod reaches the simulators.
   */
  host?: string;
}

/**
 * Starts the IONOS, Selectel and Quay simulators and the registry token service that checks
 * logins against all three, on free loopback ports.
 */
export async function startSimulators(options: StartSimulatorsOptions = {}): Promise<RunningSimulators> {
  const registryHost = options.registryHost ?? '127.0.0.1:5000';
  const processMs = options.processMs ?? 2_000;
  const selectelUser = {
    username: 'berth-demo',
    password: randomBytes(12).toString('base64url'),
    accountId: String(100_000 + (randomBytes(2).readUInt16BE() % 900_000)),
    projects: [randomBytes(16).toString('hex')],
  };
  const ionos = new IonosSimulator({
    registryHost,
    provisionDelayMs: processMs,
    deletionDelayMs: processMs,
    ...(options.ionosMinTokenLifetimeMs === undefined
      ? {}
      : { minTokenLifetimeMs: options.ionosMinTokenLifetimeMs }),
  });
  const selectel = new SelectelSimulator({
    registryHost,
    users: [selectelUser],
    createDurationMs: processMs,
    deleteDurationMs: processMs,
  });
  const quay = new QuaySimulator({ registryHost });
  const tokenService = new RegistryTokenService({
    verifiers: [ionos.registryAccess, selectel.registryAccess, quay.registryAccess],
  });
  const host = options.host ?? '127.0.0.1';
  const ionosUrl = await ionos.start(0, host);
  await selectel.start(0, host);
  const quayUrl = await quay.start(0, host);
  await tokenService.start(0, host);
  return {
    ionos,
    selectel,
    quay,
    tokenService,
    endpoints: {
      ionos: { baseUrl: ionosUrl, token: ionos.apiToken },
      selectel: {
        apiEndpoint: selectel.apiEndpoint,
        identityEndpoint: selectel.identityEndpoint,
        projectId: selectelUser.projects[0] as string,
        username: selectelUser.username,
        password: selectelUser.password,
        accountId: selectelUser.accountId,
      },
      quay: { url: quayUrl, token: quay.token },
      tokenService: {
        realm: tokenService.realm,
        service: tokenService.service,
        issuer: tokenService.issuer,
        jwks: tokenService.jwks,
      },
      registryHost,
    },
    attachRegistry({ storageDir } = {}) {
      const view = registryViewFor({
        host: registryHost,
        storageDir,
        authorize: (access) => tokenService.issueInternal(access),
      });
      ionos.attachRegistry(view);
      selectel.attachRegistry(view);
      quay.attachRegistry(view);
    },
    async stop() {
      await Promise.all([ionos.stop(), selectel.stop(), quay.stop(), tokenService.stop()]);
    },
  };
}
