import type { Logger } from 'pino';
import { BadRequestError, ForbiddenError, NotFoundError } from '../http/errors.ts';
import type { QuayApi } from './api.ts';

/** What the Quay capability classes share. */
export interface QuayContext {
  api: QuayApi;
  /** The docker login host (quay.io, the instance's SERVER_HOSTNAME, or a simulator's registry). */
  server: string;
  logger?: Pick<Logger, 'debug' | 'warn'> | undefined;
}

/**
 * A robot that does not exist (GET, DELETE, regenerate, permissions). Quay's source answers 400
 * "Could not find robot with specified username" (notes §2); the seed's guide lists 404 for these
 * routes, and a robot route has no other thing to miss (a missing organization is a 403), so a
 * 404 means missing too.
 */
export function isRobotMissing(err: unknown): boolean {
  if (err instanceof NotFoundError) return true;
  return err instanceof BadRequestError && /could not find robot/i.test(err.message);
}

/** Quay's 400 for a robot name that is taken: there is no 409. */
export function isRobotTaken(err: unknown): boolean {
  return err instanceof BadRequestError && /existing robot/i.test(err.message);
}

/** Quay's 400 for a repository, user or organization name that is taken. */
export function isNameTaken(err: unknown): boolean {
  return err instanceof BadRequestError && /already exists/i.test(err.message);
}

/**
 * Quay answers 403 for anything below an organization that does not exist (the permission check
 * runs first). After a 403, this asks the one endpoint that says 404, so a missing organization
 * can be told from missing rights. Resolves false when the organization exists or the probe fails.
 */
export async function organizationGone(api: QuayApi, organization: string, err: unknown): Promise<boolean> {
  if (!(err instanceof ForbiddenError)) return false;
  try {
    await api.getOrganization(organization);
    return false;
  } catch (probe) {
    return probe instanceof NotFoundError;
  }
}
