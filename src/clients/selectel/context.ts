import type { Logger } from 'pino';
import { BadRequestError } from '../http/errors.ts';
import type { DesiredRegistry, TokenRegistry } from '../provider.ts';
import type { CraasApi } from './api.ts';

/** What the Selectel capability classes share: the API, the project and the docker host. */
export interface SelectelContext {
  api: CraasApi;
  /** The project every call is scoped to (the IAM token's scope). */
  projectId: string;
  /** Docker login server for every registry (`cr.selcloud.ru`; the API does not report one). */
  registryHost: string;
  /** Items requested per page when listing. */
  pageSize: number;
  now: () => number;
  logger?: Pick<Logger, 'debug' | 'warn'> | undefined;
}

/**
 * Refuses a desired registry of another provider or project: an IAM token sees one project only,
 * so answering for another one would report its registries as missing. A wiring mistake, not a
 * provider answer, hence a plain Error.
 */
export function assertProject(ctx: SelectelContext, desired: DesiredRegistry): void {
  if (desired.provider !== 'selectel') {
    throw new Error(`selectel provider cannot serve a ${desired.provider} registry`);
  }
  if (desired.settings.projectId !== ctx.projectId) {
    throw new Error(
      `selectel provider for project ${ctx.projectId} cannot serve project ${desired.settings.projectId}`,
    );
  }
}

/** {@link assertProject} for a token's registry. */
export function assertTokenRegistry(ctx: SelectelContext, registry: TokenRegistry): void {
  assertProject(ctx, registry.desired);
}

/** A BadRequestError raised before any request, for a desired state CRaaS cannot express. */
export function invalidRequest(operation: string, method: string, path: string, message: string) {
  return new BadRequestError(`selectel ${operation}: ${message}`, {
    provider: 'selectel',
    operation,
    method,
    path,
  });
}

/** RFC 3339 without milliseconds, as the API's samples write times. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Parses an API time; undefined for absent or unparseable values. */
export function parseTime(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
