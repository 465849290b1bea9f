import { execFile, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { controllersWith } from '../../src/composition.ts';
import { parseConfig } from '../../src/config.ts';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { loginFrom } from '../../src/controllers/registry-token/docker-config.ts';
import { repoRoot } from '../../src/dev/binaries.ts';
import { startSimulatorsWithRegistry } from '../../src/dev/providers.ts';
import { crane, type RunningRegistry } from '../../src/dev/registry.ts';
import { startOperator } from '../../src/operator.ts';
import type { RunningSimulators } from '../../src/simulators/all.ts';
import { installBerthCrds } from './berth-crds.ts';
import { adminKubeConfig, createNamespace, eventually } from './helpers.ts';
import { createContainerRegistry } from './provider-registries.ts';

const execFileAsync = promisify(execFile);
const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);

type Token = {
  metadata: { generation: number };
  status?: {
    observedGeneration?: number;
    credentialId?: string;
    conditions?: { type: string; status: string }[];
  };
};

// The two promises people install berth for: rotation without a pull outage, and no leaked or
// duplicate credential whatever happens to the operator or the provider's answers.
describe('RegistryToken under rotation load and crashes (IONOS)', () => {
  let namespace: string;
  let sims: RunningSimulators;
  let registry: RunningRegistry;
  let image: string;

  const readToken = (name: string) =>
    custom.getNamespacedCustomObject({ ...REGISTRY_TOKEN, namespace, name }) as Promise<Token>;
  const isReady = (t: Token) =>
    t.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
    t.status.observedGeneration === t.metadata.generation;
  const loginOf = async (name: string) => {
    const secret = await core.readNamespacedSecret({ namespace, name });
    return loginFrom(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8'));
  };
  const pulls = async (login: { server: string; username: string; password: string }) => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-probe-'));
    try {
      await crane(['auth', 'login', login.server, '-u', login.username, '-p', login.password], dir);
      await crane(['digest', image], dir);
      return true;
    } catch {
      return false;
    }
  };
  const createToken = (name: string, spec: Record<string, unknown>) =>
    custom.createNamespacedCustomObject({
      ...REGISTRY_TOKEN,
      namespace,
      body: { apiVersion: 'berth.dev/v1alpha1', kind: 'RegistryToken', metadata: { name }, spec },
    });
  const liveTokens = async () => {
    const res = await fetch(`${sims.endpoints.ionos.baseUrl}/registries`, {
      headers: { authorization: `Bearer ${sims.endpoints.ionos.token}` },
    });
    const { items } = (await res.json()) as { items: { id: string; properties: { name: string } }[] };
    const reg = items.find((i) => i.properties.name === 'berth-soak');
    if (!reg) return [];
    const tokens = await fetch(`${sims.endpoints.ionos.baseUrl}/registries/${reg.id}/tokens?limit=1000`, {
      headers: { authorization: `Bearer ${sims.endpoints.ionos.token}` },
    });
    return ((await tokens.json()) as { items: { properties: { name: string } }[] }).items.map(
      (t) => t.properties.name,
    );
  };

  beforeAll(async () => {
    namespace = await createNamespace(kc, 'soak');
    await installBerthCrds(kc, namespace);
    // Rotations every 20 s need IONOS tokens shorter than its real one-hour floor: this simulator
    // accepts any future expiry, and the in-process operator below is told the same.
    ({ sims, registry } = await startSimulatorsWithRegistry({ processMs: 200, ionosMinTokenLifetimeMs: 0 }));
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'api' }, stringData: { token: sims.endpoints.ionos.token } },
    });
    await createContainerRegistry(custom, namespace, 'berth-soak', {
      provider: 'ionos',
      adoptionPolicy: 'Adopt',
      credentialsRef: { name: 'api' },
      ionos: { location: 'de/fra', apiEndpoint: sims.endpoints.ionos.baseUrl },
    });
    // One image to pull, pushed with a push-scoped credential issued straight at the simulator.
    const work = await mkdtemp(join(tmpdir(), 'berth-soak-'));
    await writeFile(join(work, 'f.txt'), 'probe\n');
    await execFileAsync('tar', ['-cf', join(work, 'layer.tar'), '-C', work, 'f.txt']);
    image = `${registry.host}/shop/app:v1`;
    // The registry exists before berth (adopted), so the image can be pushed before the operator runs.
    const reg = sims.ionos.addRegistry({ name: 'berth-soak' });
    const pusher = sims.ionos.addToken(reg.id, {
      name: 'pusher',
      scopes: [{ name: 'shop/*', type: 'repository', actions: ['pull', 'push'] }],
    });
    const dir = join(work, 'docker');
    await crane(['auth', 'login', registry.host, '-u', 'pusher', '-p', pusher.password], dir);
    await crane(['append', '-f', join(work, 'layer.tar'), '-t', image], dir);
  });
  afterAll(async () => {
    await registry?.stop();
    await sims?.stop();
  });

  it('rotates at least three times with zero failed pulls; each replaced credential is refused after its grace period', {
    timeout: 300_000,
  }, async () => {
    const operator = await startOperator(
      parseConfig(
        [
          `--namespaces=${namespace}`,
          '--leader-elect=false',
          '--metrics-addr=127.0.0.1:0',
          `--provider-registry-host=${registry.host}`,
        ],
        {},
      ),
      controllersWith({ ionosMinTokenLifetimeMs: 0 }),
      { kubeConfig: kc, logger: pino({ level: 'silent' }) },
    );
    try {
      // Renewal 20 s after issue (lifetime 1h, renewBefore 59m40s): a rotation every 20 s.
      await createToken('probe', {
        registryRef: { name: 'berth-soak' },
        scopes: [{ repository: 'shop/*', actions: ['pull'] }],
        lifetime: '1h',
        renewBefore: '59m40s',
        gracePeriod: '8s',
      });
      await eventually(async () => isReady(await readToken('probe')), {
        timeoutMs: 60_000,
        what: 'probe Ready',
      });
      const seen = new Map<string, { server: string; username: string; password: string }>();
      let failures = 0;
      let probes = 0;
      // Three rotations take about a minute (20 s apart, plus jitter and reconcile time); the
      // probe runs until it has seen them, within a deadline a slow machine also meets.
      const until = Date.now() + 150_000;
      while (seen.size < 4 && Date.now() < until) {
        const started = Date.now();
        const login = await loginOf('probe');
        if (login) {
          seen.set(login.username, login);
          probes++;
          if (!(await pulls(login))) failures++;
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - started))));
      }
      console.warn(`[rotation-probe] ${probes} pulls, ${failures} failed, ${seen.size} credentials seen`);
      expect(failures).toBe(0);
      expect(seen.size).toBeGreaterThanOrEqual(4); // the first credential and at least three rotations
      // Every replaced credential is refused once its 8 s grace period is over. Rotation goes on
      // meanwhile, so whatever the Secret holds at each check is left out.
      for (const [username, login] of seen) {
        await eventually(
          async () => username === (await loginOf('probe'))?.username || !(await pulls(login)),
          { timeoutMs: 30_000, intervalMs: 1_000, what: `${username} refused after its grace period` },
        );
      }
    } finally {
      // Leave the provider as we found it: deleting the token revokes its credentials.
      await custom.deleteNamespacedCustomObject({ ...REGISTRY_TOKEN, namespace, name: 'probe' });
      await eventually(
        () =>
          readToken('probe').then(
            () => false,
            (err: unknown) => (err as { code?: number }).code === 404,
          ),
        { what: 'probe token deleted' },
      );
      await operator.stop('test done');
    }
    expect((await liveTokens()).filter((n) => n.startsWith('berth-'))).toEqual([]);
  });

  it('leaves exactly one live credential per token after 10 SIGKILLs and lost create responses, and every Secret pulls', {
    timeout: 300_000,
  }, async () => {
    const logs: string[] = [];
    const spawnOperator = () => {
      const child = spawn(
        process.execPath,
        [
          join(repoRoot, 'src/main.ts'),
          `--namespaces=${namespace}`,
          '--leader-elect=false',
          '--metrics-addr=127.0.0.1:0',
          '--log-level=debug',
          '--workers=4',
          `--provider-registry-host=${registry.host}`,
        ],
        { env: { ...process.env, KUBECONFIG: inject('kubeconfig') }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout.on('data', (c: Buffer) => logs.push(c.toString()));
      child.stderr.on('data', (c: Buffer) => logs.push(c.toString()));
      return child;
    };
    const names = Array.from({ length: 50 }, (_, i) => `soak-${i}`);
    sims.ionos.server.faults.setRates({ loseCreateResponse: 0.25 });
    let operator = spawnOperator();
    try {
      for (const name of names) {
        await createToken(name, {
          registryRef: { name: 'berth-soak' },
          scopes: [{ repository: 'shop/*', actions: ['pull'] }],
        });
      }
      // The kills are about lost answers: let at least one be lost before the first, however
      // long the operator takes to start on this machine.
      await eventually(() => sims.ionos.server.log.some((l) => l.fault === 'loseResponse'), {
        timeoutMs: 60_000,
        what: 'a lost create response',
      });
      for (let kill = 0; kill < 10; kill++) {
        await new Promise((r) => setTimeout(r, 500 + Math.random() * 2_500));
        const exited = new Promise((r) => operator.once('exit', r));
        operator.kill('SIGKILL');
        await exited;
        operator = spawnOperator();
      }
      sims.ionos.server.faults.clear();
      await eventually(
        async () => {
          const tokens = await Promise.all(names.map(readToken));
          return tokens.every(isReady);
        },
        { timeoutMs: 180_000, intervalMs: 1_000, what: 'all 50 tokens Ready' },
      );
      const live = (await liveTokens()).filter((n) => n.startsWith('berth-'));
      expect(live).toHaveLength(50);
      const passwords: string[] = [];
      for (const name of names) {
        const login = await loginOf(name);
        expect(login, `${name} has a docker login`).toBeDefined();
        if (!login) continue;
        passwords.push(login.password);
        expect(await pulls(login), `${name} pulls`).toBe(true);
      }
      const lost = sims.ionos.server.log.filter((l) => l.fault === 'loseResponse').length;
      console.warn(
        `[crash-soak] ${lost} create responses lost, 10 SIGKILLs, ${live.length} live credentials for 50 tokens`,
      );
      expect(lost).toBeGreaterThan(0);
      const output = logs.join('');
      for (const password of passwords)
        expect(output.includes(password), 'a secret in the operator log').toBe(false);
    } finally {
      sims.ionos.server.faults.clear();
      operator.kill('SIGTERM');
    }
  });
});
