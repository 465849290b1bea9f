import type { CleanupPolicy, CleanupPolicyStatus } from '../../crds/cleanup-policy.ts';
import { MAX_SKIPPED_REPOSITORIES } from '../../crds/cleanup-rules.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { Reason, toMetaTime } from '../runtime/conditions.ts';
import type { ReconcileRequest, Reconciler } from '../runtime/controller.ts';
import { type ReconcileResult, TerminalError, WaitingError } from '../runtime/outcome.ts';
import { BudgetReason, payFor, type RequestBudgets } from '../shared/budgets.ts';
import { checkCleanupGrants } from '../shared/cleanup-grants.ts';
import { issuingRegistry, replacedRegistry } from '../shared/issuing-registry.ts';
import { providerCall } from '../shared/provider-errors.ts';
import {
  findRegistry,
  providerOf,
  type ReferenceDeps,
  referencedKey,
  requireReady,
} from '../shared/reference.ts';
import { ManifestFactsCache, planChecked } from './checked-plan.ts';
import { execute, type ManifestDeleterFactory, singleTagRefusal } from './execute.ts';
import { mostRunsInAnyHour } from './frequency.ts';
import { listCovered, skippedPhrase } from './listing.ts';
import { translateToNative } from './native.ts';
import { DELETIONS_NOT_EFFECTIVE, notEffectiveError, notEffectiveMessage } from './read-back.ts';
import { openRunAccess } from './run-access.ts';
import { logDeletions, runItem, statusItems } from './run-items.ts';
import { dueRun, runRequested, validateSchedule } from './schedule.ts';

/** Annotation that runs the policy once now; its value must be a timestamp later than the last run. */
export const RUN_REQUESTED_ANNOTATION = 'berth.dev/run-requested-at';

/** What the CleanupPolicy reconciler needs from outside. */
export interface CleanupDeps extends ReferenceDeps {
  oci: ManifestDeleterFactory;
  /** Budgets for runs on request. */
  budgets?: Pick<RequestBudgets, 'take'>;
  observe?: {
    run(provider: string, result: 'dry_run' | 'succeeded' | 'partial' | 'stopped_at_limit'): void;
    deleted(provider: string, count: number): void;
  };
}

type Status = CleanupPolicyStatus & Record<string, unknown>;

/**
 * CleanupPolicy: at each scheduled slot (in its time zone; missed slots collapse into one run) or
 * on request, list the covered repositories, plan with the pure rule evaluator, and delete (or, in
 * a dry run, only report) what the plan says, at most maxDeletionsPerRun, then optionally start
 * the provider's garbage collection.
 */
export class CleanupPolicyReconciler implements Reconciler<CleanupPolicy> {
  private readonly deps: CleanupDeps;
  /** What runs read of manifests (immutable by digest), so the next run need not read it again. */
  private readonly facts = new ManifestFactsCache();

  constructor(deps: CleanupDeps) {
    this.deps = deps;
  }

  async reconcile(req: ReconcileRequest<CleanupPolicy>): Promise<ReconcileResult> {
    const policy = req.object;
    const status = req.status as Status;
    const spec = policy.spec;
    if (spec.mode === 'Native' || req.deleting) return this.native(req, status);
    const schedule = spec.schedule ?? '';
    const invalid = validateSchedule(schedule, spec.timeZone, req.now());
    if (invalid) throw new TerminalError(Reason.InvalidSpec, invalid);

    // Switched from Native to Operator: the provider must stop pruning by itself.
    if ((status.nativePolicies ?? []).length > 0) await this.native(req, status, true);
    const { registry, runsPerHour } = await this.admitted(req, status, schedule);
    const {
      provider,
      registry: target,
      credentialsSecret,
    } = await providerOf(this.deps, registry, policy.metadata.namespace);
    const images = provider.images;
    if (!images) {
      throw new TerminalError(
        'CapabilityNotSupported',
        `${provider.name} offers no image listing; cleanup is not possible`,
      );
    }

    const now = req.now();
    const lastRunAt = status.lastRunAt ? Date.parse(status.lastRunAt) : undefined;
    // creationTimestamp is the API server's clock. Ahead of the operator's, it would hide the slots
    // before it that status.nextRunAt already promised: a policy never run counts from the earlier
    // of its creation and the slot it was told it would run at.
    const created = Date.parse(String(policy.metadata.creationTimestamp ?? ''));
    const promised = status.nextRunAt ? Date.parse(status.nextRunAt) - 1 : Number.NaN;
    const createdAt = Math.min(...[created, promised, now].filter((t) => !Number.isNaN(t)));
    const { due, next } = dueRun({
      schedule,
      timeZone: spec.timeZone,
      now,
      createdAt,
      ...(lastRunAt ? { lastRunAt } : {}),
    });
    const requested = policy.metadata.annotations?.[RUN_REQUESTED_ANNOTATION];
    const manual = runRequested({ requested, lastHandled: status.lastHandledRunRequestAt, lastRunAt });
    if (spec.suspend) delete status.nextRunAt;
    else status.nextRunAt = toMetaTime(next);
    const requeueAfterMs = Math.max(1_000, next - now);
    // A slot that passed while suspended runs nothing, so a run asked for then is paid for.
    const scheduled = due && !spec.suspend;
    const throttled =
      manual && !scheduled
        ? payFor(this.deps.budgets, 'cleanupRun', policy.metadata, requested, runsPerHour)
        : undefined;
    if (throttled) {
      await req.recordEvent({
        type: 'Warning',
        reason: BudgetReason.Throttled,
        note: throttled.message,
        action: 'Cleanup',
      });
      throw new WaitingError(BudgetReason.Throttled, throttled.message, throttled.retryAfterMs);
    }
    if (!manual && !scheduled) {
      const idle = spec.suspend ? 'suspended' : `next run at ${status.nextRunAt}`;
      // The last run's result stays in view between runs (kubectl get, berth status).
      const last = status.lastRun ? `; last run: ${runSummary(status.lastRun, spec.maxDeletionsPerRun)}` : '';
      // Deletions that did not take effect stay Ready=False until a run shows otherwise.
      const ineffective = status.lastRun?.notEffective;
      if (ineffective) throw notEffectiveError(`${ineffective}${last}`, requeueAfterMs);
      return { requeueAfterMs, message: `${idle}${last}` };
    }

    const call = <T>(fn: () => Promise<T>) => providerCall(credentialsSecret, fn);
    // A repository whose images cannot be listed is skipped, not the whole run (listing.ts).
    const { artifacts, skipped } = await call(() => listCovered(images, target, spec.repositories));
    const uid = (policy.metadata.uid ?? '').replace(/-/g, '').slice(0, 8);
    const runCredential = {
      provider,
      registry: target,
      credentialsSecret,
      oci: this.deps.oci,
      cleanupCredentialName: `berth-cleanup-${uid}-${Math.floor(now / 1000)}`,
      cleanupCredentialPrefix: `berth-cleanup-${uid}-`,
      clock: () => req.now(),
    };
    // Without delete endpoints (IONOS) the credential that reads the manifests also deletes them.
    const ociDeletes = !spec.dryRun && !images.deleteDigests && !images.deleteTags;
    const checked = await planChecked(
      {
        artifacts,
        repositories: spec.repositories,
        rules: spec.rules,
        now,
        maxDeletions: spec.maxDeletionsPerRun,
        // Decided before the run, so a dry run already shows a tag kept that the real run could not delete.
        singleTagRefusal: singleTagRefusal(provider),
      },
      (repositories) =>
        openRunAccess(runCredential, repositories, ociDeletes ? ['pull', 'delete'] : ['pull']),
      this.facts,
    );
    const planned = checked.plan;
    let executed: Awaited<ReturnType<typeof execute>>;
    try {
      executed = spec.dryRun
        ? { items: planned.deletions.map((d) => runItem(d, 'WouldDelete')), notEffective: [] }
        : await execute({ ...runCredential, now, access: checked.access }, planned);
    } finally {
      await checked.access?.close();
    }
    const { items, notEffective } = executed;
    // Only real deletions count: a 404 (AlreadyGone) removed nothing, and read-back survivors are Failed.
    const deleted = items.filter((i) => i.action === 'Deleted' || i.action === 'WouldDelete').length;
    const alreadyGone = items.filter((i) => i.action === 'AlreadyGone').length;
    const failed = items.filter((i) => i.action === 'Failed').length;
    const ineffective = notEffective.length > 0 ? notEffectiveMessage(notEffective) : undefined;

    if (!spec.dryRun && deleted > 0 && spec.garbageCollection?.enabled && provider.garbageCollection) {
      const gc = provider.garbageCollection;
      const started = await call(() => gc.start(target));
      if (started) status.lastGarbageCollectionAt = toMetaTime(req.now());
    }

    logDeletions(req.logger, items);
    const keeps = planned.keeps.map((k) => runItem(k, 'Kept'));
    status.lastRunAt = toMetaTime(now);
    // Any run, scheduled or asked for, answers the request standing at its start.
    if (requested) status.lastHandledRunRequestAt = requested;
    status.lastRun = {
      startedAt: new Date(now).toISOString(),
      finishedAt: new Date(req.now()).toISOString(),
      dryRun: spec.dryRun,
      repositories: new Set(artifacts.map((a) => a.repository)).size,
      evaluated: planned.evaluated,
      deleted,
      ...(spec.dryRun ? {} : { alreadyGone }),
      kept: planned.keeps.length + items.filter((i) => i.action === 'Kept').length,
      failed,
      ...(spec.dryRun ? {} : { bytesFreed: planned.bytesFreed }),
      stoppedAtLimit: planned.stoppedAtLimit,
      ...(ineffective ? { notEffective: ineffective } : {}),
      ...(skipped.length > 0
        ? {
            repositoriesSkipped: skipped.length,
            skippedRepositories: skipped.slice(0, MAX_SKIPPED_REPOSITORIES),
          }
        : {}),
    };
    status.lastRunItems = statusItems([...items, ...keeps]);

    const result = spec.dryRun
      ? 'dry_run'
      : failed > 0 || skipped.length > 0
        ? 'partial'
        : planned.stoppedAtLimit
          ? 'stopped_at_limit'
          : 'succeeded';
    this.deps.observe?.run(provider.name, result);
    if (!spec.dryRun) this.deps.observe?.deleted(provider.name, deleted);
    const summary = runSummary(status.lastRun, spec.maxDeletionsPerRun);
    if (ineffective) {
      const message = `${ineffective}; last run: ${summary}`;
      await req.recordEvent({
        type: 'Warning',
        reason: DELETIONS_NOT_EFFECTIVE,
        note: message,
        action: 'Cleanup',
      });
      throw notEffectiveError(message, requeueAfterMs);
    }
    await req.recordEvent({
      type: failed > 0 || skipped.length > 0 || planned.stoppedAtLimit ? 'Warning' : 'Normal',
      reason: spec.dryRun ? 'DryRun' : failed > 0 || skipped.length > 0 ? 'RunFailedPartly' : 'RunCompleted',
      note: summary,
      action: 'Cleanup',
    });
    return { requeueAfterMs, message: `last run: ${summary}` };
  }

  /**
   * Native mode: the rules become provider policies (Quay auto-prune) that the provider runs by
   * itself; berth keeps them as the spec says, names what could not be carried over, and removes
   * them (behind a finalizer) when the policy goes or leaves Native mode. Registry-wide policies
   * are recorded under the organization's name.
   */
  private async native(
    req: ReconcileRequest<CleanupPolicy>,
    status: Status,
    removeOnly = false,
  ): Promise<ReconcileResult> {
    const policy = req.object;
    if (removeOnly || req.deleting) {
      await this.removeNative(req, status);
      if (req.deleting) await req.removeFinalizer();
      return {};
    }
    const { registry } = await this.admitted(req, status, undefined);
    const {
      provider,
      registry: reg,
      credentialsSecret,
    } = await providerOf(this.deps, registry, policy.metadata.namespace);
    const previous = nativeIds(status, reg.name);
    const retention = provider.nativeRetention;
    if (!retention) {
      throw new TerminalError(
        'CapabilityNotSupported',
        `mode: Native needs provider auto-prune; ${provider.name} has none`,
      );
    }
    const translation = translateToNative(policy.spec);
    const rule = translation.rule;
    if (!rule)
      throw new TerminalError(Reason.InvalidSpec, translation.refusal ?? 'cannot be expressed natively');
    await req.ensureFinalizer();
    // Recorded before the provider call: whatever is placed belongs to this registry.
    status.registry = issuingRegistry(registry);
    const placed = await providerCall(credentialsSecret, () =>
      retention.apply(reg, translation.targets, rule, previous),
    );
    if (!placed) {
      throw new TerminalError(
        'CapabilityNotSupported',
        `this ${provider.name} instance has no auto-prune (FEATURE_AUTO_PRUNE); use mode: Operator`,
      );
    }
    status.nativePolicies = placed.map((p) => ({ repository: p.repository ?? reg.name, uuid: p.id }));
    delete status.nextRunAt;
    const note =
      translation.unsupported.length > 0 ? `; not carried over: ${translation.unsupported.join('; ')}` : '';
    const count = `${placed.length} ${provider.name} auto-prune ${placed.length === 1 ? 'policy' : 'policies'}`;
    // Re-checked every 10 minutes, so policies changed or removed at the provider are put back.
    return { requeueAfterMs: 10 * 60_000, message: `${count} in place${note}` };
  }

  /**
   * Removes the provider policies berth placed (status.nativePolicies), at the registry it placed
   * them at (status.registry), never elsewhere: without any there is no provider call at all. A
   * registry that is gone, or replaced by one at another provider registry, cannot be reached:
   * a warning says what keeps pruning there.
   */
  private async removeNative(req: ReconcileRequest<CleanupPolicy>, status: Status): Promise<void> {
    const placed = status.nativePolicies ?? [];
    if (placed.length === 0) return;
    const policy = req.object;
    const where =
      status.registry ??
      referencedKey({ namespace: policy.metadata.namespace, ref: policy.spec.registryRef });
    const registry = await this.deps.getRegistry(where.namespace, where.name);
    if (!registry || (status.registry && replacedRegistry(status.registry, registry))) {
      await req.recordEvent({
        type: 'Warning',
        reason: 'NativePoliciesUnreachable',
        note:
          `ContainerRegistry ${where.namespace}/${where.name} that holds this policy's ${placed.length} auto-prune ` +
          'policies is gone; they could not be removed and may keep pruning',
        action: 'Cleanup',
      });
    } else {
      requireReady(registry);
      const {
        provider,
        registry: reg,
        credentialsSecret,
      } = await providerOf(this.deps, registry, policy.metadata.namespace);
      const retention = provider.nativeRetention;
      if (retention)
        await providerCall(credentialsSecret, () => retention.remove(reg, nativeIds(status, reg.name)));
    }
    delete status.nativePolicies;
    delete status.registry;
  }

  /**
   * The registry, once its grants allow this policy (before any provider call) and it is Ready.
   * A refused policy is Stalled; auto-prune policies it placed before are removed first, so that
   * nothing keeps pruning for a namespace the registry no longer admits.
   */
  private async admitted(
    req: ReconcileRequest<CleanupPolicy>,
    status: Status,
    schedule: string | undefined,
  ): Promise<{ registry: ContainerRegistry; runsPerHour?: number | undefined }> {
    const policy = req.object;
    const namespace = policy.metadata.namespace;
    const { registry, labels } = await findRegistry(this.deps, { namespace, ref: policy.spec.registryRef });
    const count =
      schedule === undefined
        ? undefined
        : (limit: number) => mostRunsInAnyHour(schedule, policy.spec.timeZone, req.now(), limit);
    const allowance = checkCleanupGrants(registry, namespace, labels, policy.spec, count);
    if (!allowance.allowed) {
      const { refusal } = allowance;
      req.logger.info(
        { reason: refusal.reason, detail: refusal.detail ?? refusal.message },
        'registry refuses the policy',
      );
      await this.removeNative(req, status);
      throw new TerminalError(refusal.reason, refusal.message);
    }
    requireReady(registry);
    return { registry, runsPerHour: allowance.runsPerHour };
  }
}

/** The provider IDs of the recorded policies; the organization-wide one (recorded under its name) as undefined. */
function nativeIds(status: Status, organization: string): { repository: string | undefined; id: string }[] {
  return (status.nativePolicies ?? []).map((p) => ({
    repository: p.repository === organization ? undefined : p.repository,
    id: p.uuid,
  }));
}

/** One line about a run, for the Ready message and the run's event. */
export function runSummary(run: NonNullable<Status['lastRun']>, maxDeletionsPerRun: number): string {
  return (
    `${run.dryRun ? 'dry run: would delete' : 'deleted'} ${run.deleted}, ` +
    (run.alreadyGone ? `already gone ${run.alreadyGone}, ` : '') +
    `kept ${run.kept}, failed ${run.failed} ` +
    `of ${run.evaluated} evaluated` +
    (run.stoppedAtLimit ? `; stopped at maxDeletionsPerRun ${maxDeletionsPerRun}` : '') +
    skippedPhrase(run)
  );
}
