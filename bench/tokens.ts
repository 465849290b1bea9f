// `npm run bench -- --tokens 1000`: how long N RegistryTokens on one IONOS registry take to become
// Ready with berth, against a minimal script doing only the unavoidable work, in the same run;
// provider calls and API server requests per token (audit log, by identity); the operator's peak and
// settled memory; the idle cost afterwards; and how renewals are spread. With --attack-secrets N,
// also the tenant attack of issue 18 item 2: N labelled 1 MiB Secrets in a watched namespace, then a
// restart (a relist of all of them), with the operator's RSS before, at its peak and settled.
// Prints the figures and appends them to bench/RESULTS.md. Nothing here asserts a time: it measures.
import { parseArgs } from 'node:util';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { REGISTRY_TOKEN } from '../src/controllers/registry-token/controller.ts';
import { CONTAINER_REGISTRY } from '../src/controllers/shared/resources.ts';
import type { ContainerRegistry } from '../src/crds/container-registry.ts';
import { durationMs } from '../src/crds/duration.ts';
import { floodSecrets, processMemory } from './lib/attack.ts';
import { countRequests } from './lib/audit.ts';
import { ensureEso, highWaterMiB } from './lib/eso.ts';
import { runMinimal } from './lib/minimal.ts';
import { type OperatorProcess, operatorEntry, startOperator } from './lib/operator.ts';
import { runEsoPeer, withEsoColumn } from './lib/peer-eso.ts';
import { publish } from './lib/results.ts';
import { HOME, startWorld, type World } from './lib/world.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '8' },
    'idle-seconds': { type: 'string', default: '600' },
    // The registry's observeInterval: the idle figures are also given per interval.
    'observe-interval': { type: 'string', default: '10m' },
    // The simulators have no rate limit: the client-side one of both contenders is raised alike,
    // so the figures show the operator's own cost, not IONOS's published 10 requests/s.
    'provider-qps': { type: 'string', default: '100' },
    'skip-minimal': { type: 'boolean', default: false },
    // A peer doing the same job after berth, on the same control plane and simulator: `eso`.
    peer: { type: 'string', default: '' },
    // The peer's workers (ESO's --concurrent); default: --workers, as berth's.
    'peer-concurrent': { type: 'string', default: '' },
    // More flags for the peer, after the bench's own (e.g. ESO's --client-qps=500 --client-burst=1000).
    'peer-args': { type: 'string', default: '' },
    // Options for the operator's node, e.g. --max-old-space-size=128 to see what a heap cap buys.
    'node-options': { type: 'string', default: '' },
    // What runs: the image's bundle (default) or src/main.ts with type stripping.
    entry: { type: 'string', default: 'bundle' },
    // The tenant attack: this many Secrets of 1 MiB labelled app.kubernetes.io/managed-by=berth.
    'attack-secrets': { type: 'string', default: '0' },
  },
  strict: true,
});
const N = Number(values.tokens);
const IDLE_S = Number(values['idle-seconds']);
const ATTACK = Number(values['attack-secrets']);
/** The attacking tenant's namespace, one the operator watches (a team that uses berth). */
const TENANT = 'bench-tenant';
const say = (line: string) => console.warn(`[bench] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Token = {
  metadata: { name: string; generation: number };
  status?: {
    observedGeneration?: number;
    renewAt?: string;
    credentialId?: string;
    conditions?: { type: string; status: string }[];
  };
};

/** Creates N RegistryTokens in `namespace`, 16 at a time; resolves with the time of the first create. */
async function createTokens(world: World, namespace: string): Promise<number> {
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < N; i = next++) {
        await world.custom.createNamespacedCustomObject({
          ...REGISTRY_TOKEN,
          namespace,
          body: {
            apiVersion: 'berth.dev/v1alpha1',
            kind: 'RegistryToken',
            metadata: { name: `t-${i}` },
            spec: {
              registryRef: { name: 'bench', namespace: HOME },
              scopes: [{ repository: 'shop/*', actions: ['pull'] }],
            },
          },
        });
      }
    }),
  );
  return started;
}

/** Lists the namespace's tokens until every one is Ready at its generation; returns them. */
async function allReady(world: World, namespace: string, onTick?: () => Promise<void>): Promise<Token[]> {
  for (;;) {
    const list = (await world.custom.listNamespacedCustomObject({ ...REGISTRY_TOKEN, namespace })) as {
      items: Token[];
    };
    const ready = list.items.filter(
      (t) =>
        t.status?.observedGeneration === t.metadata.generation &&
        t.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    await onTick?.();
    if (ready.length === N) return list.items;
    await sleep(1_000);
  }
}

/**
 * The tenant attack (issue 18, item 2): `ATTACK` labelled 1 MiB Secrets created while the operator
 * runs, then the operator restarted so that it lists all of them, then a rotation requested of one
 * token. Returns the report's rows: RSS before, peak (kernel's VmHWM) and settled, and whether it
 * stayed up and still rotated.
 */
async function attack(
  tokens: Token[],
  running: { operator: OperatorProcess },
  launch: () => Promise<OperatorProcess>,
): Promise<(string | number)[][]> {
  let { operator } = running;
  const before = await operator.rssMiB();
  say(`attack: ${ATTACK} Secrets of 1 MiB labelled as berth's in ${TENANT}; RSS before ${before} MiB`);
  let eventsPeak = before;
  await floodSecrets(world.core, TENANT, ATTACK, async () => {
    eventsPeak = Math.max(eventsPeak, processMemory(operator.child.pid)?.peak ?? 0);
  });
  await sleep(5_000);
  eventsPeak = Math.max(eventsPeak, processMemory(operator.child.pid)?.peak ?? 0);
  const upThroughEvents = operator.child.exitCode === null && operator.child.signalCode === null;
  say(
    `attack: Secrets created; operator ${upThroughEvents ? 'up' : 'gone'}, peak ${eventsPeak} MiB; restarting`,
  );
  if (upThroughEvents) await operator.stop();
  operator = await launch();
  running.operator = operator;
  for (;;) {
    const ready = await fetch(`http://${operator.address}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready || operator.child.exitCode !== null) break;
    await sleep(1_000);
  }
  const relistPeak = processMemory(operator.child.pid)?.peak ?? 0;
  const upAfterRelist = operator.child.exitCode === null;
  const name = tokens[0]?.metadata.name ?? 't-0';
  const previous = tokens[0]?.status?.credentialId;
  await world.custom.patchNamespacedCustomObject(
    {
      ...REGISTRY_TOKEN,
      namespace: 'bench-berth',
      name,
      body: { metadata: { annotations: { 'berth.dev/rotate-requested-at': `attack-${Date.now()}` } } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  let rotated = false;
  for (let i = 0; i < 120 && !rotated && operator.child.exitCode === null; i++) {
    await sleep(1_000);
    const t = (await world.custom.getNamespacedCustomObject({
      ...REGISTRY_TOKEN,
      namespace: 'bench-berth',
      name,
    })) as Token;
    rotated = t.status?.credentialId !== undefined && t.status.credentialId !== previous;
  }
  await sleep(30_000);
  const settled = operator.child.exitCode === null ? await operator.rssMiB() : 0;
  say(
    `attack: relist peak ${relistPeak} MiB, settled ${settled} MiB, rotation ${rotated ? 'done' : 'not done'}`,
  );
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  return [
    [
      `attack: ${ATTACK} x 1 MiB labelled Secrets, RSS before / peak (events, relist) / settled`,
      `${before} / ${eventsPeak}, ${relistPeak} / ${settled} MiB`,
      '',
      '',
    ],
    [
      'attack: up through the events / up after the relist / a rotation afterwards',
      `${yes(upThroughEvents)} / ${yes(upAfterRelist)} / ${yes(rotated)}`,
      '',
      '',
    ],
  ];
}

if (values.peer !== '' && values.peer !== 'eso') throw new Error('--peer is eso');
// Built before the world starts: a cold build takes many minutes and needs no control plane.
const esoBuild = values.peer === 'eso' ? await ensureEso() : undefined;
const world = await startWorld({ observeInterval: values['observe-interval'] });
try {
  const operatorId = await world.identity('operator');
  const minimalId = await world.identity('minimal');
  for (const ns of ['bench-berth', 'bench-minimal', ...(ATTACK > 0 ? [TENANT] : [])])
    await world.core.createNamespace({ body: { metadata: { name: ns } } });
  if (values.entry !== 'bundle' && values.entry !== 'source') throw new Error('--entry is bundle or source');
  const entry = operatorEntry(values.entry);
  const launch = () =>
    startOperator(
      entry,
      operatorId.kubeconfig,
      [
        `--namespaces=${HOME},bench-berth${ATTACK > 0 ? `,${TENANT}` : ''}`,
        `--workers=${values.workers}`,
        `--provider-qps=${values['provider-qps']}`,
      ],
      values['node-options'].split(' ').filter(Boolean),
    );
  let operator = await launch();
  const registry = await (async () => {
    for (;;) {
      const r = (await world.custom.getNamespacedCustomObject({
        ...CONTAINER_REGISTRY,
        namespace: HOME,
        name: 'bench',
      })) as ContainerRegistry;
      if (r.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return r;
      await sleep(500);
    }
  })();
  const rssBefore = await operator.rssMiB();
  say(`registry Ready; operator RSS before any token ${rssBefore} MiB`);

  let minimalMs: number | undefined;
  let minimalCounts: Awaited<ReturnType<typeof countRequests>> | undefined;
  if (!values['skip-minimal']) {
    const callsBefore = world.sims.ionos.server.log.length;
    const [startedAt] = await Promise.all([
      createTokens(world, 'bench-minimal'),
      runMinimal({
        kubeconfig: minimalId.kubeconfig,
        namespace: 'bench-minimal',
        registry,
        credentials: { token: world.sims.endpoints.ionos.token },
        count: N,
        concurrency: 8,
        providerQps: Number(values['provider-qps']),
      }),
    ]);
    const endedAt = Date.now();
    minimalMs = endedAt - startedAt;
    minimalCounts = await countRequests(
      world.plane.state.auditLog ?? '',
      minimalId.user,
      startedAt,
      endedAt + 1_000,
    );
    say(
      `minimal script: ${N} tokens in ${(minimalMs / 1000).toFixed(1)} s, ${world.sims.ionos.server.log.length - callsBefore} provider calls`,
    );
  }

  const providerBefore = world.sims.ionos.server.log.length;
  let peak = rssBefore;
  let atPeak = await operator.memory();
  let missedSamples = 0;
  const sample = async () => {
    // One scrape of /metrics may fail on a loaded machine (a reset): a missed sample, not a failed run.
    const memory = await operator.memory().catch(() => undefined);
    if (!memory) missedSamples++;
    else if (memory.rss > peak) [peak, atPeak] = [memory.rss, memory];
  };
  const startedAt = await createTokens(world, 'bench-berth');
  const tokens = await allReady(world, 'bench-berth', sample);
  const endedAt = Date.now();
  const berthMs = endedAt - startedAt;
  const providerCalls = world.sims.ionos.server.log.length - providerBefore;
  say(`berth: ${N} tokens Ready in ${(berthMs / 1000).toFixed(1)} s; peak RSS ${peak} MiB`);
  await sleep(5_000);
  const berthCounts = await countRequests(
    world.plane.state.auditLog ?? '',
    operatorId.user,
    startedAt,
    Date.now(),
  );

  const running = { operator };
  const attackRows = ATTACK > 0 ? await attack(tokens, running, launch) : [];
  operator = running.operator;

  say(`idle for ${IDLE_S} s`);
  const idleFrom = Date.now();
  const idleProvider = world.sims.ionos.server.log.length;
  for (let t = 0; t < IDLE_S; t += 10) {
    await sleep(10_000);
    await sample();
  }
  const idle = await countRequests(world.plane.state.auditLog ?? '', operatorId.user, idleFrom, Date.now());
  const idleCalls = world.sims.ionos.server.log.length - idleProvider;
  const idleWrites = idle.writes;
  const intervals = IDLE_S / (durationMs(values['observe-interval']) / 1000);
  const perInterval = (n: number) => (intervals > 0 ? Math.round((n / intervals) * 10) / 10 : n);
  const settled = await operator.rssMiB();

  // Renewal spread: the most renewals due in any one second, against the provider's rate.
  const renewals = tokens
    .map((t) => Math.floor(Date.parse(t.status?.renewAt ?? '') / 1000))
    .filter(Number.isFinite);
  const perSecond = new Map<number, number>();
  for (const s of renewals) perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  const burst = Math.max(0, ...perSecond.values());
  const berthHighWater = highWaterMiB(operator.child.pid);
  await operator.stop();
  const eso = esoBuild
    ? await runEsoPeer(world, {
        build: esoBuild,
        count: N,
        concurrent: Number(values['peer-concurrent'] || values.workers),
        extraArgs: values['peer-args'].split(' ').filter(Boolean),
        idleSeconds: IDLE_S,
        registry,
      })
    : undefined;

  const per = (n: number) => (n / N).toFixed(2);
  const ratio = minimalMs ? (berthMs / minimalMs).toFixed(2) : 'n/a';
  const rows: (string | number)[][] = [
    [
      `${N} tokens Ready (first create to last Ready)`,
      `${(berthMs / 1000).toFixed(1)} s`,
      minimalMs ? `${(minimalMs / 1000).toFixed(1)} s` : 'skipped',
      ratio,
    ],
    ['provider calls per token', per(providerCalls), minimalMs ? '1.00' : '', ''],
    [
      'apiserver requests per token',
      per(berthCounts.total),
      minimalCounts ? per(minimalCounts.total) : '',
      '',
    ],
    [
      'apiserver writes per token',
      per(berthCounts.writes),
      minimalCounts ? per(minimalCounts.writes) : '',
      '',
    ],
    ['operator RSS before / peak / settled', `${rssBefore} / ${peak} / ${settled} MiB`, '', ''],
    [
      'at the peak: V8 heap used / reserved, external',
      `${atPeak.heapUsed} / ${atPeak.heapTotal}, ${atPeak.external} MiB`,
      '',
      '',
    ],
    [
      `idle ${IDLE_S} s: provider calls, apiserver requests, lists`,
      `${idleCalls}, ${idle.total}, ${Object.entries(idle.byVerb)
        .filter(([k]) => k.startsWith('list '))
        .reduce((a, [, v]) => a + v, 0)}`,
      '',
      '',
    ],
    [
      `idle, per observeInterval (${values['observe-interval']}): provider requests, apiserver writes`,
      `${perInterval(idleCalls)}, ${perInterval(idleWrites)}`,
      '',
      '',
    ],
    ['most renewals due in one second', burst, '', ''],
    ...attackRows,
  ];
  const report = {
    title: `${N} RegistryTokens on one IONOS registry (--workers=${values.workers}, --provider-qps=${values['provider-qps']}${values['node-options'] ? `, node ${values['node-options']}` : ''}, ${values.entry}${ATTACK > 0 ? `, attack ${ATTACK} x 1 MiB Secrets` : ''})`,
    columns: ['figure', 'berth', 'minimal script', 'ratio'],
    rows,
    notes: [
      ...(missedSamples > 0 ? [`memory samples missed (scrape failed): ${missedSamples}`] : []),
      `berth apiserver requests by verb: ${Object.entries(berthCounts.byVerb)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
      `idle requests by verb: ${
        Object.entries(idle.byVerb)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      }`,
    ],
  };
  await publish(withEsoColumn(report, eso, N, berthHighWater));
} finally {
  await world.stop();
}
