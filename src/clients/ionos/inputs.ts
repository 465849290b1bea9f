/**
 * Request bodies of the IONOS Container Registry API. Create and PUT bodies wrap the settings in
 * `properties`; PATCH bodies are flat. Omitted PATCH fields stay unchanged, so clearing needs an
 * explicit value (`apiSubnetAllowList: []`, `expiryDate: null`).
 */
import type { ExpiryAtSend } from './expiry.ts';
import type { Weekday } from './schemas.ts';

/** `WeeklySchedule`: UTC time as `HH:MM:SS+00:00`. */
export interface WeeklyScheduleInput {
  days: Weekday[];
  time: string;
}

/** `features` of a registry (1.1+). Vulnerability scanning cannot be switched off once on. */
export interface RegistryFeaturesInput {
  vulnerabilityScanning?: { enabled: boolean } | undefined;
}

/** `PostRegistryProperties` (also the PUT body's properties). */
export interface RegistryPropertiesInput {
  name: string;
  location: string;
  garbageCollectionSchedule?: WeeklyScheduleInput | undefined;
  features?: RegistryFeaturesInput | undefined;
  apiSubnetAllowList?: string[] | undefined;
}

/** `PatchRegistryInput` (flat). `null` removes the garbage collection schedule. */
export interface RegistryPatchInput {
  garbageCollectionSchedule?: WeeklyScheduleInput | null | undefined;
  features?: RegistryFeaturesInput | undefined;
  apiSubnetAllowList?: string[] | undefined;
}

/** `Scope`: `type` is `repository` (contents) or `registry` (catalog). */
export interface ScopeInput {
  name: string;
  type: 'repository' | 'registry';
  actions: string[];
}

/** `PostTokenProperties` (also the PUT body's properties). */
export interface TokenPropertiesInput {
  name: string;
  /** RFC 3339 (an {@link ExpiryAtSend} serializes to one when sent); null or absent: never expires. */
  expiryDate?: string | ExpiryAtSend | null | undefined;
  scopes?: ScopeInput[] | undefined;
  status?: 'enabled' | 'disabled' | undefined;
}

/** `PatchTokenInput` (flat). `scopes` replaces the whole list; `expiryDate: null` clears it. */
export interface TokenPatchInput {
  expiryDate?: string | ExpiryAtSend | null | undefined;
  scopes?: ScopeInput[] | undefined;
  status?: 'enabled' | 'disabled' | undefined;
}

/** Offset paging of tokens, repositories and artifacts. */
export interface OffsetPage {
  offset?: number | undefined;
  limit?: number | undefined;
}
