import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  ApiextensionsV1Api,
  CoordinationV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { fetch } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../src/dev/binaries.ts';
import { installWidgetCrd, WIDGET, widget, widgetTypeIn } from '../support/widget.ts';
import { installBerthCrds } from './berth-crds.ts';
import { adminKubeConfig, createNamespace, eventually, uniqueName } from './helpers.ts';

const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const leases = kc.makeApiClient(CoordinationV1Api);
const extensions = kc.makeApiClient(ApiextensionsV1Api);
const fixture = join(repoRoot, 'test/fixtures/widget-operator.ts');

interface OperatorProcess {
  child: ChildProcess;
  identity: string;
  health: string;
  lines: string[];
  exited: Promise<number | null>;
}

const started: OperatorProcess[] = [];
/** Processes a test started by hand; killed after each test like {@link started}. */
const spawned: ChildProcess[] = [];

async function spawnOperator(
  identity: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<OperatorProcess> {
  const child = spawn(
    process.execPath,
    [fixture, `--identity=${identity}`, '--metrics-addr=127.0.0.1:0', ...args],
    {
      env: { ...process.env, KUBECONFIG: inject('kubeconfig'), ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<{ health: string }>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      if (line.includes('"ready":true')) resolve(JSON.parse(line) as { health: string });
    });
    void exited.then((code) => reject(new Error(`operator ${identity} exited early with ${code}`)));
  });
  const { health } = await ready;
  const proc = { child, identity, health, lines, exited };
  started.push(proc);
  return proc;
}

const logged = (proc: OperatorProcess, msg: string) => proc.lines.filter((l) => l.includes(`"msg":"${msg}"`));

describe.skipIf(inject('clusterKind') !== 'local')('the operator as a process', () => {
  let namespace: string;
  beforeAll(async () => {
    await installWidgetCrd(extensions);
    namespace = await createNamespace(kc, 'operator');
    // src/main.ts watches berth's own kinds: not ready until they exist, whatever ran before.
    await installBerthCrds(kc, namespace);
  });
  afterEach(() => {
    for (const p of started.splice(0)) p.child.kill('SIGKILL');
    for (const child of spawned.splice(0)) child.kill('SIGKILL');
  });
  afterAll(() => {
    for (const p of started) p.child.kill('SIGKILL');
  });

  const holder = async () =>
    (await leases.readNamespacedLease({ name: 'berth-operator', namespace }).catch(() => undefined))?.spec
      ?.holderIdentity;
  const reconciledBy = async (name: string) =>
    (
      (await custom.getNamespacedCustomObject({ ...WIDGET, namespace, name })) as {
        status?: { reconciledBy?: string };
      }
    ).status?.reconciledBy;
  const leArgs = () => [`--namespaces=${namespace}`, `--leader-election-namespace=${namespace}`];

  it('src/main.ts (npm start) refuses bad configuration, and otherwise runs until SIGTERM', {
    timeout: 60_000,
  }, async () => {
    const main = join(repoRoot, 'src/main.ts');
    const bad = spawn(process.execPath, [main, '--workers=zero'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    bad.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const badCode = await new Promise<number | null>((resolve) => bad.once('exit', resolve));
    expect(badCode).toBe(2);
    expect(stderr).toContain('--workers (BERTH_WORKERS)');

    const good = spawn(
      process.execPath,
      [main, '--metrics-addr=127.0.0.1:0', `--leader-election-namespace=${namespace}`],
      {
        env: { ...process.env, KUBECONFIG: inject('kubeconfig') },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    // Killed after the test even if it fails, so it cannot hold the Lease the next tests need.
    spawned.push(good);
    const lines: string[] = [];
    createInterface({ input: good.stdout as NodeJS.ReadableStream }).on('line', (l) => lines.push(l));
    const address = await eventually(
      () => {
        const line = lines.find((l) => l.includes('"msg":"operator starting"'));
        return line ? (JSON.parse(line) as { address: string }).address : undefined;
      },
      { what: 'operator starting log line' },
    );
    await eventually(async () => (await fetch(`http://${address}/readyz`)).ok, { what: 'main ready' });
    await eventually(async () => (await holder()) !== undefined, { what: 'main took the lease' });
    good.kill('SIGTERM');
    expect(await new Promise((resolve) => good.once('exit', resolve))).toBe(0);
    expect(lines.some((l) => l.includes('"msg":"operator stopped"'))).toBe(true);
  });

  it('answers /readyz 503 until its informer caches synced, /healthz 200 throughout', {
    timeout: 90_000,
  }, async () => {
    const group = `${uniqueName('ready')}.test.berth.dev`;
    const proc = await spawnOperator('ready-probe', ['--leader-elect=false', `--namespaces=${namespace}`], {
      WIDGET_GROUP: group,
    });
    // The CRD does not exist yet: listing fails, the informer retries, and the operator is not ready.
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`http://${proc.health}/readyz`)).status, proc.lines.join('\n')).toBe(503);
      expect((await fetch(`http://${proc.health}/healthz`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
    }
    await installWidgetCrd(extensions, widgetTypeIn(group));
    await eventually(async () => (await fetch(`http://${proc.health}/readyz`)).status === 200, {
      timeoutMs: 60_000,
      what: '/readyz 200 after the CRD appeared',
    });
    expect(logged(proc, 'watch failed; restarting').length).toBeGreaterThan(0);
  });

  // client-go's bound with the default timings: the follower dates the lease from when it saw the
  // last renewal (up to one jittered retry period after it), waits the lease duration, and notices
  // at its next jittered poll: 15 s + 2 x 2.4 s = 19.8 s, then one reconcile and status write.
  const TAKEOVER_BOUND_MS = 15_000 + 2 * 2_000 * 1.2 + 3_000;

  it('lets only the leader reconcile, and a follower takes over within the lease bound of kill -9', {
    timeout: 120_000,
  }, async () => {
    const a = await spawnOperator('replica-a', leArgs());
    const b = await spawnOperator('replica-b', leArgs());
    const first = await eventually(holder, { what: 'a lease holder' });
    const [leader, follower] = first === 'replica-a' ? [a, b] : [b, a];

    await custom.createNamespacedCustomObject({
      ...WIDGET,
      namespace,
      body: widget(namespace, 'elected', { size: 1 }),
    });
    await eventually(async () => (await reconciledBy('elected')) === leader.identity, {
      what: 'leader reconciled',
    });
    const leaderMetrics = await fetch(`http://${leader.health}/metrics`).then((r) => r.text());
    const followerMetrics = await fetch(`http://${follower.health}/metrics`).then((r) => r.text());
    expect(leaderMetrics).toContain('berth_leader_election_master_status{name="berth-operator"} 1');
    expect(followerMetrics).toContain('berth_leader_election_master_status{name="berth-operator"} 0');
    // The follower keeps warm caches (ready) but never reconciles.
    expect((await fetch(`http://${follower.health}/readyz`)).status).toBe(200);
    expect(logged(follower, 'reconciling widget')).toEqual([]);

    const killedAt = Date.now();
    leader.child.kill('SIGKILL');
    await leader.exited;
    await custom.patchNamespacedCustomObject(
      { ...WIDGET, namespace, name: 'elected', body: { spec: { size: 2 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually(async () => (await reconciledBy('elected')) === follower.identity, {
      timeoutMs: TAKEOVER_BOUND_MS + 10_000,
      intervalMs: 100,
      what: 'the follower to take over and reconcile',
    });
    const takeoverMs = Date.now() - killedAt;
    console.warn(`[leader-election] takeover after kill -9: ${takeoverMs} ms`);
    expect(takeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);
    expect(await holder()).toBe(follower.identity);
  });

  it('on SIGTERM finishes the running reconcile, releases the lease and exits 0', {
    timeout: 90_000,
  }, async () => {
    const a = await spawnOperator('graceful-a', leArgs());
    await eventually(async () => (await holder()) === 'graceful-a', {
      timeoutMs: 30_000,
      what: 'graceful-a leads',
    });
    await custom.createNamespacedCustomObject({
      ...WIDGET,
      namespace,
      body: widget(namespace, 'slow', { size: 7, workMs: 3_000 }),
    });
    await eventually(() => logged(a, 'reconciling widget').some((l) => l.includes('"widget":"slow"')), {
      what: 'slow reconcile started',
    });
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const slow = (await custom.getNamespacedCustomObject({ ...WIDGET, namespace, name: 'slow' })) as {
      status?: { size?: number; reconciledBy?: string };
    };
    expect(slow.status).toMatchObject({ size: 7, reconciledBy: 'graceful-a' });
    expect(await holder()).toBe('');

    // Released, not expired: a successor leads at once instead of waiting out the lease.
    await spawnOperator('graceful-b', leArgs());
    await eventually(async () => (await holder()) === 'graceful-b', {
      timeoutMs: 10_000,
      what: 'graceful-b leads',
    });
  });
});
