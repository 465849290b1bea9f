// One chaos run: N tokens issued, then all rotated, while the provider simulator injects faults,
// the operator is SIGKILLed on a timer and kube-apiserver restarts once per phase; then faults off,
// a settle period, and the audit of what is left (chaos-audit.ts). Used by bench/chaos.ts and by
// the smaller version in test/integration/chaos.test.ts.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultRates } from '../../src/simulators/core/faults.ts';
import { type AuditResult, type AuditSecret, audit, failures } from './chaos-audit.ts';
import { loginAccess, providerCensus } from './chaos-census.ts';
import { faultsOff, faultsOn } from './chaos-faults.ts';
import {
  auditToken,
  type ChaosToken,
  createTokens,
  isReady,
  listTokens,
  readSecrets,
  requestRotation,
  retried,
  tokenNames,
} from './chaos-kube.ts';
import { ChaosOperator } from './chaos-operator.ts';
import { countRequests, type RequestCounts } from './chaos-requests.ts';
import { type ChaosProvider, type ChaosWorld, prepareRegistry, startChaosWorld } from './chaos-world.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a run does. */
export interface ChaosOptions {
  provider: ChaosProvider;
  tokens: number;
  /** Seeds the fault injector; recorded with the results. */
  seed: number;
  /** SIGKILL the operator this long after each start; 0: never. */
  killEveryMs: number;
  faults: FaultRates;
  /** The operator's --workers. */
  workers: number;
  /** The operator's --provider-qps (the simulators have no limit; the providers' published ones would dominate). */
  providerQps: number;
  /** Each token's spec.gracePeriod: short, so the settle period sees replaced credentials revoked. */
  gracePeriod: string;
  /** Most time each faulty phase (issue, rotate) may take before the run moves on regardless. */
  phaseCapMs: number;
  /** Most time the settle period may take. */
  settleCapMs: number;
  /** Restart kube-apiserver once per faulty phase, down for this long; undefined: no restarts. */
  apiserverDowntimeMs: number | undefined;
  /** The operator's entry point (bench/lib/operator.ts operatorEntry). */
  entry: string;
  /** Run in a namespace of this cluster instead of a control plane of its own (no apiserver restarts). */
  sharedKubeconfig?: string | undefined;
  say: (line: string) => void;
}

/** One phase's figures. */
export interface PhaseResult {
  name: 'issue' | 'rotate' | 'settle';
  ms: number;
  /** Whether it reached its goal before its cap. */
  completed: boolean;
  /** Tokens that reached the phase's goal, of `total`. */
  done: number;
  total: number;
  /** Tokens done when kube-apiserver was restarted, if it was. */
  apiserverRestartAt?: number | undefined;
  kills: number;
  requests: RequestCounts;
}

/** A run's figures and verdict. */
export interface ChaosResult {
  options: ChaosOptions;
  phases: PhaseResult[];
  audit: AuditResult;
  /** The broken rules; empty when the run passes. */
  failures: string[];
  totalMs: number;
  kills: number;
  crashes: number;
  failedStarts: number;
  apiserverRestarts: number;
  /** The operator's flags (budgets off, etc.), for the report. */
  operatorArgs: string[];
  logFile: string;
}

/** Runs the bench in a world of its own and stops it afterwards. */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { say } = options;
  const world = await startChaosWorld({
    provider: options.provider,
    sharedKubeconfig: options.sharedKubeconfig,
  });
  const logFile = join(await mkdtemp(join(tmpdir(), 'berth-chaos-')), 'operator.log');
  const operatorArgs = [
    `--namespaces=${world.namespace}`,
    `--workers=${options.workers}`,
    `--provider-qps=${options.providerQps}`,
    `--provider-registry-host=${world.sims.endpoints.registryHost}`,
    // Every token is asked to rotate at once: the per-token and per-namespace budgets of requested
    // rotations (6 and 60 per hour by default) would throttle the bench, not test berth.
    '--budget-token-rotations-per-hour=0',
    '--budget-namespace-rotations-per-hour=0',
  ];
  const operator = new ChaosOperator(options.entry, world.kubeconfig, operatorArgs, logFile);
  try {
    await operator.start();
    await prepareRegistry(world);
    say(`${options.provider}: registry Ready in namespace ${world.namespace}; operator log ${logFile}`);
    return await phases(world, operator, options, operatorArgs, logFile);
  } finally {
    await operator.stop();
    await world.stop();
  }
}

async function phases(
  world: ChaosWorld,
  operator: ChaosOperator,
  options: ChaosOptions,
  operatorArgs: string[],
  logFile: string,
): Promise<ChaosResult> {
  const { say } = options;
  const started = Date.now();
  const names = tokenNames(options.tokens);
  const total = names.length;
  let apiserverRestarts = 0;

  /** Polls `progress` until it reaches `total` or the cap; restarts kube-apiserver a third of the way. */
  const phase = async (
    name: PhaseResult['name'],
    capMs: number,
    restart: boolean,
    progress: () => Promise<number>,
    mark = { at: Date.now(), log: world.server.log.length, kills: operator.kills },
  ): Promise<PhaseResult> => {
    const { at: from, log: logFrom, kills: killsFrom } = mark;
    let done = 0;
    let restartAt: number | undefined;
    let lastSaid = 0;
    for (;;) {
      done = await progress().catch(() => done);
      const elapsed = Date.now() - from;
      const due = done >= total / 3 || elapsed > 20_000;
      if (restart && world.restartApiServer && restartAt === undefined && due) {
        restartAt = done;
        say(`${name}: ${done}/${total}; restarting kube-apiserver`);
        await world.restartApiServer(options.apiserverDowntimeMs ?? 0);
        apiserverRestarts++;
      }
      if (done >= total || elapsed > capMs) break;
      if (Date.now() - lastSaid > 10_000) {
        say(
          `${name}: ${done}/${total} after ${Math.round(elapsed / 1000)} s, ${operator.kills} kills so far`,
        );
        lastSaid = Date.now();
      }
      await sleep(1_000);
    }
    const ms = Date.now() - from;
    say(`${name}: ${done}/${total} in ${(ms / 1000).toFixed(1)} s${done < total ? ' (cap reached)' : ''}`);
    return {
      name,
      ms,
      completed: done >= total,
      done,
      total,
      apiserverRestartAt: restartAt,
      kills: operator.kills - killsFrom,
      requests: countRequests(world.server.log, logFrom),
    };
  };

  const restarts = options.apiserverDowntimeMs !== undefined;
  faultsOn(world.server, options.faults, options.seed);
  if (options.killEveryMs > 0) operator.startKills(options.killEveryMs);

  // Phase 1: issue (timed from the first create).
  const mark = { at: Date.now(), log: world.server.log.length, kills: operator.kills };
  await createTokens(world, names, options.gracePeriod);
  const issue = await phase(
    'issue',
    options.phaseCapMs,
    restarts,
    async () => (await listTokens(world)).filter(isReady).length,
    mark,
  );
  const issued = new Map<string, string | undefined>();
  for (const t of await retried(() => listTokens(world))) issued.set(t.metadata.name, t.status?.credentialId);

  // Phase 2: rotate all.
  const request = new Date().toISOString();
  await requestRotation(world, names, request);
  const rotated = (t: ChaosToken, honoured: string | undefined) =>
    isReady(t) &&
    t.status?.credentialId !== undefined &&
    t.status.credentialId !== issued.get(t.metadata.name) &&
    honoured === request;
  const rotatedCount = async () => {
    const [tokens, secrets] = await Promise.all([listTokens(world), readSecrets(world)]);
    return tokens.filter((t) =>
      rotated(t, secrets.get(t.status?.secretName ?? t.metadata.name)?.rotationRequest),
    ).length;
  };
  const rotate = await phase('rotate', options.phaseCapMs, restarts, rotatedCount);

  // Phase 3: faults off, no more kills, until every token is rotated and nothing is pending, and
  // one periodic census of the registry ran and its findings had a few seconds to be acted on:
  // the census is what finds a create the provider committed after every sweep had looked (ADR
  // 020), and with a kill every few seconds none runs before (the first comes 30 s after a start).
  faultsOff(world.server);
  await operator.stopKills();
  let censusAt: number | undefined;
  const settle = await phase('settle', options.settleCapMs, false, async () => {
    if (censusAt === undefined && (await operator.censusLists()) > 0) censusAt = Date.now();
    const [tokens, secrets] = await Promise.all([listTokens(world), readSecrets(world)]);
    const quiet = tokens.filter(
      (t) =>
        rotated(t, secrets.get(t.status?.secretName ?? t.metadata.name)?.rotationRequest) &&
        (t.status?.pendingRevocations ?? []).length === 0 &&
        t.status?.pendingIssue === undefined,
    ).length;
    const censusActedOn = censusAt !== undefined && Date.now() - censusAt >= 5_000;
    return censusActedOn ? quiet : Math.min(quiet, tokens.length - 1);
  });

  // The audit, on a stopped operator: nothing moves while it reads.
  await operator.stop();
  const tokens = await retried(() => listTokens(world));
  const secrets = await retried(() => readSecrets(world));
  const checked = new Map<string, AuditSecret>();
  for (const t of tokens) {
    const s = secrets.get(t.status?.secretName ?? t.metadata.name);
    if (!s) continue;
    checked.set(t.metadata.name, {
      ...s,
      access: s.login ? loginAccess(world.sims, world.provider, s.login, world.repository) : 'dead',
    });
  }
  const result = audit({
    tokens: tokens.map((t) => auditToken(t, issued.get(t.metadata.name))),
    secrets: checked,
    credentials: providerCensus(world.sims, world.provider),
    rotationRequest: request,
  });
  return {
    options,
    phases: [issue, rotate, settle],
    audit: result,
    failures: failures(result),
    totalMs: Date.now() - started,
    kills: operator.kills,
    crashes: operator.crashes,
    failedStarts: operator.failedStarts,
    apiserverRestarts,
    operatorArgs,
    logFile,
  };
}
