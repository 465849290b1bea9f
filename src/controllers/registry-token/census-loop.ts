import type { Logger } from 'pino';
import type { ObservedCredential } from '../../clients/provider.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { durationMs } from '../../crds/duration.ts';
import type { RegistryToken } from '../../crds/registry-token.ts';
import type { OperatorMetrics } from '../../metrics.ts';
import type { Clock, TimerHandle } from '../runtime/clock.ts';
import { replacedRegistry } from '../shared/issuing-registry.ts';
import { referencedKey } from '../shared/reference.ts';
import type { CredentialCensus } from './census.ts';
import { censusFindings, type TokenView } from './census-findings.ts';
import type { TokenStatus } from './lifecycle.ts';
import { ISSUING_ANNOTATION } from './reasons.ts';

/** How a registry's berth credentials are listed: its provider client, from its credentials. */
export interface RegistryLister {
  provider: string;
  list: () => Promise<readonly ObservedCredential[]>;
}

/** What the periodic census reads and does. */
export interface CensusLoopDeps {
  clock: Clock;
  census: CredentialCensus;
  logger: Logger;
  metrics?: Pick<OperatorMetrics, 'credentialCensusLists' | 'credentialCensusFindings'> | undefined;
  /** ContainerRegistries, from the informer cache. */
  registries(): readonly ContainerRegistry[];
  /** This replica's RegistryTokens, from the informer cache. */
  tokens(): readonly RegistryToken[];
  lister(registry: ContainerRegistry): Promise<RegistryLister>;
  /** Wakes a token's reconcile. */
  enqueue(tokenKey: string): void;
  /** How often a due census is looked for (default 1 s); registries new to the loop every 5 s. */
  tickMs?: number;
  /**
   * The first census of a registry this long after the loop first sees it, or one observeInterval
   * if that is shorter (default 30 s): the reconciles after a start come first.
   */
  firstDelayMs?: number;
}

/** How often the loop looks for registries it has not seen yet. */
const SCAN_MS = 5_000;

/** The census key of a registry object: the provider registry it stands for now. */
export function censusKey(registry: ContainerRegistry): string {
  const { namespace, name } = registry.metadata;
  return `${namespace}/${name}@${registry.status?.externalId ?? ''}`;
}

/** A registry and the tokens whose credentials live at it. */
interface Group {
  registry: ContainerRegistry;
  tokens: Map<string, TokenView>;
}

/**
 * Once per registry and observeInterval, one paged list of the registry's berth credentials,
 * shared by all its tokens (issue 19): it finds current credentials deleted, disabled or expired
 * behind berth's back and credentials no token knows (an issue whose create the provider
 * committed after berth had looked), and wakes only the tokens concerned. A token with nothing
 * to do costs no request and no write.
 */
export class CensusLoop {
  private readonly deps: CensusLoopDeps;
  private readonly nextAt = new Map<string, number>();
  private lastScan = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(deps: CensusLoopDeps) {
    this.deps = deps;
  }

  /** Starts looking for due registries (on the leader, with the workers). */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** Stops; a census under way finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimer(this.timer);
    await this.running;
  }

  /** Runs the census of every registry that is due (exposed for tests). */
  async runDue(): Promise<void> {
    const now = this.deps.clock.now();
    // Grouping reads every token: only when a census is due, or now and then for new registries.
    const due = [...this.nextAt.values()].some((at) => at <= now);
    if (!due && now - this.lastScan < SCAN_MS) return;
    this.lastScan = now;
    const groups = this.groups();
    for (const key of this.nextAt.keys()) if (!groups.has(key)) this.forget(key);
    for (const [key, group] of groups) {
      if (this.stopped) return;
      const due = this.nextAt.get(key);
      if (due === undefined) {
        const interval = durationMs(group.registry.spec.observeInterval);
        this.nextAt.set(key, now + Math.min(interval, this.deps.firstDelayMs ?? 30_000));
        continue;
      }
      if (due > now) continue;
      await this.census(key, group);
    }
  }

  private forget(key: string): void {
    this.nextAt.delete(key);
    this.deps.census.forgetRegistry(key);
  }

  private async census(key: string, group: Group): Promise<void> {
    const { clock, census, logger, metrics } = this.deps;
    const interval = durationMs(group.registry.spec.observeInterval);
    const startedAt = clock.now();
    let provider: string = group.registry.spec.provider;
    try {
      const lister = await this.deps.lister(group.registry);
      provider = lister.provider;
      const snapshot = await census.fresh(key, startedAt, lister.list);
      metrics?.credentialCensusLists.inc({ provider, result: 'ok' });
      // Tokens are read after the list: one that issued meanwhile is then at least as new.
      const views = this.groups().get(key)?.tokens ?? new Map();
      const revoked = census.revokedSince(key, snapshot.startedAt);
      for (const [tokenKey, finding] of censusFindings(snapshot, views, revoked, clock.now())) {
        census.setFinding(tokenKey, finding);
        if (finding.suspect) metrics?.credentialCensusFindings.inc({ provider, kind: finding.suspect.why });
        if (finding.orphans > 0)
          metrics?.credentialCensusFindings.inc({ provider, kind: 'orphan' }, finding.orphans);
        this.deps.enqueue(tokenKey);
      }
      this.nextAt.set(key, startedAt + interval);
    } catch (err) {
      metrics?.credentialCensusLists.inc({ provider, result: 'error' });
      logger.warn(
        { registry: key, err: err instanceof Error ? err.message : String(err) },
        'could not list the registry credentials; trying again',
      );
      this.nextAt.set(key, startedAt + Math.min(interval, 60_000));
    }
  }

  /** Registries (by census key) with the tokens whose credentials live there. */
  private groups(): Map<string, Group> {
    const registries = new Map<string, ContainerRegistry>();
    for (const r of this.deps.registries()) registries.set(`${r.metadata.namespace}/${r.metadata.name}`, r);
    const groups = new Map<string, Group>();
    for (const token of this.deps.tokens()) {
      const status = (token.status ?? {}) as TokenStatus;
      if (!status.credentialId && !status.issueResolved && !status.pendingRevocations?.length) continue;
      const where =
        status.registry ??
        referencedKey({ namespace: token.metadata.namespace, ref: token.spec.registryRef });
      const registry = registries.get(`${where.namespace}/${where.name}`);
      if (!registry || !isReady(registry)) continue;
      if (status.registry && replacedRegistry(status.registry, registry)) continue;
      const key = censusKey(registry);
      let group = groups.get(key);
      if (!group) {
        group = { registry, tokens: new Map() };
        groups.set(key, group);
      }
      group.tokens.set(`${token.metadata.namespace}/${token.metadata.name}`, {
        uid: token.metadata.uid ?? '',
        status,
        issuing: token.metadata.annotations?.[ISSUING_ANNOTATION],
      });
    }
    return groups;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.deps.clock.setTimer(() => {
      this.running = this.runDue()
        .catch((err: unknown) => this.deps.logger.warn({ err: String(err) }, 'credential census failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.deps.tickMs ?? 1_000);
  }
}

function isReady(registry: ContainerRegistry): boolean {
  return registry.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
