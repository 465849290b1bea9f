/** Request shapes, paths and the error-body parser of the Quay API (used by api.ts). */
import { type ErrorDetails, encodePath } from '../http/client.ts';
import { ApiErrorSchema } from './schemas.ts';

/**
 * Reads Quay's error bodies: message = detail ?? error_message ?? message ?? error, code = title
 * (or the deprecated error_type). The nginx 429 body is plain text and yields nothing.
 */
export function parseQuayError(body: unknown): ErrorDetails {
  const parsed = ApiErrorSchema.safeParse(body);
  if (!parsed.success) return {};
  const b = parsed.data;
  return { message: b.detail ?? b.error_message ?? b.message ?? b.error, code: b.title ?? b.error_type };
}

/** Where an auto-prune policy lives: an organization, or one repository of it. */
export interface AutoPruneTarget {
  organization: string;
  repository?: string | undefined;
}

/** The body of an auto-prune policy (POST and PUT). */
export interface AutoPrunePolicyBody {
  method: 'number_of_tags' | 'creation_date';
  /** An integer for number_of_tags, a `<int><s|m|h|d|w|y>` string for creation_date. */
  value: number | string;
  tagPattern?: string | undefined;
  tagPatternMatches?: boolean | undefined;
}

/** Options of a tag list page. */
export interface TagListOptions {
  page?: number;
  /** Quay caps it at 100 (default 50). */
  limit?: number;
  onlyActiveTags?: boolean;
  specificTag?: string;
  /** `like:<text>` or `eq:<name>`. */
  filterTagName?: string;
}

/** The `{repository}` path of `organization/repository`; a nested name keeps its `/` encoded. */
export function repoPath(organization: string, repository: string): string {
  return encodePath`/repository/${organization}/${repository}`;
}

/** The auto-prune collection path of an organization or repository. */
export function autoPrunePath(target: AutoPruneTarget): string {
  return target.repository === undefined
    ? encodePath`/organization/${target.organization}/autoprunepolicy/`
    : `${repoPath(target.organization, target.repository)}/autoprunepolicy/`;
}
