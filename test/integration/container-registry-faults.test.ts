import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, EventsV1Api } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registeredControllers } from '../../src/composition.ts';
import { parseConfig } from '../../src/config.ts';
import { CONTAINER_REGISTRY } from '../../src/controllers/shared/resources.ts';
import { repoRoot } from '../../src/dev/binaries.ts';
import { startOperator } from '../../src/operator.ts';
import { type RunningSimulators, startSimulators } from '../../src/simulators/all.ts';
import { kstatusViolations } from '../support/kstatus.ts';
import { installBerthCrds } from './berth-crds.ts';
import { adminKubeConfig, createNamespace, eventually, uniqueName } from './helpers.ts';

const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);

type Registry = {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    pendingCreateAt?: string;
    conditions?: { type: string; status: string }[];
  };
};

// Faults get their own simulators and namespace: they must not disturb the other tests.
describe('ContainerRegistry under provider faults and operator crashes', () => {
  let namespace: string;
  let sims: RunningSimulators;
  const read = (name: string) =>
    custom.getNamespacedCustomObject({ ...CONTAINER_REGISTRY, namespace, name }) as Promise<Registry>;
  const isReady = (obj: Registry) =>
    obj.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
    obj.status.observedGeneration === obj.metadata.generation;
  const createIonos = (name: string) =>
    custom.createNamespacedCustomObject({
      ...CONTAINER_REGISTRY,
      namespace,
      body: {
        apiVersion: 'berth.dev/v1alpha1',
        kind: 'ContainerRegistry',
        metadata: { name },
        spec: {
          provider: 'ionos',
          credentialsRef: { name: 'creds' },
          ionos: { location: 'de/fra', apiEndpoint: sims.endpoints.ionos.baseUrl },
        },
      },
    });

  beforeAll(async () => {
    namespace = await createNamespace(kc, 'cregfault');
    await installBerthCrds(kc, namespace);
    sims = await startSimulators({ registryHost: '127.0.0.1:5998', processMs: 300 });
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'creds' }, stringData: { token: sims.endpoints.ionos.token } },
    });
  });
  afterAll(async () => {
    await sims?.stop();
  });

  it('converges through a storm of 429s and 5xx without exceeding the client rate limit', {
    timeout: 120_000,
  }, async () => {
    const operator = await startOperator(
      parseConfig([`--namespaces=${namespace}`, '--leader-elect=false', '--metrics-addr=127.0.0.1:0'], {}),
      registeredControllers,
      { kubeConfig: kc, logger: pino({ level: 'silent' }) },
    );
    const server = sims.ionos.server;
    try {
      server.faults.setRates({ rateLimit: 0.3, retryAfter: '1', serverError: 0.2 });
      const names = Array.from({ length: 5 }, () => `berth-storm-${uniqueName('s').slice(2)}`);
      const since = Date.now();
      for (const name of names) await createIonos(name);
      for (const name of names) {
        const obj = await eventually(async () => ((await read(name)).status ? read(name) : undefined), {
          what: `${name} status`,
        });
        void obj;
        await eventually(async () => isReady(await read(name)), { timeoutMs: 90_000, what: `${name} Ready` });
        expect(kstatusViolations(await read(name))).toEqual([]);
      }
      const log = server.log.filter((l) => l.at >= since);
      expect(log.filter((l) => l.status === 429 || l.status >= 500).length).toBeGreaterThan(5);
      // Exactly one registry per object, whatever failed on the way.
      for (const name of names) expect(sims.ionos.registryByName(name)).toBeDefined();
      expect(
        log.filter((l) => l.method === 'POST' && l.route.endsWith('/registries') && l.status === 201).length,
      ).toBe(5);
      // The client-side limit (10/s, burst 20) holds even while retrying: at most 30 sends in any
      // second. The simulator stamps a request when it handles it, on the event loop it shares
      // with the operator, so a busy loop can squeeze up to half a second more of sends into one
      // second: 35 is the bound here. Without the limit the storm's retries go far beyond it.
      const times = log.map((l) => l.at).sort((a, b) => a - b);
      const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1_000).length));
      expect(busiest).toBeLessThanOrEqual(20 + 10 * 1.5);
    } finally {
      server.faults.clear();
      await operator.stop('test done');
    }
  });

  it('leaves exactly one registry when the operator is killed with SIGKILL in the middle of a create', {
    timeout: 120_000,
  }, async () => {
    const spawnOperator = () =>
      spawn(
        process.execPath,
        [
          join(repoRoot, 'src/main.ts'),
          `--namespaces=${namespace}`,
          '--leader-elect=false',
          '--metrics-addr=127.0.0.1:0',
          '--log-level=warn',
        ],
        { env: { ...process.env, KUBECONFIG: inject('kubeconfig') }, stdio: 'ignore' },
      );
    const name = `berth-crash-${uniqueName('c').slice(2)}`;
    // Every IONOS answer takes 3 s, so the create is certainly in flight when the operator dies.
    sims.ionos.server.faults.setRates({ latencyMs: 3_000 });
    const since = Date.now();
    const creating = (r: { method: string; path: string; at: number }) =>
      r.at >= since && r.method === 'POST' && r.path.endsWith('/registries');
    const first = spawnOperator();
    const exited = new Promise((resolve) => first.once('exit', resolve));
    try {
      await createIonos(name);
      await eventually(async () => (await read(name)).status?.pendingCreateAt !== undefined, {
        intervalMs: 50,
        timeoutMs: 60_000,
        what: 'the intent to create recorded',
      });
      const server = sims.ionos.server;
      await eventually(() => server.received.some(creating), {
        intervalMs: 20,
        what: 'the create request in flight',
      });
      first.kill('SIGKILL');
      await exited;
      // The simulator commits the create after its delay, with nobody left to hear the answer.
      await eventually(() => sims.ionos.registryByName(name) !== undefined, { what: 'create committed' });
    } finally {
      sims.ionos.server.faults.clear();
      first.kill('SIGKILL');
    }
    const second = spawnOperator();
    try {
      await eventually(async () => isReady(await read(name)), {
        timeoutMs: 60_000,
        what: 'Ready after restart',
      });
      // One create in all: the restarted operator found the first one by name instead of creating again.
      expect(sims.ionos.server.received.filter(creating)).toHaveLength(1);
      // registryByName would hide a duplicate: count through the API, as a user would see it.
      const listed = await fetch(`${sims.endpoints.ionos.baseUrl}/registries?filter.name=${name}`, {
        headers: { authorization: `Bearer ${sims.endpoints.ionos.token}` },
      }).then((r) => r.json() as Promise<{ items: { properties: { name: string } }[] }>);
      expect(listed.items.filter((i) => i.properties.name === name)).toHaveLength(1);
      const notes = (await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace })).items
        .filter((e) => e.regarding?.name === name)
        .map((e) => e.note ?? '');
      expect(notes.some((n) => n.includes('created before a restart'))).toBe(true);
    } finally {
      second.kill('SIGTERM');
      await new Promise((resolve) => second.once('exit', resolve));
    }
  });
});
