import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
} from '@kubernetes/client-node';
import { inject } from 'vitest';
import { nodeBinaryPaths, repoRoot } from '../../src/dev/binaries.ts';
import { type SimulatorsWithRegistry, startSimulatorsWithRegistry } from '../../src/dev/providers.ts';
import { allowPlainHttp } from '../cluster/node.ts';
import { POD_NETWORK } from '../cluster/pod-network.ts';

const execFileAsync = promisify(execFile);

/** The chart in this repository. */
export const CHART = join(repoRoot, 'deploy', 'helm', 'berth');
/** Where the chart is installed: its namespace enforces Pod Security `restricted`. */
export const RELEASE_NAMESPACE = 'berth-system';
/** The Helm release name. */
export const RELEASE = 'berth';

/** Clients of the e2e cluster, as its admin. */
export function e2eClients() {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('e2eKubeconfig'));
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    events: kc.makeApiClient(EventsV1Api),
    leases: kc.makeApiClient(CoordinationV1Api),
  };
}

/** Runs the cached helm against the e2e cluster; resolves stdout, rejects with stderr. */
export async function helm(args: string[]): Promise<string> {
  const { helm: bin } = await nodeBinaryPaths();
  try {
    const { stdout } = await execFileAsync(bin, [...args, '--kubeconfig', inject('e2eKubeconfig')], {
      maxBuffer: 16 * 1024 * 1024,
      // Helm keeps its caches and config under HOME; a fresh folder keeps the user's untouched.
      env: {
        ...process.env,
        HELM_CACHE_HOME: '/tmp/berth-e2e-helm/cache',
        HELM_CONFIG_HOME: '/tmp/berth-e2e-helm/config',
        HELM_DATA_HOME: '/tmp/berth-e2e-helm/data',
      },
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`helm ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/** The simulators and the real registry, listening where Pods (and containerd) reach them. */
export type Providers = SimulatorsWithRegistry;

/** Starts the provider simulators and a registry behind their token service on the Pod gateway. */
export async function startProviders(): Promise<Providers> {
  const providers = await startSimulatorsWithRegistry({ processMs: 200, host: POD_NETWORK.gateway });
  await allowPlainHttp(inject('e2eRegistryConfig'), providers.registry.host);
  return providers;
}

/** One container's log lines from kubelet's log folder (CRI format: `time stream tag message`). */
export async function containerLogs(namespace: string, podPrefix: string): Promise<string> {
  const root = inject('e2ePodLogs');
  const dirs = (await readdir(root).catch(() => [] as string[])).filter((d) =>
    d.startsWith(`${namespace}_${podPrefix}`),
  );
  let out = '';
  for (const d of dirs) {
    for (const container of await readdir(join(root, d))) {
      for (const file of await readdir(join(root, d, container))) {
        out += await readFile(join(root, d, container, file), 'utf8');
      }
    }
  }
  return out;
}

/** One audit event (Metadata level). */
export interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: {
    resource?: string;
    subresource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
  };
  responseStatus?: { code?: number };
  requestURI: string;
}

/** Every audit event of one user so far. */
export async function auditEventsOf(username: string): Promise<AuditEvent[]> {
  const text = await readFile(inject('e2eAuditLog'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.includes(username))
    .map((l) => JSON.parse(l) as AuditEvent)
    .filter((e) => e.user?.username === username);
}

/** Polls until `check` returns a value (not undefined/false) or the time is up. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = (err as Error).message.split('\n', 1)[0] ?? '';
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
