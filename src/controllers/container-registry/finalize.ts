import type { DesiredRegistry, ObservedRegistry, Provider } from '../../clients/provider.ts';
import type { ContainerRegistry, ContainerRegistryStatus } from '../../crds/container-registry.ts';
import type { ReconcileRequest } from '../runtime/controller.ts';
import { type ReconcileResult, WaitingError } from '../runtime/outcome.ts';
import { providerCall } from '../shared/provider-errors.ts';
import { RegistryReason } from './reasons.ts';

type Status = ContainerRegistryStatus & Record<string, unknown>;

/** What the finalizer needs besides the request: the provider, built from the credentials Secret. */
export type ProviderLookup = () => Promise<Provider>;

/**
 * The finalizer of a ContainerRegistry, by deletionPolicy: Delete deletes the registry berth
 * created or adopted and waits until the provider confirms; Retain leaves it. Events say what
 * happened at the provider, and nothing that did not: a registry berth never created (a create
 * refused, or never started) gets no event at all, and one whose create was interrupted
 * (status.pendingCreateAt without externalId) is looked up before anything is claimed about it.
 */
export async function finalizeRegistry(
  req: ReconcileRequest<ContainerRegistry>,
  desired: DesiredRegistry,
  providerFor: ProviderLookup,
): Promise<ReconcileResult> {
  const obj = req.object;
  const status = req.status as Status;
  const known = status.externalId !== undefined;
  const interrupted = !known && status.pendingCreateAt !== undefined;
  const event = (reason: string, note: string) =>
    req.recordEvent({ type: 'Normal', reason, note, action: 'Delete' });
  const where = `${desired.provider} registry ${desired.name}`;
  if (obj.spec.deletionPolicy === 'Delete' && (known || interrupted)) {
    const provider = await providerFor();
    const observed = await observeOurs(obj, status, desired, provider);
    if (observed) {
      if (!observed.deleting) {
        await providerCall(obj.spec.credentialsRef.name, () =>
          provider.registries.delete({ externalId: observed.externalId, name: desired.name }, desired),
        );
        await event(RegistryReason.Deleting, `deleting ${where} (${observed.externalId})`);
      }
      status.providerState = observed.deleting ? observed.providerState : 'Deleting';
      throw new WaitingError(
        RegistryReason.Deleting,
        `waiting for ${desired.provider} to confirm that registry ${desired.name} is gone`,
        2_000,
      );
    }
    if (known) await event(RegistryReason.Deleted, `${where} is gone`);
    else await event(RegistryReason.NotCreated, `${nothingThere(desired)}; nothing to delete`);
  } else if (known) {
    await event(
      RegistryReason.Retained,
      `left ${where} (${status.externalId}) in place (deletionPolicy: Retain)`,
    );
  } else if (interrupted) {
    await retainInterrupted(req, desired, providerFor, event);
  }
  await req.removeFinalizer();
  return {};
}

/**
 * Retain after an interrupted create: whether it made a registry only the provider knows. The
 * look is best effort, since Retain needs nothing at the provider: a missing credentials Secret or
 * a provider error must not keep the object from going, so then the event says it is not known.
 */
async function retainInterrupted(
  req: ReconcileRequest<ContainerRegistry>,
  desired: DesiredRegistry,
  providerFor: ProviderLookup,
  event: (reason: string, note: string) => Promise<void>,
): Promise<void> {
  const obj = req.object;
  const where = `${desired.provider} registry ${desired.name}`;
  let observed: ObservedRegistry | undefined;
  try {
    observed = await observeOurs(obj, req.status as Status, desired, await providerFor());
  } catch (err) {
    await event(
      RegistryReason.Retained,
      `a create of ${where} was interrupted and berth could not look whether it made one ` +
        `(${(err as Error).message.slice(0, 200)}); if it did, it is left in place (deletionPolicy: Retain)`,
    );
    return;
  }
  if (observed)
    await event(
      RegistryReason.Retained,
      `left ${where} (${observed.externalId}) in place (deletionPolicy: Retain)`,
    );
  else await event(RegistryReason.NotCreated, `${nothingThere(desired)}; nothing to leave in place`);
}

/**
 * The registry at the provider, if it is berth's: the one of status.externalId, or, without it,
 * one found by name only if berth recorded creating it (status.pendingCreateAt).
 */
async function observeOurs(
  obj: ContainerRegistry,
  status: Status,
  desired: DesiredRegistry,
  provider: Provider,
): Promise<ObservedRegistry | undefined> {
  const ref = { externalId: status.externalId, name: desired.name };
  const observed = await providerCall(obj.spec.credentialsRef.name, () =>
    provider.registries.observe(ref, desired),
  );
  const ours =
    observed && (status.externalId === observed.externalId || status.pendingCreateAt !== undefined);
  return ours ? observed : undefined;
}

/** The note for a registry whose create berth started but which does not exist. */
function nothingThere(desired: DesiredRegistry): string {
  return `no ${desired.provider} registry ${desired.name} was found: the create berth started made none (or none yet)`;
}
