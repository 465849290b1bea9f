import type { RequestRateLimit } from '../core/limit-req.ts';
import type { QuaySimSettings } from './context.ts';
import type { QuayScope } from './state.ts';

const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Options of the Quay simulator. */
export interface QuaySimulatorOptions {
  /** The docker registry host the simulated organizations are served from (default `127.0.0.1:5000`). */
  registryHost?: string;
  /** The default user's OAuth token (random when omitted; read it from `sim.token`). */
  token?: string;
  /** The default user (default `berth-admin`). */
  username?: string;
  /** Scopes of the default token (default: all but super:user). */
  scopes?: QuayScope[];
  /** FEATURE_AUTO_PRUNE (default true; when false the endpoints answer 404). */
  autoPrune?: boolean;
  /** TAG_EXPIRATION_OPTIONS (default 0s, 1d, 1w, 2w, 4w). */
  tagExpirationOptions?: string[];
  /** Repositories per `GET /repository` page (Quay: 100); small values test `next_page`. */
  repositoryPageSize?: number;
  /** FEATURE_EXTENDED_REPOSITORY_NAMES: `/` in repository names (default true). */
  extendedRepositoryNames?: boolean;
  /** The clock in milliseconds (default Date.now); tests move it to expire tags. */
  now?: () => number;
  /** Seed of the fault injector. */
  seed?: number;
  /**
   * nginx's rate limit on /api/ per client address (FEATURE_RATE_LIMITS). Defaults to quay.io's;
   * refusals are 429 with a plain-text body and no Retry-After. `false` is an installation without
   * FEATURE_RATE_LIMITS (Quay's own default): for tests that must run faster than quay.io lets anyone.
   */
  rateLimits?: RequestRateLimit | false;
  /**
   * FEATURE_BILLING and the organizations' plan. `free`: quay.io's free plan, which has no private
   * repositories, so creating one answers 402 exceeds_license (notes §6). Default: no billing, as on
   * a self-hosted Quay or a paid plan.
   */
  plan?: 'free' | undefined;
  /**
   * The status of a missing robot (GET, DELETE, regenerate, permissions): 400 `{message}` as Quay's
   * source answers (default, notes §2), or 404 as the seed's guide lists.
   */
  missingRobotStatus?: 400 | 404;
  /**
   * FEATURE_MAILING. Default true: quay.io sends mail, and true is the default of Quay's config.py
   * (v3.18.0 line 363). Under the 3.17 rules it makes `email` required to create an organization;
   * under the 3.18 rules it changes nothing a client sees (see {@link organizationEmailRules}).
   */
  mailing?: boolean;
  /**
   * Whose rules `POST /organization/` applies to the e-mail (default `3.18`, the reference release
   * and main, which quay.io is deployed from):
   * - `3.18`: optional whatever FEATURE_MAILING says; a given one must look like an address
   *   ("Invalid email address") and, with FEATURE_ORG_SHARED_EMAIL off (its default), must not be a
   *   user's ("Email has already been used: ..."); organizations may share one.
   * - `3.17` (and earlier): with FEATURE_MAILING a missing one is a 400 "Email address is required"
   *   and an invalid one "Invalid email address: ..."; an address any user or organization has is a
   *   400 "Email has already been used: ...".
   * Source: quay/quay endpoints/api/organization.py OrganizationList.post and
   * data/model/organization.py create_organization at v3.18.0, against v3.17.0 and
   * data/model/user.py create_user_noverify there; the change is PROJQUAY-6975 (quay/quay#6223).
   */
  organizationEmailRules?: '3.17' | '3.18';
}

/** A TAG_EXPIRATION_OPTIONS entry (`2w`) in seconds. */
export function seconds(option: string): number {
  const match = /^([0-9]+)([smhdw])$/.exec(option);
  if (!match?.[2]) throw new Error(`bad tag expiration option ${option}`);
  return Number(match[1]) * (UNIT_S[match[2]] ?? 1);
}

/** The simulator's settings: the options with Quay's (or quay.io's) defaults filled in. */
export function settingsOf(options: QuaySimulatorOptions): QuaySimSettings {
  return {
    registryHost: options.registryHost ?? '127.0.0.1:5000',
    autoPrune: options.autoPrune ?? true,
    tagExpirationOptions: (options.tagExpirationOptions ?? ['0s', '1d', '1w', '2w', '4w']).map(seconds),
    repositoryPageSize: options.repositoryPageSize ?? 100,
    extendedRepositoryNames: options.extendedRepositoryNames ?? true,
    freePlan: options.plan === 'free',
    missingRobotStatus: options.missingRobotStatus ?? 400,
    mailing: options.mailing ?? true,
    organizationEmailRules: options.organizationEmailRules ?? '3.18',
  };
}
