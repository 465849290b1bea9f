import { isNotFound } from '../http/errors.ts';
import type { DesiredRegistry, ObservedRegistry, Registries, RegistryRef } from '../provider.ts';
import { listingGuard, paginate } from './api.ts';
import { assertProject, type SelectelContext } from './context.ts';
import type { Registry } from './schemas.ts';

/**
 * States in which images can be pulled. During GARBAGE_COLLECTION pulls work (pushes and deletes
 * answer 409), so the registry stays usable for the credentials that point at it.
 */
const USABLE = new Set(['ACTIVE', 'GARBAGE_COLLECTION']);

/** The failed state: "`ERROR` → failed" (craas-go registry/schemas.go, shared/providers/selectel.md). */
const FAILED = 'ERROR';

/**
 * CRaaS registries. A registry has no mutable settings (terraform marks its name ForceNew), so
 * `update` only reads it back; creation is asynchronous (CREATING → ACTIVE) and so is deletion
 * (DELETING, then 404).
 */
export class SelectelRegistries implements Registries {
  private readonly ctx: SelectelContext;

  constructor(ctx: SelectelContext) {
    this.ctx = ctx;
  }

  /** By ID when known (404: gone), else by exact name through the name search. Never mutates. */
  async observe(ref: RegistryRef, desired: DesiredRegistry): Promise<ObservedRegistry | undefined> {
    assertProject(this.ctx, desired);
    if (ref.externalId) {
      try {
        return this.toObserved(await this.ctx.api.getRegistry(ref.externalId), desired);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }
    const pages = paginate(
      this.ctx.pageSize,
      async (offset, limit) => ({
        items: await this.ctx.api.listRegistries({ limit, offset, search: ref.name }),
      }),
      listingGuard('registries.list', '/v1/registries', (r: Registry) => r.id),
    );
    for await (const registry of pages) {
      if (registry.name === ref.name) return this.toObserved(registry, desired);
    }
    return undefined;
  }

  /** Creates the registry (CREATING). Never retried; ConflictError when the name is taken. */
  async create(desired: DesiredRegistry): Promise<ObservedRegistry> {
    assertProject(this.ctx, desired);
    return this.toObserved(await this.ctx.api.createRegistry(desired.name), desired);
  }

  /** Nothing to change at CRaaS: reads the registry back. NotFoundError when it is gone. */
  async update(
    ref: RegistryRef & { externalId: string },
    desired: DesiredRegistry,
  ): Promise<ObservedRegistry> {
    assertProject(this.ctx, desired);
    return this.toObserved(await this.ctx.api.getRegistry(ref.externalId), desired);
  }

  /** Starts the deletion; an already deleted registry is fine. ConflictError while a GC runs. */
  async delete(ref: RegistryRef & { externalId: string }, desired: DesiredRegistry): Promise<void> {
    assertProject(this.ctx, desired);
    try {
      await this.ctx.api.deleteRegistry(ref.externalId);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  private toObserved(registry: Registry, desired: DesiredRegistry): ObservedRegistry {
    return {
      externalId: registry.id,
      name: registry.name,
      providerState: registry.status,
      ready: USABLE.has(registry.status),
      deleting: registry.status === 'DELETING',
      // The registry body has no message field (seed 003): the status word is all CRaaS says.
      ...(registry.status === FAILED ? { failure: `Selectel reports the registry as ${FAILED}` } : {}),
      // The docker login server is the host alone (`cr.selcloud.ru`); images live under
      // `cr.selcloud.ru/<registry>/`, which is the ContainerRegistry's status.endpoint, not this.
      server: this.ctx.registryHost,
      storageUsedBytes: registry.size,
      // The name is the only setting, and it cannot change: a different one means another registry.
      drift: registry.name === desired.name ? [] : ['name'],
    };
  }
}
