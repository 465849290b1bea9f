import { createHash } from 'node:crypto';
import type { SimServer } from '../core/server.ts';
import type { QuayAccess, QuayErrors } from './access.ts';
import type { QuayRegistryMirror } from './registry-mirror.ts';
import type { QuayState } from './state.ts';

/** Simulator settings after defaults. */
export interface QuaySimSettings {
  registryHost: string;
  autoPrune: boolean;
  /** TAG_EXPIRATION_OPTIONS in seconds. */
  tagExpirationOptions: number[];
  repositoryPageSize: number;
  extendedRepositoryNames: boolean;
  /** quay.io's free plan: creating a private repository answers 402 exceeds_license. */
  freePlan: boolean;
  /** 400 (Quay's source) or 404 (the seed's guide) for a robot that does not exist. */
  missingRobotStatus: 400 | 404;
  /** FEATURE_MAILING. */
  mailing: boolean;
  /** The release whose organization e-mail rules apply (options.ts says what differs). */
  organizationEmailRules: '3.17' | '3.18';
}

/** What every route module gets. */
export interface QuaySimContext {
  server: SimServer;
  state: QuayState;
  access: QuayAccess;
  errors: QuayErrors;
  settings: QuaySimSettings;
  /** Milliseconds; replaceable so tests can move time. */
  now: () => number;
  /** The view of the registry behind the simulator, once one is attached. */
  mirror?: QuayRegistryMirror | undefined;
}

/** Quay's avatar block. */
export function avatar(name: string, kind: 'user' | 'org' | 'robot'): Record<string, string> {
  const hash = createHash('md5').update(name).digest('hex');
  return { name, hash, color: `#${hash.slice(0, 6)}`, kind };
}

/** The object body of a request, or a 400 like Quay's JSON-schema validation. */
export function jsonBody(ctx: QuaySimContext, body: unknown, optional = false): Record<string, unknown> {
  if (body === undefined && optional) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw ctx.errors.invalidRequest('Request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Quay's truthy_bool for query flags ("true", "1", "True"). */
export function truthy(value: string | null, fallback: boolean): boolean {
  if (value === null) return fallback;
  return ['true', '1', 'yes', 'on'].includes(value.toLowerCase());
}

/** A namespace (organization) name as Quay validates it. */
export const NAMESPACE_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Repository names: the classic rule, and the extended one with `/` (FEATURE_EXTENDED_REPOSITORY_NAMES). */
export function validRepositoryName(name: string, extended: boolean): boolean {
  if (name.length < 1 || name.length > 255) return false;
  if (/^[a-z0-9][.a-z0-9_-]{0,254}$/.test(name)) return true;
  return extended && /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(name);
}
