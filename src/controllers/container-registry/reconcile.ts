import {
  type DesiredRegistry,
  type ObservedRegistry,
  type Provider,
  ProviderError,
  type ProviderFactory,
} from '../../clients/provider.ts';
import type { ContainerRegistry, ContainerRegistryStatus } from '../../crds/container-registry.ts';
import { durationMs } from '../../crds/duration.ts';
import { toMetaTime } from '../runtime/conditions.ts';
import type { ReconcileRequest, Reconciler } from '../runtime/controller.ts';
import { type ReconcileResult, TerminalError, WaitingError } from '../runtime/outcome.ts';
import type { CredentialsReader } from '../shared/credentials.ts';
import { desiredOf, endpointOf } from '../shared/desired.ts';
import { CREDENTIALS_RETRY_MS, providerCall } from '../shared/provider-errors.ts';
import { finalizeRegistry } from './finalize.ts';
import { RegistryReason } from './reasons.ts';

/** What the reconciler needs from outside. */
export interface ContainerRegistryDeps {
  providers: ProviderFactory;
  readCredentials: CredentialsReader;
}

type Status = ContainerRegistryStatus & Record<string, unknown>;

/** Polling a provisioning registry: 1 s doubling to 1 min, so a slow provider is not hammered. */
const provisioningDelay = (attempt: number) => Math.min(60_000, 1_000 * 2 ** Math.min(attempt, 6));

/**
 * ContainerRegistry: observe first (by external id, else by name), create with the intent recorded
 * first, update what drifted, delete by deletionPolicy behind a finalizer (crossplane's contract).
 */
export class ContainerRegistryReconciler implements Reconciler<ContainerRegistry> {
  private readonly deps: ContainerRegistryDeps;
  /** Provisioning polls per object, in memory: retry counters do not belong in status. */
  private readonly polls = new Map<string, number>();

  constructor(deps: ContainerRegistryDeps) {
    this.deps = deps;
  }

  async reconcile(req: ReconcileRequest<ContainerRegistry>): Promise<ReconcileResult> {
    const obj = req.object;
    const status = req.status as Status;
    const desired = desiredOf(obj);
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    if (req.deleting) {
      this.polls.delete(key);
      return finalizeRegistry(req, desired, () => this.providerFor(obj, desired));
    }

    const provider = await this.providerFor(obj, desired);
    // Before anything exists at the provider, so that a deletion can never skip the clean-up.
    await req.ensureFinalizer();
    const secret = obj.spec.credentialsRef.name;
    const call = <T>(fn: () => Promise<T>) => providerCall(secret, fn);

    let observed = await call(() =>
      provider.registries.observe({ externalId: status.externalId, name: desired.name }, desired),
    );
    if (observed && status.externalId !== observed.externalId) {
      // Found by name. Ours if we recorded the intent to create it (a create whose answer we lost).
      const ours = status.pendingCreateAt !== undefined;
      if (!ours && obj.spec.adoptionPolicy !== 'Adopt') {
        throw new TerminalError(
          RegistryReason.AlreadyExists,
          `a ${desired.provider} registry named "${desired.name}" already exists and berth did not create it; ` +
            'set spec.adoptionPolicy: Adopt to manage it, or choose another name',
        );
      }
      status.externalId = observed.externalId;
      delete status.pendingCreateAt;
      await req.recordEvent({
        type: 'Normal',
        reason: ours ? RegistryReason.Created : RegistryReason.Adopted,
        note: ours
          ? `found registry ${desired.name} created before a restart (${observed.externalId})`
          : `adopted existing registry ${desired.name} (${observed.externalId})`,
        action: ours ? 'Create' : 'Adopt',
      });
    }

    if (!observed) {
      if (status.externalId) {
        await req.recordEvent({
          type: 'Warning',
          reason: RegistryReason.Recreating,
          note: `registry ${desired.name} (${status.externalId}) no longer exists at ${desired.provider}; creating it again`,
          action: 'Create',
        });
        delete status.externalId;
      }
      // The intent goes to the API server before the call: after a crash, observe-by-name finds
      // what this create made instead of creating a second one.
      status.pendingCreateAt = toMetaTime(req.now());
      await req.persistStatus();
      try {
        observed = await call(() => provider.registries.create(desired));
      } catch (err) {
        // A refused create made nothing. Keeping the intent would take a registry that someone
        // else creates under this name later for ours (and delete it with deletionPolicy: Delete).
        if (createRefused(err)) delete status.pendingCreateAt;
        throw err;
      }
      status.externalId = observed.externalId;
      delete status.pendingCreateAt;
      await req.recordEvent({
        type: 'Normal',
        reason: RegistryReason.Created,
        note: `created ${desired.provider} registry ${desired.name} (${observed.externalId})`,
        action: 'Create',
      });
    }

    this.record(status, desired, observed);
    if (observed.failure) {
      // Waiting would say "provisioning" forever; this needs the provider's support (or a new
      // registry). It can still be repaired there, so it is looked at again every observeInterval.
      this.polls.delete(key);
      throw new TerminalError(RegistryReason.RegistryFailed, failedMessage(desired, observed, obj), {
        recheckAfterMs: durationMs(obj.spec.observeInterval),
      });
    }
    if (observed.ready && observed.drift.length > 0) {
      const fields = observed.drift.join(', ');
      const specChanged = obj.metadata.generation !== status.observedGeneration;
      const ref = { externalId: observed.externalId, name: desired.name };
      observed = await call(() => provider.registries.update(ref, desired));
      this.record(status, desired, observed);
      await req.recordEvent(
        specChanged
          ? { type: 'Normal', reason: RegistryReason.Updated, note: `updated ${fields}`, action: 'Update' }
          : {
              type: 'Warning',
              reason: RegistryReason.DriftCorrected,
              note: `${fields} changed at ${desired.provider}; put back to the desired state`,
              action: 'Update',
            },
      );
    }
    if (!observed.ready) {
      const attempt = (this.polls.get(key) ?? 0) + 1;
      this.polls.set(key, attempt);
      throw new WaitingError(
        RegistryReason.Provisioning,
        `waiting for ${desired.provider} registry ${desired.name} to become usable (state ${observed.providerState})`,
        provisioningDelay(attempt),
      );
    }
    this.polls.delete(key);
    status.lastSyncTime = toMetaTime(req.now());
    return {
      requeueAfterMs: durationMs(obj.spec.observeInterval),
      message: `registry ${desired.name} is ready at ${status.endpoint ?? observed.server}`,
    };
  }

  private record(status: Status, desired: DesiredRegistry, observed: ObservedRegistry): void {
    status.externalId = observed.externalId;
    status.registryName = observed.name;
    status.providerState = observed.providerState;
    if (observed.server) status.server = observed.server;
    const endpoint = endpointOf(desired, observed.server);
    if (endpoint) status.endpoint = endpoint;
    if (observed.storageUsedBytes !== undefined) status.storageUsedBytes = observed.storageUsedBytes;
  }

  private async providerFor(obj: ContainerRegistry, desired: DesiredRegistry): Promise<Provider> {
    const secret = obj.spec.credentialsRef.name;
    const data = await this.deps.readCredentials(obj.metadata.namespace, secret);
    if (!data) {
      throw new WaitingError(
        RegistryReason.CredentialsNotFound,
        `Secret ${secret} with the ${desired.provider} credentials does not exist in namespace ${obj.metadata.namespace}`,
        CREDENTIALS_RETRY_MS,
      );
    }
    return providerCall(secret, async () => this.deps.providers(desired, data));
  }
}

/**
 * True when the provider definitely refused a create: it answered 4xx (a conflict, a bad request,
 * wrong credentials, a rate limit), before or instead of creating anything. A timeout, a lost
 * connection, a 5xx or an unreadable 2xx leave the outcome unknown: the registry may exist.
 */
function createRefused(err: unknown): boolean {
  const cause = err instanceof ProviderError ? err : (err as { cause?: unknown } | undefined)?.cause;
  const status = cause instanceof ProviderError ? cause.status : undefined;
  return status !== undefined && status >= 400 && status < 500;
}

/** What a Stalled registry says: the provider's own words (with its state), and what happens next. */
function failedMessage(desired: DesiredRegistry, observed: ObservedRegistry, obj: ContainerRegistry): string {
  return (
    `${observed.failure}; ${desired.provider} registry ${desired.name} ` +
    `(${observed.externalId}) will not become usable by waiting: ask the provider's support, or delete ` +
    `it there to have it created again. berth looks again every ${obj.spec.observeInterval}.`
  );
}
