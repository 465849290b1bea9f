import type { ObservedCredential } from '../../clients/provider.ts';
import type { Clock } from '../runtime/clock.ts';

/** One list of a registry's berth credentials at the provider, and when it was taken. */
export interface CensusSnapshot {
  /**
   * When the list started. A credential that existed at the provider before this moment, and
   * still did when the list ended, is in it; one created later may be missing.
   */
  readonly startedAt: number;
  readonly credentials: readonly ObservedCredential[];
  readonly byId: ReadonlyMap<string, ObservedCredential>;
}

/** What the periodic census found about one token; consumed by that token's reconcile. */
export interface CensusFinding {
  /** The list the finding comes from (for the sweep: it is fresh enough for this token). */
  readonly snapshot: CensusSnapshot;
  /** The current credential looked gone, disabled or expired in the list: confirm, then replace. */
  readonly suspect?: { credentialId: string; why: 'gone' | 'disabled' | 'expired' } | undefined;
  /** The list holds credentials of this token that its status does not know: revoke them. */
  readonly orphans: number;
}

interface RegistryState {
  latest?: { seq: number; snapshot: CensusSnapshot };
  inflight?: { seq: number; startedAt: number; done: Promise<CensusSnapshot> };
  /** Credentials revoked in this process, and when: an older list must not resurrect them. */
  revoked: Map<string, number>;
}

/** How long a revocation is remembered; findings from lists older than this are dropped. */
const REVOKED_MEMORY_MS = 60 * 60_000;

/**
 * The shared view of each registry's credentials at the provider: one paged list per registry
 * serves every token of it, instead of a list per interrupted issue (which cost a whole registry
 * list each) or a request per token per observeInterval. Lists are single-flight: a reconcile
 * that needs a list taken after some moment waits for the next one, and every reconcile waiting
 * meanwhile shares it, so a burst of failures costs a few lists, not one per token.
 */
export class CredentialCensus {
  private readonly clock: Clock;
  private readonly registries = new Map<string, RegistryState>();
  private readonly findings = new Map<string, CensusFinding>();
  /** Lists in the order they started: one started after a call to {@link fresh} is fresh for it. */
  private lists = 0;
  /** When this process started: an issue interrupted before it (by a crash) is older than that. */
  private readonly startedAt: number;
  /** Per token, when a create of it last ran in this process (noted as it starts and as it ends). */
  private readonly issues = new Map<string, number>();

  constructor(clock: Clock) {
    this.clock = clock;
    this.startedAt = clock.now();
  }

  /**
   * Notes that a create of the token runs now: called as it starts and again when it answered or
   * failed, so the note is the end of the last create this process sent for the token.
   */
  noteIssue(tokenKey: string): void {
    this.issues.set(tokenKey, this.clock.now());
  }

  /** The token's interrupted issue is settled (a sweep saw the registry after it). */
  issueSettled(tokenKey: string): void {
    this.issues.delete(tokenKey);
  }

  /**
   * How fresh a list must be to settle the token's interrupted issue: started after the last create
   * this process sent for it ended, or, for an issue a crash interrupted, after this process
   * started. Every token a restart found interrupted can then share the first list of the process,
   * instead of each waiting for a list started after its own first reconcile (with many of them a
   * second list after the first; under a crash loop, none done before the next crash).
   */
  interruptedSince(tokenKey: string): number {
    return this.issues.get(tokenKey) ?? this.startedAt;
  }

  /** How many lists were taken (all registries), for metrics and benchmarks. */
  get listCount(): number {
    return this.lists;
  }

  /** The latest complete list of a registry, if any. */
  latest(registry: string): CensusSnapshot | undefined {
    return this.registries.get(registry)?.latest?.snapshot;
  }

  /**
   * A list of the registry started after `notBefore` (or after this call): the latest if it is
   * that fresh, the one under way if it started late enough, else a new one (after the one under
   * way ended, so that there is never more than one list of a registry at a time).
   */
  async fresh(
    registry: string,
    notBefore: number,
    list: () => Promise<readonly ObservedCredential[]>,
  ): Promise<CensusSnapshot> {
    const state = this.stateOf(registry);
    const asked = this.lists;
    const late = (l: { seq: number; startedAt: number }) => l.seq > asked || l.startedAt > notBefore;
    for (;;) {
      if (state.latest && late({ seq: state.latest.seq, startedAt: state.latest.snapshot.startedAt }))
        return state.latest.snapshot;
      const running = state.inflight;
      if (running && late(running)) return running.done;
      if (!running) return this.take(state, list);
      await running.done.catch(() => undefined);
    }
  }

  /** Remembers that this process revoked a credential, so that lists older than that skip it. */
  noteRevoked(registry: string, credentialId: string): void {
    this.stateOf(registry).revoked.set(credentialId, this.clock.now());
  }

  /** Credentials revoked at or after `since` (a list started then may still show them). */
  revokedSince(registry: string, since: number): ReadonlySet<string> {
    const out = new Set<string>();
    for (const [id, at] of this.registries.get(registry)?.revoked ?? []) if (at >= since) out.add(id);
    return out;
  }

  /** Records what the periodic census found about a token (replacing an older finding). */
  setFinding(tokenKey: string, finding: CensusFinding): void {
    this.findings.set(tokenKey, finding);
  }

  /** What the census found about a token and nobody handled yet. */
  findingFor(tokenKey: string): CensusFinding | undefined {
    const finding = this.findings.get(tokenKey);
    if (finding && finding.snapshot.startedAt < this.clock.now() - REVOKED_MEMORY_MS) {
      this.findings.delete(tokenKey);
      return undefined;
    }
    return finding;
  }

  /** The token's reconcile handled this finding (a newer one, set meanwhile, stays). */
  resolveFinding(tokenKey: string, finding: CensusFinding): void {
    if (this.findings.get(tokenKey) === finding) this.findings.delete(tokenKey);
  }

  /** Forgets a token (deleted). */
  forgetToken(tokenKey: string): void {
    this.findings.delete(tokenKey);
    this.issues.delete(tokenKey);
  }

  /** Forgets a registry (deleted, or no token of this replica uses it any more). */
  forgetRegistry(registry: string): void {
    this.registries.delete(registry);
  }

  private stateOf(registry: string): RegistryState {
    let state = this.registries.get(registry);
    if (!state) {
      state = { revoked: new Map() };
      this.registries.set(registry, state);
    }
    return state;
  }

  private take(state: RegistryState, list: () => Promise<readonly ObservedCredential[]>) {
    const startedAt = this.clock.now();
    this.lists += 1;
    const seq = this.lists;
    const done = (async () => {
      try {
        const credentials = await list();
        const snapshot: CensusSnapshot = {
          startedAt,
          credentials,
          byId: new Map(credentials.map((c) => [c.id, c])),
        };
        if (!state.latest || state.latest.seq < seq) state.latest = { seq, snapshot };
        for (const [id, at] of state.revoked)
          if (at < startedAt - REVOKED_MEMORY_MS) state.revoked.delete(id);
        return snapshot;
      } finally {
        if (state.inflight?.seq === seq) delete state.inflight;
      }
    })();
    state.inflight = { seq, startedAt, done };
    return done;
  }
}
