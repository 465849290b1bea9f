/**
 * The Registries capability for IONOS. Registries are provisioned asynchronously (`New`/`BUSY`,
 * `hostname` empty) and deleted asynchronously (404 at the end); names are global DNS names, so a
 * create checks `HEAD /names/{name}` first and reports a name held elsewhere as a ConflictError.
 */
import type { z } from 'zod';
import type { IonosRegistrySchema } from '../../crds/providers.ts';
import { BadRequestError, ConflictError, isNotFound } from '../http/errors.ts';
import type { DesiredRegistry, ObservedRegistry, Registries, RegistryRef } from '../provider.ts';
import type { IonosApi } from './api.ts';
import { localError } from './errors.ts';
import type { RegistryPatchInput, RegistryPropertiesInput, WeeklyScheduleInput } from './inputs.ts';
import type { IonosRegistry } from './schemas.ts';

/** The IONOS block of a ContainerRegistry spec. */
export type IonosSettings = z.output<typeof IonosRegistrySchema>;

/** How long the location list is trusted before it is read again. */
const LOCATIONS_TTL_MS = 10 * 60_000;

/** Registries at IONOS: observe by ID, else by exact name; create, patch, delete. */
export class IonosRegistries implements Registries {
  private readonly api: IonosApi;
  private readonly pageSize: number;
  private locations: { ids: string[]; at: number } | undefined;

  constructor(api: IonosApi, pageSize: number) {
    this.api = api;
    this.pageSize = pageSize;
  }

  async observe(ref: RegistryRef, desired: DesiredRegistry): Promise<ObservedRegistry | undefined> {
    const settings = ionosSettings(desired);
    if (ref.externalId) {
      try {
        return toObserved(await this.api.getRegistry(ref.externalId), settings);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    }
    // `filter.name` is a search, not an exact match: another registry may contain the name.
    for await (const registry of this.api.registries(ref.name, this.pageSize)) {
      if (registry.properties.name === ref.name) return toObserved(registry, settings);
    }
    return undefined;
  }

  async create(desired: DesiredRegistry): Promise<ObservedRegistry> {
    const settings = ionosSettings(desired);
    await this.checkLocation(settings.location);
    if ((await this.api.nameStatus(desired.name)) === 'taken') {
      throw localError(
        ConflictError,
        409,
        'registries.create',
        '/registries',
        `the registry name ${desired.name} is already in use (names are unique across all IONOS customers)`,
      );
    }
    const properties: RegistryPropertiesInput = {
      name: desired.name,
      location: settings.location,
      // Scanning is on by default and paid, and cannot be switched off later: always say it.
      features: { vulnerabilityScanning: { enabled: settings.vulnerabilityScanning } },
      ...(settings.garbageCollection ? { garbageCollectionSchedule: schedule(settings) } : {}),
      ...(settings.apiSubnetAllowList?.length ? { apiSubnetAllowList: settings.apiSubnetAllowList } : {}),
    };
    return toObserved(await this.api.createRegistry(properties), settings);
  }

  async update(
    ref: RegistryRef & { externalId: string },
    desired: DesiredRegistry,
  ): Promise<ObservedRegistry> {
    const settings = ionosSettings(desired);
    // Every mutable field is sent, so the PATCH is a full "set" and safe to repeat; empty or null
    // values clear (an omitted field would stay unchanged).
    const patch: RegistryPatchInput = {
      garbageCollectionSchedule: settings.garbageCollection ? schedule(settings) : null,
      apiSubnetAllowList: settings.apiSubnetAllowList ?? [],
      ...(settings.vulnerabilityScanning ? { features: { vulnerabilityScanning: { enabled: true } } } : {}),
    };
    return toObserved(await this.api.patchRegistry(ref.externalId, patch), settings);
  }

  async delete(ref: RegistryRef & { externalId: string }, _desired?: DesiredRegistry): Promise<void> {
    try {
      await this.api.deleteRegistry(ref.externalId);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Rejects a location the API does not offer, with the list, before a create would fail on it. */
  private async checkLocation(location: string): Promise<void> {
    // Elapsed time, on the monotonic clock: no wall-clock step (or a test's shifted clock) matters.
    if (!this.locations || performance.now() - this.locations.at > LOCATIONS_TTL_MS) {
      this.locations = { ids: await this.api.locations(), at: performance.now() };
    }
    if (!this.locations.ids.includes(location)) {
      throw localError(
        BadRequestError,
        400,
        'registries.create',
        '/registries',
        `location ${location} is not offered (available: ${this.locations.ids.join(', ')})`,
      );
    }
  }
}

/** The IONOS settings of a desired registry; anything else is a wiring bug. */
export function ionosSettings(desired: DesiredRegistry): IonosSettings {
  if (desired.provider !== 'ionos') throw new Error(`ionos adapter got a ${desired.provider} registry`);
  return desired.settings;
}

/**
 * Failure states. The notes: Terraform "treats the generic IONOS failure states `FAILED`,
 * `FAILED_SUSPENDED`, `FAILED_UPDATING`, `FAILED_DESTROYING` as errors; it is not confirmed that CR
 * uses them". `ERROR` is not in the notes; it is taken as failed too rather than waited on forever.
 */
const FAILED_STATE = /^(failed(_[a-z]+)?|error)$/i;

/** Maps an API registry to the provider-neutral observation, with the drift from the settings. */
export function toObserved(registry: IonosRegistry, settings: IonosSettings): ObservedRegistry {
  const state = registry.metadata?.state || 'Unknown';
  const server = registry.properties.hostname || undefined;
  return {
    externalId: registry.id,
    name: registry.properties.name,
    providerState: state,
    // Unknown states count as in progress (notes: compare case-insensitively, treat unknown as busy).
    ready: /^running$/i.test(state) && server !== undefined,
    deleting: /^(deleting|destroying)$/i.test(state),
    // The registry resource carries no message: the state word is all IONOS says.
    ...(FAILED_STATE.test(state) ? { failure: `IONOS reports the registry as ${state}` } : {}),
    server,
    storageUsedBytes: registry.properties.storageUsage?.bytes ?? undefined,
    drift: driftOf(registry, settings),
  };
}

/**
 * Settings that differ. Scanning counts only when it should be on and is off: switching it off is
 * impossible at IONOS, so reporting that as drift would make every reconcile try a failing update.
 */
function driftOf(registry: IonosRegistry, settings: IonosSettings): string[] {
  const drift: string[] = [];
  const actual = registry.properties;
  const actualDays = actual.garbageCollectionSchedule?.days ?? [];
  const wanted = settings.garbageCollection;
  if (wanted) {
    const sameDays = sameSet(actualDays, wanted.days);
    const sameTime = timeOfDay(actual.garbageCollectionSchedule?.time) === timeOfDay(wanted.time);
    if (!sameDays || !sameTime) drift.push('garbageCollection');
  } else if (actualDays.length > 0) {
    drift.push('garbageCollection');
  }
  if (settings.vulnerabilityScanning && actual.features?.vulnerabilityScanning?.enabled !== true) {
    drift.push('vulnerabilityScanning');
  }
  if (!sameSet(actual.apiSubnetAllowList ?? [], settings.apiSubnetAllowList ?? [])) {
    drift.push('apiSubnetAllowList');
  }
  return drift;
}

function schedule(settings: IonosSettings): WeeklyScheduleInput | undefined {
  const gc = settings.garbageCollection;
  return gc ? { days: [...gc.days], time: gc.time } : undefined;
}

/** `HH:MM:SS` of a partial-time; the API may echo `03:00:00Z` for `03:00:00+00:00`. */
function timeOfDay(time: string | null | undefined): string {
  return (time ?? '').slice(0, 8);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}
