// Issue 18, item 2: a tenant labels its own Secrets as berth's and makes them 1 MiB each. The
// operator runs as a process with the chart's heap caps (deploy/helm/berth/values.yaml
// nodeOptions), as in a cluster; it must stay up through the Secrets' watch events and through a
// full relist of them (a restart), and keep renewing another team's token.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { repoRoot } from '../../src/dev/binaries.ts';
import { startSimulatorsWithRegistry } from '../../src/dev/providers.ts';
import type { RunningRegistry } from '../../src/dev/registry.ts';
import type { RunningSimulators } from '../../src/simulators/all.ts';
import { withShiftedClock } from '../support/clock-shift.ts';
import { installBerthCrds } from './berth-crds.ts';
import { adminKubeConfig, createNamespace, eventually } from './helpers.ts';
import { createContainerRegistry, providerRegistries } from './provider-registries.ts';
import { createTenant, installTenantRoles, type Tenant } from './tenants.ts';
import { tokenReader } from './tokens.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** The chart's heap caps, exactly as a default install passes them to node. */
const CHART_NODE_OPTIONS = (
  parse(readFileSync(join(repoRoot, 'deploy/helm/berth/values.yaml'), 'utf8')) as { nodeOptions: string }
).nodeOptions;
const SECRETS = 100;
const SECRET_BYTES = 1024 * 1024 - 4096;

/** berth as a process (src/main.ts) with the chart's NODE_OPTIONS; its stderr is kept for heap errors. */
interface Operator {
  child: ChildProcess;
  address: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

async function startBerth(args: string[]): Promise<Operator> {
  const child = spawn(process.execPath, [join(repoRoot, 'src/main.ts'), ...args], {
    env: {
      ...process.env,
      KUBECONFIG: inject('kubeconfig'),
      NODE_OPTIONS: withShiftedClock(CHART_NODE_OPTIONS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const address = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.includes('"msg":"operator starting"'))
        resolve((JSON.parse(line) as { address: string }).address);
    });
    void exited.then((code) => reject(new Error(`berth exited early with ${code}: ${stderr}`)));
  });
  return { child, address, stderr: () => stderr, exited };
}

/** `work`, or a failure with berth's last words as soon as the process exits first. */
function whileUp<T>(operator: Operator, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    operator.exited.then((code) => {
      throw new Error(`berth exited with ${code}: ${operator.stderr().slice(-2_000)}`);
    }),
  ]);
}

/**
 * Resident memory now and at its peak (VmHWM), in MiB, from the kernel rather than the busy
 * process; zero once the process is gone (the exit code then tells what happened).
 */
function memoryOf(pid: number | undefined): { rss: number; peak: number } {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return { rss: 0, peak: 0 };
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: Math.round(kib('VmRSS') / 1024), peak: Math.round(kib('VmHWM') / 1024) };
}

describe.skipIf(inject('clusterKind') !== 'local')(
  'item 2: a tenant’s 1 MiB Secrets labelled as berth’s',
  () => {
    let home: string;
    let tenant: Tenant;
    let sims: RunningSimulators;
    let registry: RunningRegistry;
    let operator: Operator | undefined;
    const tokens = tokenReader(kc, () => home);

    beforeAll(async () => {
      home = await createNamespace(kc, 'flood-home');
      await installBerthCrds(kc, home);
      await installTenantRoles(kc);
      tenant = await createTenant(kc, 'flood-tenant');
      ({ sims, registry } = await startSimulatorsWithRegistry({ processMs: 200 }));
      const { spec, secret } = providerRegistries(sims.endpoints).ionos;
      await core.createNamespacedSecret({
        namespace: home,
        body: { metadata: { name: 'api-ionos' }, stringData: secret },
      });
      await createContainerRegistry(custom, home, 'reg-ionos', spec);
    });
    afterAll(async () => {
      operator?.child.kill('SIGKILL');
      await registry?.stop();
      await sims?.stop();
      // 100 MiB in etcd, labelled as berth's: deleted now, not whenever the namespace controller
      // gets to them, or the next test file's operator (which watches berth's Secrets
      // cluster-wide) has to list them all before it syncs (the cause of a red fresh-clone run).
      if (tenant) {
        await core
          .deleteCollectionNamespacedSecret({
            namespace: tenant.namespace,
            labelSelector: 'app.kubernetes.io/managed-by=berth',
          })
          .catch(() => undefined);
        await core.deleteNamespace({ name: tenant.namespace }).catch(() => undefined);
      }
    });

    it('item 2: the operator stays up through their events and a relist, and another team’s token still rotates', {
      timeout: 900_000,
    }, async () => {
      const args = [
        `--namespaces=${home},${tenant.namespace}`,
        '--leader-elect=false',
        '--metrics-addr=127.0.0.1:0',
        '--workers=2',
        `--provider-registry-host=${registry.host}`,
      ];
      operator = await startBerth(args);
      await custom.createNamespacedCustomObject({
        ...REGISTRY_TOKEN,
        namespace: home,
        body: {
          apiVersion: 'berth.dev/v1alpha1',
          kind: 'RegistryToken',
          metadata: { name: 'other-team' },
          spec: { registryRef: { name: 'reg-ionos' }, scopes: [{ repository: 'shop/*', actions: ['pull'] }] },
        },
      });
      const first = await tokens.ready('other-team', (t) => t.status?.credentialId !== undefined, 120_000);

      // The tenant's flood, as the tenant: its own namespace, its own rights (the aggregated edit role).
      let peak = 0;
      let created = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (created < SECRETS) {
            const i = created++;
            await tenant.core.createNamespacedSecret({
              namespace: tenant.namespace,
              body: {
                metadata: { name: `flood-${i}`, labels: { 'app.kubernetes.io/managed-by': 'berth' } },
                data: { blob: randomBytes(SECRET_BYTES).toString('base64') },
              },
            });
            peak = Math.max(peak, memoryOf(operator?.child.pid).peak);
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 5_000));
      expect(operator.child.exitCode, operator.stderr()).toBeNull();
      const afterEvents = memoryOf(operator.child.pid);

      // A relist: what every restart, failover and expired watch does. 100 Secrets are 130 MiB of JSON.
      operator.child.kill('SIGTERM');
      await operator.exited;
      operator = await startBerth(args);
      const restarted = operator;
      await whileUp(
        restarted,
        eventually(async () => (await fetch(`http://${restarted.address}/readyz`)).ok, {
          timeoutMs: 300_000,
          what: 'the restarted operator to list everything and be ready',
        }),
      );
      await custom.patchNamespacedCustomObject(
        {
          ...REGISTRY_TOKEN,
          namespace: home,
          name: 'other-team',
          body: { metadata: { annotations: { 'berth.dev/rotate-requested-at': 'after-the-flood' } } },
        },
        mergePatch,
      );
      const rotated = await whileUp(
        restarted,
        tokens.ready(
          'other-team',
          (t) => t.status?.credentialId !== undefined && t.status.credentialId !== first.status?.credentialId,
          300_000,
        ),
      );
      expect(rotated.status?.lastRotationReason).toBeTruthy();
      expect(operator.child.exitCode, operator.stderr()).toBeNull();
      expect(operator.stderr()).not.toMatch(/heap out of memory|Allocation failed/i);
      const afterRelist = memoryOf(operator.child.pid);
      console.warn(
        `[item 2] ${SECRETS} x ${SECRET_BYTES} B tenant Secrets, node ${CHART_NODE_OPTIONS}: ` +
          `RSS peak ${peak} MiB while they were created, ${afterEvents.rss} MiB after; ` +
          `after a restart and relist: ${afterRelist.rss} MiB, peak ${afterRelist.peak} MiB`,
      );
      // The chart's memory limit (values.yaml resources.limits.memory, 384Mi): above it the kubelet
      // would kill the container, which is the crash loop this guards against.
      expect(Math.max(peak, afterRelist.peak)).toBeLessThan(384);
    });
  },
);
