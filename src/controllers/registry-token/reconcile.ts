import type { V1Secret } from '@kubernetes/client-node';
import type { ProviderFactory } from '../../clients/provider.ts';
import { capabilitiesOf, NotFoundError } from '../../clients/provider.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { durationMs } from '../../crds/duration.ts';
import type { RegistryToken } from '../../crds/registry-token.ts';
import { toMetaTime, toMetaTimeNotBefore } from '../runtime/conditions.ts';
import type { ReconcileRequest, Reconciler } from '../runtime/controller.ts';
import { type ReconcileResult, TerminalError, WaitingError } from '../runtime/outcome.ts';
import { payFor, type RequestBudgets } from '../shared/budgets.ts';
import type { CredentialsReader } from '../shared/credentials.ts';
import { GrantReason, type Refusal } from '../shared/grants.ts';
import { issuingRegistry, replacedRegistry } from '../shared/issuing-registry.ts';
import { providerCall } from '../shared/provider-errors.ts';
import {
  findRegistry,
  providerOf,
  type RegistryReferrer,
  referencedKey,
  requireReady,
} from '../shared/reference.ts';
import { checkTokenGrants } from '../shared/token-grants.ts';
import { forgetCredentials, holdsCredentials, onRefusal, refusalFinal, refusalPending } from './access.ts';
import type { TokenReads } from './cache-ports.ts';
import type { CredentialCensus } from './census.ts';
import { censusKey } from './census-loop.ts';
import {
  afterObservation,
  type DecisionInput,
  decide,
  type IssueReason,
  nextWake,
  scopesHash,
} from './decision.ts';
import type { TokenDistributor } from './distributor.ts';
import { loginFrom } from './docker-config.ts';
import {
  type CredentialContext,
  interruptedIssue,
  issueNext,
  revokeDue,
  revokeEverything,
  revokePendingNow,
  sweepOrphans,
  type TokenStatus,
} from './lifecycle.ts';
import { ISSUING_ANNOTATION, ROTATE_REQUESTED_ANNOTATION, SecretAnnotation, TokenReason } from './reasons.ts';
import { msUntil, renewalTime } from './renewal.ts';
import { explainReason, rotatedNote } from './rotation-note.ts';
import { recordScopes, scopePollDueAt } from './scope-problems.ts';
import { assertOwnable, type SecretOwner, secretProblem, type TokenSecrets } from './secret.ts';
import { requestOf } from './throttle.ts';

/** The credential that becomes current, and when (see RegistryTokenReconciler.current). */
interface CurrentCredential {
  id: string;
  name: string | undefined;
  username: string | undefined;
  server: string | undefined;
  now: number;
  expiresAt: Date | undefined;
  /** False when an existing credential was extended: its issue time stays. */
  issuedNow: boolean;
}

/** What the RegistryToken reconciler needs from outside. */
export interface RegistryTokenDeps {
  /** Secret writes, and the live read before an issue; other reads go through {@link reads}. */
  secrets: TokenSecrets;
  /** Registries, namespaces and berth's Secrets, from the informer caches. */
  reads: TokenReads;
  providers: ProviderFactory;
  readCredentials: CredentialsReader;
  getRegistry: (namespace: string, name: string) => Promise<ContainerRegistry | undefined>;
  /** A namespace's labels; undefined while the namespace is not known (yet). */
  namespaceLabels: (namespace: string) => Promise<Record<string, string> | undefined>;
  distributor: TokenDistributor;
  /**
   * The shared lists of each registry's credentials: sweeps look there, and the periodic census
   * leaves what it found about a token there for the token's reconcile.
   */
  census: CredentialCensus;
  /** Budgets for work a tenant can trigger on request (rotations, repairs, scope edits). */
  budgets?: Pick<RequestBudgets, 'take'>;
  /** Observes expiry and rotations for metrics. */
  observe?: {
    /** The current credential's expiry and renewal time (epoch ms; undefined: never), or both gone. */
    times(
      token: RegistryToken,
      times: { expiresAt: number | undefined; renewAt: number | undefined } | undefined,
    ): void;
    rotation(provider: string, result: 'issued' | 'rotated' | 'extended' | 'failed'): void;
  };
}

/**
 * RegistryToken: a credential at the provider, written into a dockerconfigjson Secret, renewed at
 * `expiresAt - renewBefore` by rotating (make-before-break: new credential, Secret, grace period,
 * revoke) or extending, repaired by rotation when the Secret is deleted or edited, and recovered
 * after crashes by listing what the operator owns at the provider.
 */
export class RegistryTokenReconciler implements Reconciler<RegistryToken> {
  private readonly deps: RegistryTokenDeps;

  constructor(deps: RegistryTokenDeps) {
    this.deps = deps;
  }

  async reconcile(req: ReconcileRequest<RegistryToken>): Promise<ReconcileResult> {
    const token = req.object;
    const status = req.status as TokenStatus;
    const owner = ownerOf(token);
    const secretName = token.spec.secret?.name ?? token.metadata.name;
    if (req.deleting) return this.finalize(req, status, secretName);

    // Nothing reaches the provider before the registry's grants allow this token's spec.
    const { registry, labels } = await findRegistry(this.deps, referrerOf(token));
    const refusal = checkTokenGrants(registry, token.metadata.namespace, labels, token.spec);
    if (refusal) return this.refused(req, status, registry, refusal, secretName);
    delete status.refusedAt;
    requireReady(registry);
    const ctx = await this.contextFor(req, status, registry);
    const { provider, registry: tokenRegistry } = ctx;
    await this.recordRegistry(req, status, registry);

    if (token.spec.renewal === 'Extend' && !capabilitiesOf(provider).extend) {
      throw new TerminalError(
        TokenReason.CapabilityNotSupported,
        `${provider.name} cannot extend a credential's expiry; use renewal: Rotate`,
      );
    }
    let secret = await this.deps.reads.secret(owner.namespace, secretName);
    assertOwnable(secret, owner);
    const tokenKey = `${token.metadata.namespace}/${token.metadata.name}`;
    const finding = this.deps.census.findingFor(tokenKey);
    const interrupted = interruptedIssue(token.metadata.annotations?.[ISSUING_ANNOTATION], status);
    if (interrupted) {
      // A crash, timeout or lost answer interrupted an issue: keep only what the Secret holds.
      const inSecret = secret?.metadata?.annotations?.[SecretAnnotation.CredentialId];
      const adopted = await sweepOrphans(ctx, {
        adopt: inSecret !== status.credentialId ? inSecret : undefined,
        notBefore: this.deps.census.interruptedSince(tokenKey),
      });
      if (adopted) await this.adopt(ctx, adopted, owner.namespace, secretName);
      status.issueResolved = interrupted;
      this.deps.census.issueSettled(tokenKey);
    } else if (finding && finding.orphans > 0) {
      // The census saw credentials of this token that no status names (a create the provider
      // committed after an earlier sweep had looked): decided again here, on this token's own
      // fresh status, against the census's list.
      await sweepOrphans(ctx, { snapshot: finding.snapshot });
    }

    const now = req.now();
    const lifetimeMs = durationMs(token.spec.lifetime);
    const requested = token.metadata.annotations?.[ROTATE_REQUESTED_ANNOTATION];
    const honoured = secret?.metadata?.annotations?.[SecretAnnotation.RotationRequest];
    const hash = scopesHash(token.spec.scopes);
    // A credential issued before berth recorded scopes was given the spec's scopes of that time.
    if (status.credentialId && status.scopesHash === undefined) status.scopesHash = hash;
    const observeMs = durationMs(registry.spec.observeInterval);
    // Only where grants follow repositories created later (Quay) does each token poll on its own;
    // elsewhere the census's one list per registry and interval looks at every credential.
    const polls = provider.tokens.expandsScopes === true;
    const pollDue = (at: number) =>
      scopePollDueAt({
        checkedAt: status.credentialCheckedAt ? Date.parse(status.credentialCheckedAt) : undefined,
        now: at,
        observeMs,
        problemsSince: status.scopeProblemsSince ? Date.parse(status.scopeProblemsSince) : undefined,
      });
    let action = decide({
      now,
      hasCredential: status.credentialId !== undefined,
      secretProblem: status.credentialId
        ? (secretProblem(secret, status.credentialId) as DecisionInput['secretProblem'])
        : undefined,
      rotationRequested: requested !== undefined && requested !== honoured,
      renewAt: status.renewAt ? Date.parse(status.renewAt) : undefined,
      renewal: token.spec.renewal,
      scopesChanged: status.scopesHash !== hash,
      canUpdateScopes: provider.tokens.updateScopes !== undefined,
      suspect: finding?.suspect !== undefined && finding.suspect.credentialId === status.credentialId,
      pollDueAt: polls ? pollDue(now) : undefined,
    });
    if (action.kind === 'observe' && status.credentialId) {
      const id = status.credentialId;
      const observed = await providerCall(ctx.credentialsSecret, () =>
        provider.tokens.observe(tokenRegistry, id),
      );
      status.credentialCheckedAt = toMetaTime(now);
      action = afterObservation(observed, now, provider.tokens.expandsScopes === true);
    }
    // What a tenant can repeat at will (a request, a Secret edited, a scope edit) pays first.
    const throttled = payFor(
      this.deps.budgets,
      'rotation',
      token.metadata,
      requestOf(action, {
        rotationRequest: requested,
        secretVersion: secret?.metadata?.resourceVersion,
        credentialId: status.credentialId,
        scopesHash: hash,
        scopesChanged: status.scopesHash !== hash,
      }),
    );
    if (throttled) action = { kind: 'none' };
    // An issue writes the finalizer together with its intent; anything else makes sure it is there.
    if (action.kind !== 'issue') await req.ensureFinalizer();
    if (action.kind === 'issue' && !secret) {
      // The cache holds only berth's Secrets: someone else's of this name shows up only when asked.
      assertOwnable(await this.deps.secrets.readLive(owner.namespace, secretName), owner);
    }
    if (action.kind === 'issue') {
      secret = await this.rotate(ctx, owner, secretName, action.reason, lifetimeMs, requested, secret);
    } else if (action.kind === 'extend') {
      await this.extend(ctx, lifetimeMs, owner, secretName, requested, secret);
    } else if (action.kind === 'updateScopes') {
      await this.updateScopes(ctx, hash);
    }
    const nextRevocation = await revokeDue(ctx);

    const served = await this.deps.distributor.distribute(token, secret, registry);
    status.secretName = secretName;
    if (served.namespacesServed.length > 0) status.namespacesServed = served.namespacesServed;
    else delete status.namespacesServed;
    this.deps.observe?.times(token, {
      expiresAt: status.expiresAt ? Date.parse(status.expiresAt) : undefined,
      renewAt: status.renewAt ? Date.parse(status.renewAt) : undefined,
    });

    if (throttled) {
      // Revocations and distribution above still ran; only the requested work waits.
      await req.recordEvent({
        type: 'Warning',
        reason: TokenReason.Throttled,
        note: throttled.message,
        action: 'Issue',
      });
      throw new WaitingError(TokenReason.Throttled, throttled.message, throttled.retryAfterMs);
    }
    if (finding) this.deps.census.resolveFinding(tokenKey, finding);
    const nextPoll = polls && status.credentialCheckedAt ? pollDue(req.now()) : undefined;
    const next = nextWake([
      status.renewAt ? Date.parse(status.renewAt) : undefined,
      nextRevocation,
      nextPoll,
    ]);
    if (status.reachesNothing) {
      // Written and distributed, but it can pull nothing: not Ready until a look finds a grant.
      // The next look, or sooner a revocation or renewal that is due: this wait is the only requeue.
      const wait = Math.max(1_000, msUntil(next ?? req.now() + observeMs, req.now()));
      // No countdown in the message: a text that changes at every look would be a status write each time.
      throw new WaitingError(
        TokenReason.NoAccess,
        `credential ${status.credentialName} in Secret ${secretName} reaches none of its scopes: ` +
          `${(status.scopeProblems ?? []).join('; ')}`,
        wait,
      );
    }
    const problems = [
      ...(served.problems.length > 0 ? [`not distributed: ${served.problems.join('; ')}`] : []),
      ...(status.scopeProblems?.length ? [`not granted: ${status.scopeProblems.join('; ')}`] : []),
    ];
    const message =
      `credential ${status.credentialName} in Secret ${secretName}` +
      (problems.length > 0
        ? `; ${problems.join('; ')}`
        : status.expiresAt
          ? `, valid until ${status.expiresAt}`
          : '');
    return {
      message,
      ...(next !== undefined ? { requeueAfterMs: Math.max(1_000, msUntil(next, req.now())) } : {}),
    };
  }

  private async rotate(
    ctx: CredentialContext,
    owner: SecretOwner,
    secretName: string,
    reason: IssueReason,
    lifetimeMs: number,
    requested: string | undefined,
    existing: V1Secret | undefined,
  ): Promise<V1Secret | undefined> {
    const { req, status, provider } = ctx;
    const token = req.object;
    // At most two live credentials: a replaced one still in its grace period goes now.
    if ((status.pendingRevocations ?? []).length > 0) await revokePendingNow(ctx);
    const now = req.now();
    const expiresAt = provider.tokens.expires ? new Date(now + lifetimeMs) : undefined;
    let issued: Awaited<ReturnType<typeof issueNext>>;
    try {
      issued = await issueNext(ctx, expiresAt);
    } catch (err) {
      this.deps.observe?.rotation(provider.name, 'failed');
      throw err;
    }
    const written = await this.deps.secrets.write(owner, existing, {
      name: secretName,
      login: issued.login,
      credentialId: issued.id,
      labels: token.spec.secret?.labels ?? {},
      annotations: token.spec.secret?.annotations ?? {},
      rotationRequest: requested,
    });
    this.deps.reads.wroteSecret(written);
    const previous = status.credentialId;
    const previousName = status.credentialName;
    if (previous) {
      const grace = durationMs(token.spec.gracePeriod);
      status.pendingRevocations = [
        ...(status.pendingRevocations ?? []),
        {
          credentialId: previous,
          ...(status.credentialName ? { credentialName: status.credentialName } : {}),
          revokeAfter: toMetaTimeNotBefore(now + grace),
        },
      ];
      status.lastRotatedAt = toMetaTime(now);
      status.lastRotationReason = explainReason(reason, provider.name);
    }
    // The new credential has the spec's scopes, exactly, and was just seen: after the create
    // answered, so a census list started later must show it (census-findings.ts).
    status.scopesHash = scopesHash(token.spec.scopes);
    status.credentialCheckedAt = toMetaTime(req.now());
    if (recordScopes(status, issued.scopes, req.now()) && status.scopeProblems)
      await req.recordEvent({
        type: 'Warning',
        reason: TokenReason.ScopesNotGranted,
        note: `credential ${issued.name} does not reach: ${status.scopeProblems.join('; ')}`,
        action: 'Issue',
      });
    this.current(ctx, {
      id: issued.id,
      name: issued.name,
      username: issued.login.username,
      server: issued.login.server,
      now,
      expiresAt: issued.expiresAt,
      issuedNow: true,
    });
    delete status.pendingIssue;
    this.deps.observe?.rotation(provider.name, previous ? 'rotated' : 'issued');
    await req.recordEvent({
      type: 'Normal',
      reason: previous ? TokenReason.Rotated : TokenReason.Issued,
      note: previous
        ? rotatedNote({
            issued: issued.name,
            previous: previousName ?? previous,
            reason,
            provider: provider.name,
            gracePeriod: token.spec.gracePeriod,
          })
        : `issued credential ${issued.name} into Secret ${secretName}`,
      action: 'Issue',
    });
    return written;
  }

  private async extend(
    ctx: CredentialContext,
    lifetimeMs: number,
    owner: SecretOwner,
    secretName: string,
    requested: string | undefined,
    secret: V1Secret | undefined,
  ): Promise<void> {
    const { req, status, provider, registry } = ctx;
    const extend = provider.tokens.extend;
    const id = status.credentialId;
    if (!extend || !id) return;
    const now = req.now();
    try {
      const observed = await providerCall(ctx.credentialsSecret, () =>
        extend.call(provider.tokens, registry, id, new Date(now + lifetimeMs)),
      );
      this.current(ctx, {
        id,
        name: status.credentialName ?? observed.name,
        username: status.username,
        server: status.server,
        now,
        expiresAt: observed.expiresAt,
        issuedNow: false,
      });
      this.deps.observe?.rotation(provider.name, 'extended');
      await req.recordEvent({
        type: 'Normal',
        reason: TokenReason.Extended,
        note: `extended credential ${status.credentialName} until ${status.expiresAt}`,
        action: 'Extend',
      });
    } catch (err) {
      // Expired and gone at the provider (IONOS deletes expired tokens): issue a new one.
      if (!((err as { cause?: unknown }).cause instanceof NotFoundError) && !(err instanceof NotFoundError))
        throw err;
      await this.rotate(ctx, owner, secretName, 'CredentialGone', lifetimeMs, requested, secret);
    }
  }

  /**
   * Gives the current credential the spec's scopes in place (IONOS: PATCH; Quay: repository
   * grants, also picking up repositories created since and grants removed by hand). What could
   * not be granted goes into status and the Ready message.
   */
  private async updateScopes(ctx: CredentialContext, hash: string): Promise<void> {
    const { req, status, provider, registry } = ctx;
    const update = provider.tokens.updateScopes;
    const id = status.credentialId;
    if (!update || !id) return;
    const changed = status.scopesHash !== hash;
    const result = await providerCall(ctx.credentialsSecret, () =>
      update.call(provider.tokens, registry, id, req.object.spec.scopes),
    );
    status.scopesHash = hash;
    status.credentialCheckedAt = toMetaTime(req.now());
    if (recordScopes(status, result, req.now()) || changed) {
      await req.recordEvent({
        type: result.problems.length > 0 ? 'Warning' : 'Normal',
        reason: TokenReason.ScopesUpdated,
        note:
          `credential ${status.credentialName} now has the scopes of the spec` +
          (result.problems.length > 0 ? `, except: ${result.problems.join('; ')}` : ''),
        action: 'Update',
      });
    }
  }

  private current(ctx: CredentialContext, credential: CurrentCredential): void {
    const { id, name, username, server, now, expiresAt, issuedNow } = credential;
    const { status, req } = ctx;
    const spec = req.object.spec;
    status.credentialId = id;
    if (name) status.credentialName = name;
    if (username) status.username = username;
    if (server) status.server = server;
    if (issuedNow) status.issuedAt = toMetaTime(now);
    if (expiresAt) status.expiresAt = toMetaTime(expiresAt.getTime());
    else delete status.expiresAt;
    const issuedAt = status.issuedAt ? Date.parse(status.issuedAt) : now;
    const renewAt = renewalTime({
      issuedAt: issuedNow ? now : issuedAt,
      expiresAt: expiresAt?.getTime(),
      lifetimeMs: durationMs(spec.lifetime),
      renewBeforeMs: spec.renewBefore ? durationMs(spec.renewBefore) : undefined,
      rotateEveryMs: spec.rotateEvery ? durationMs(spec.rotateEvery) : undefined,
      spreadKey: ctx.req.object.metadata.uid,
    });
    if (renewAt !== undefined) status.renewAt = toMetaTime(renewAt);
    else delete status.renewAt;
  }

  private async adopt(
    ctx: CredentialContext,
    id: string,
    namespace: string,
    secretName: string,
  ): Promise<void> {
    const { req, status, provider, registry } = ctx;
    const observed = await providerCall(ctx.credentialsSecret, () => provider.tokens.observe(registry, id));
    if (!observed) return;
    // The login the Secret holds: status must name its user, not the replaced credential's (the
    // chaos bench found status.username one credential behind after a recovery).
    const live = await this.deps.secrets.readLive(namespace, secretName);
    const data = live?.data?.['.dockerconfigjson'];
    const login = data ? loginFrom(Buffer.from(data, 'base64').toString('utf8')) : undefined;
    if (status.credentialId && status.credentialId !== id) {
      const grace = durationMs(req.object.spec.gracePeriod);
      status.pendingRevocations = [
        ...(status.pendingRevocations ?? []),
        {
          credentialId: status.credentialId,
          // The name keeps the next counter above it (nextCredentialName).
          ...(status.credentialName ? { credentialName: status.credentialName } : {}),
          revokeAfter: toMetaTimeNotBefore(req.now() + grace),
        },
      ];
    }
    if (provider.tokens.expandsScopes) {
      // What the adopted robot reaches is not known (its issue's answer never came back): the
      // poll that follows in this reconcile grants and records it, instead of the replaced
      // credential's scope findings standing for it.
      delete status.credentialCheckedAt;
      recordScopes(status, undefined, req.now());
    } else status.credentialCheckedAt = toMetaTime(req.now());
    if (!login) delete status.username;
    this.current(ctx, {
      id,
      name: observed.name,
      username: login?.username,
      server: login?.server ?? registry.server,
      now: req.now(),
      expiresAt: observed.expiresAt,
      issuedNow: true,
    });
    await req.recordEvent({
      type: 'Normal',
      reason: TokenReason.Recovered,
      note: `credential ${observed.name} was issued and written before a restart; kept it`,
      action: 'Issue',
    });
  }

  /**
   * Deletion: revoke what berth issued, at the registry it issued it at (status.registry), then
   * remove the Secret, its copies and the finalizer. A token that never held a credential costs no
   * provider call (a finalizer added by hand on a token of a namespace the registry does not admit
   * must not make berth list and revoke with the platform's key); deletionPolicy: Retain is
   * honoured only where a grant allows it.
   */
  private async finalize(
    req: ReconcileRequest<RegistryToken>,
    status: TokenStatus,
    secretName: string,
  ): Promise<ReconcileResult> {
    const token = req.object;
    const interrupted = interruptedIssue(token.metadata.annotations?.[ISSUING_ANNOTATION], status);
    if (!holdsCredentials(status) && interrupted === undefined) return this.removeLocal(req, secretName);
    const where = status.registry ?? referencedKey(referrerOf(token));
    const registry = await this.deps.getRegistry(where.namespace, where.name);
    if (!registry || (status.registry && replacedRegistry(status.registry, registry))) {
      await req.recordEvent({
        type: 'Warning',
        reason: registry ? TokenReason.CredentialsUnreachable : TokenReason.RegistryNotFound,
        note:
          `ContainerRegistry ${where.namespace}/${where.name} that issued this token's credentials is gone` +
          `${registry ? ' (it now points at another registry)' : ''}; they could not be revoked`,
        action: 'Revoke',
      });
      return this.removeLocal(req, secretName);
    }
    const labels = (await this.deps.namespaceLabels(token.metadata.namespace)) ?? {};
    const refusal = checkTokenGrants(registry, token.metadata.namespace, labels, token.spec);
    // Only an interrupted first issue, never recorded in status: whether there is anything to find
    // depends on the token having been admitted, which it must still be for berth to look.
    if (status.registry === undefined && refusal?.reason === GrantReason.RegistryNotAllowed)
      return this.removeLocal(req, secretName);
    requireReady(registry);
    const ctx = await this.contextFor(req, status, registry);
    const { provider } = ctx;
    await this.deps.distributor.undistribute(token, secretName);
    if (token.spec.deletionPolicy === 'Revoke' || refusal !== undefined) {
      await revokeEverything(ctx);
      await req.recordEvent({
        type: 'Normal',
        reason: TokenReason.Revoked,
        note:
          `revoked every credential of this token at ${provider.name}` +
          (token.spec.deletionPolicy === 'Retain'
            ? ' (deletionPolicy Retain is not granted to this namespace)'
            : ''),
        action: 'Revoke',
      });
    }
    return this.removeLocal(req, secretName);
  }

  /** Removes what berth made in the cluster for the token (copies, ServiceAccount entries, Secret), then the finalizer. */
  private async removeLocal(
    req: ReconcileRequest<RegistryToken>,
    secretName: string,
  ): Promise<ReconcileResult> {
    const token = req.object;
    await this.deps.distributor.undistribute(token, secretName);
    await this.deps.secrets.deleteOwned(ownerOf(token), secretName);
    await req.removeFinalizer();
    this.deps.census.forgetToken(`${token.metadata.namespace}/${token.metadata.name}`);
    // A deleted token's series would otherwise stay and set off the expiry alerts.
    this.deps.observe?.times(token, undefined);
    return {};
  }

  /**
   * The registry refuses this token (namespace no longer admitted, spec beyond the grants). With
   * nothing at the provider it is Stalled; with credentials they are revoked, and the Secret and
   * its copies deleted, once the registry's observeInterval has passed without a change of mind.
   */
  private async refused(
    req: ReconcileRequest<RegistryToken>,
    status: TokenStatus,
    registry: ContainerRegistry,
    refusal: Refusal,
    secretName: string,
  ): Promise<ReconcileResult> {
    req.logger.info(
      { reason: refusal.reason, detail: refusal.detail ?? refusal.message },
      'registry refuses the token',
    );
    if (!holdsCredentials(status)) throw refusalFinal(refusal);
    const step = await onRefusal(req, status, registry, refusal);
    if (step.kind === 'wait') throw refusalPending(refusal, step.until, req.now());
    const token = req.object;
    const issuedAt = status.registry ?? referencedKey(referrerOf(token));
    if (status.registry && replacedRegistry(status.registry, registry)) {
      // Out of reach at the provider; what berth can still do is take the Secret out of use.
      await this.deps.distributor.undistribute(token, secretName);
      await this.deps.secrets.deleteOwned(ownerOf(token), secretName);
      forgetCredentials(status);
      throw refusalFinal(refusal);
    }
    requireReady(registry);
    const ctx = await this.contextFor(req, status, registry);
    await this.deps.distributor.undistribute(token, secretName);
    await this.deps.secrets.deleteOwned(ownerOf(token), secretName);
    await revokeEverything(ctx);
    const revoked = status.credentialName ?? status.credentialId;
    forgetCredentials(status);
    this.deps.observe?.times(token, undefined);
    await req.recordEvent({
      type: 'Warning',
      reason: TokenReason.AccessRevoked,
      note:
        `revoked credential ${revoked} at ContainerRegistry ${issuedAt.namespace}/${issuedAt.name} and deleted ` +
        `Secret ${secretName} and its copies: ${refusal.message}`,
      action: 'Revoke',
    });
    throw refusalFinal(refusal);
  }

  /**
   * Remembers the registry the token's credentials live at (status.registry), for revocation. A
   * registry object replaced by one at another provider registry leaves the old credentials out of
   * reach: they are forgotten with a warning (they expire there by themselves) and a new one is issued.
   */
  private async recordRegistry(
    req: ReconcileRequest<RegistryToken>,
    status: TokenStatus,
    registry: ContainerRegistry,
  ): Promise<void> {
    if (status.registry && replacedRegistry(status.registry, registry)) {
      await req.recordEvent({
        type: 'Warning',
        reason: TokenReason.CredentialsUnreachable,
        note:
          `ContainerRegistry ${registry.metadata.namespace}/${registry.metadata.name} now points at another registry ` +
          `than the one that issued credential ${status.credentialName ?? status.credentialId}; berth cannot revoke it ` +
          'there and issues a new one',
        action: 'Issue',
      });
      forgetCredentials(status);
    }
    status.registry = issuingRegistry(registry);
  }

  private async contextFor(
    req: ReconcileRequest<RegistryToken>,
    status: TokenStatus,
    registry: ContainerRegistry,
  ): Promise<CredentialContext> {
    const found = await providerOf(this.deps, registry, req.object.metadata.namespace);
    return {
      req,
      status,
      provider: found.provider,
      registry: found.registry,
      credentialsSecret: found.credentialsSecret,
      census: this.deps.census,
      censusKey: censusKey(registry),
    };
  }
}

/** Where a RegistryToken points. */
function referrerOf(token: RegistryToken): RegistryReferrer {
  return { namespace: token.metadata.namespace, ref: token.spec.registryRef };
}

function ownerOf(token: RegistryToken): SecretOwner {
  return {
    apiVersion: token.apiVersion,
    kind: token.kind,
    namespace: token.metadata.namespace,
    name: token.metadata.name,
    uid: token.metadata.uid ?? '',
  };
}
