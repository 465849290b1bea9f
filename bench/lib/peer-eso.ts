// `--peer eso`: External Secrets Operator doing berth's job in the same run, after berth has been
// measured and stopped, on the same control plane and IONOS simulator, measured the way berth is:
// first object created to last one Ready, its RSS sampled from its own metrics on every poll,
// API server requests by its own identity (audit log), provider calls, and the idle cost.
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ContainerRegistry } from '../../src/crds/container-registry.ts';
import { binaryPaths } from '../../src/dev/binaries.ts';
import { countRequests, type RequestCounts } from './audit.ts';
import { ESO_CRDS, ESO_VERSION, type EsoBuild, type EsoMemory, startEso } from './eso.ts';
import {
  type CredentialCheck,
  checkCredentials,
  countReady,
  createExternalSecrets,
  createGenerator,
  refreshBurst,
} from './eso-job.ts';
import type { Report } from './results.ts';
import type { World } from './world.ts';

const execFileAsync = promisify(execFile);
const NAMESPACE = 'bench-eso';
const say = (line: string) => console.warn(`[bench] eso: ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A run that makes no progress for this long has failed (a wrong spec, the simulator refusing). */
const STALL_MS = 300_000;

/** How the peer runs. */
export interface EsoPeerOptions {
  build: EsoBuild;
  count: number;
  /** ESO's --concurrent (the chart's default is 1; the bench gives it berth's --workers). */
  concurrent: number;
  /** More flags, after the bench's own (the recorded runs pass none). */
  extraArgs: string[];
  idleSeconds: number;
  registry: ContainerRegistry;
}

/** The peer's figures, as berth's. */
export interface EsoPeerResult {
  args: string[];
  /** The flags the run added to the bench's own, for the title. */
  extraArgs: string[];
  ms: number;
  providerCalls: number;
  counts: RequestCounts;
  rssBefore: number;
  peak: number;
  atPeak: EsoMemory;
  settled: number;
  /** The kernel's high-water mark of its RSS over its whole life, MiB. */
  highWater: number;
  idle: RequestCounts;
  idleCalls: number;
  burst: number;
  credentials: CredentialCheck;
  reconciles: Record<string, number>;
  /** The same counters at the end of the idle time: work still queued when the last one was Ready. */
  reconcilesAfterIdle: Record<string, number>;
  /** Error lines in its log over the run and the idle time, by message. */
  errors: Record<string, number>;
}

/**
 * The chart's arguments for one controller with the chart's defaults, less what this job does not
 * use (cluster stores, ClusterExternalSecrets, PushSecrets), scoped to the job's namespace as
 * berth is to its own (`--namespaces`). The webhook and cert-controller are separate processes in
 * the chart and are not run: the bench installs the CRDs without conversion or validation webhooks.
 */
function esoArgs(concurrent: number): string[] {
  return [
    `--namespace=${NAMESPACE}`,
    '--enable-cluster-store-reconciler=false',
    '--enable-cluster-external-secret-reconciler=false',
    '--enable-cluster-push-secret-reconciler=false',
    '--enable-push-secret-reconciler=false',
    `--concurrent=${concurrent}`,
    '--loglevel=info',
    '--zap-time-encoding=epoch',
  ];
}

/** Runs the peer's job once and stops it; the world is left as it is. */
export async function runEsoPeer(world: World, options: EsoPeerOptions): Promise<EsoPeerResult> {
  const { count } = options;
  const id = await world.identity('eso');
  await world.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  const { kubectl } = await binaryPaths();
  const k = (...args: string[]) => execFileAsync(kubectl, ['--kubeconfig', world.kubeconfig, ...args]);
  const crds = ESO_CRDS.map((f) => join(options.build.crds, f));
  await k('apply', '--server-side', ...crds.flatMap((f) => ['-f', f]));
  // By kind, not by file: a CRD read back before it has any condition fails `wait -f` at once.
  await k('wait', '--for=condition=Established', '--timeout=60s', '--all', 'crd');
  const server = options.registry.status?.server ?? '';
  await createGenerator(world.core, world.custom, NAMESPACE, {
    baseUrl: world.sims.endpoints.ionos.baseUrl,
    apiToken: world.sims.endpoints.ionos.token,
    registryId: options.registry.status?.externalId ?? '',
    server,
  });

  const args = [...esoArgs(options.concurrent), ...options.extraArgs];
  // Outside the control plane's folder, which is removed when the world stops.
  const log = join(await mkdtemp(join(tmpdir(), 'berth-bench-eso-')), 'external-secrets.log');
  const eso = await startEso(options.build.bin, id.kubeconfig, args, log);
  try {
    await sleep(5_000);
    const rssBefore = (await eso.memory()).rss;
    say(`${ESO_VERSION} running (log ${log}); RSS before any ExternalSecret ${rssBefore} MiB`);

    let peak = rssBefore;
    let atPeak = await eso.memory();
    const sample = async () => {
      const memory = await eso.memory();
      if (memory.rss > peak) [peak, atPeak] = [memory.rss, memory];
    };
    const providerBefore = world.sims.ionos.server.log.length;
    const startedAt = await createExternalSecrets(world.custom, NAMESPACE, count, server);
    let progress = { ready: -1, at: Date.now() };
    for (;;) {
      const { ready } = await countReady(world.custom, NAMESPACE);
      await sample();
      if (ready === count) break;
      if (ready !== progress.ready) progress = { ready, at: Date.now() };
      if (eso.child.exitCode !== null) throw new Error(`external-secrets exited; see ${log}`);
      if (Date.now() - progress.at > STALL_MS)
        throw new Error(`external-secrets stalled at ${ready}/${count} Ready; see ${log}`);
      await sleep(1_000);
    }
    const ms = Date.now() - startedAt;
    const providerCalls = world.sims.ionos.server.log.length - providerBefore;
    say(`${count} ExternalSecrets Ready in ${(ms / 1000).toFixed(1)} s; peak RSS ${peak} MiB`);
    await sleep(5_000);
    const audit = world.plane.state.auditLog ?? '';
    const counts = await countRequests(audit, id.user, startedAt, Date.now());
    const reconciles = await eso.reconciles('externalsecret');

    say(`idle for ${options.idleSeconds} s`);
    const idleFrom = Date.now();
    const idleProvider = world.sims.ionos.server.log.length;
    for (let t = 0; t < options.idleSeconds; t += 10) {
      await sleep(10_000);
      await sample();
    }
    const idle = await countRequests(audit, id.user, idleFrom, Date.now());
    const idleCalls = world.sims.ionos.server.log.length - idleProvider;
    const settled = (await eso.memory()).rss;
    const highWater = eso.highWaterMiB();
    const burst = await refreshBurst(world.custom, NAMESPACE);
    const registryId = options.registry.status?.externalId ?? '';
    const tokens = world.sims.ionos.world.registries.get(registryId)?.tokens.values() ?? [];
    const issued = [...tokens].filter((t) => t.name.startsWith('eso-')).length;
    const credentials = await checkCredentials(
      world.core,
      NAMESPACE,
      server,
      world.sims.ionos.registryAccess,
      issued,
    );
    say(
      `${credentials.distinct} distinct logins in ${credentials.secrets} Secrets; ` +
        `${credentials.accepted}/${credentials.sampled} sampled accepted by the simulator`,
    );
    return {
      args,
      extraArgs: options.extraArgs,
      ms,
      providerCalls,
      counts,
      rssBefore,
      peak,
      atPeak,
      settled,
      highWater,
      idle,
      idleCalls,
      burst,
      credentials,
      reconciles,
      reconcilesAfterIdle: await eso.reconciles('externalsecret'),
      errors: eso.logErrors(),
    };
  } finally {
    await eso.stop();
  }
}

const results = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

const byVerb = (counts: RequestCounts) =>
  Object.entries(counts.byVerb)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

/**
 * The report with an ESO column: each of berth's figures that ESO has, in the same unit, matched by
 * the figure's name (rows ESO has no counterpart for stay empty); ESO's setup and checks as notes.
 */
export function withEsoColumn(
  report: Report,
  eso: EsoPeerResult | undefined,
  count: number,
  berthHighWater?: number,
): Report {
  if (!eso) return report;
  const per = (n: number) => (n / count).toFixed(2);
  const lists = Object.entries(eso.idle.byVerb)
    .filter(([k]) => k.startsWith('list '))
    .reduce((a, [, v]) => a + v, 0);
  const cells: [RegExp, string][] = [
    [/ Ready \(first create/, `${(eso.ms / 1000).toFixed(1)} s`],
    [/^provider calls per token/, per(eso.providerCalls)],
    [/^apiserver requests per token/, per(eso.counts.total)],
    [/^apiserver writes per token/, per(eso.counts.writes)],
    [/^operator RSS before/, `${eso.rssBefore} / ${eso.peak} / ${eso.settled} MiB`],
    [/^at the peak/, `Go heap ${eso.atPeak.heapInuse} in use / ${eso.atPeak.heapSys} obtained MiB`],
    [/^idle /, `${eso.idleCalls}, ${eso.idle.total}, ${lists}`],
    [/^most renewals due/, String(eso.burst)],
  ];
  const columns = [...report.columns, `ESO ${ESO_VERSION}`];
  const rows = report.rows.map((row) => {
    const padded = [...row, ...Array<string>(Math.max(0, report.columns.length - row.length)).fill('')];
    return [...padded, cells.find(([label]) => label.test(String(row[0])))?.[1] ?? ''];
  });
  const { credentials: c } = eso;
  return {
    title: `${report.title}; peer ESO ${ESO_VERSION} (${[eso.args.find((a) => a.startsWith('--concurrent=')), ...eso.extraArgs].join(' ')})`,
    columns,
    rows,
    notes: [
      ...(report.notes ?? []),
      `ESO apiserver requests by verb: ${byVerb(eso.counts)}`,
      `ESO idle requests by verb: ${byVerb(eso.idle)}`,
      `ESO ExternalSecret reconciles by result, 5 s after the last Ready: ${results(eso.reconciles)}; after the idle time: ${results(eso.reconcilesAfterIdle)}`,
      `ESO log errors: ${
        Object.entries(eso.errors)
          .map(([k, v]) => `${v} x ${k}`)
          .join('; ') || 'none'
      }`,
      `ESO Secrets: ${c.secrets} holding ${c.distinct} distinct logins, of ${c.issued} credentials issued at the provider ` +
        `(the rest live but in no Secret); of ${c.sampled} sampled, ${c.accepted} accepted by the simulator's docker login`,
      `RSS high-water mark (kernel VmHWM, whole life): ${berthHighWater === undefined ? '' : `berth ${berthHighWater} MiB, `}ESO ${eso.highWater} MiB`,
      `ESO flags: ${eso.args.join(' ')}; GOGC and GOMEMLIMIT unset (the chart sets neither: Go's defaults)`,
    ],
  };
}
