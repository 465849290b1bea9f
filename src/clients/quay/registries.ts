import type { z } from 'zod';
import type { QuaySchema } from '../../crds/providers.ts';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '../http/errors.ts';
import type { DesiredRegistry, ObservedRegistry, Registries, RegistryRef } from '../provider.ts';
import type { QuayApi } from './api.ts';
import { isNameTaken, organizationGone, type QuayContext } from './context.ts';
import { durationSeconds } from './names.ts';
import type { OrganizationSchema } from './schemas.ts';

type QuaySettings = z.output<typeof QuaySchema>;
type OrganizationView = z.infer<typeof OrganizationSchema>;

/** Quay has no provisioning: an organization is usable the moment it exists. */
const ACTIVE = 'Active';

function settingsOf(desired: DesiredRegistry): QuaySettings {
  if (desired.provider !== 'quay') throw new TypeError(`quay adapter got a ${desired.provider} registry`);
  return desired.settings;
}

/** The organization a ref points to: its externalId once known, else the configured organization. */
function organizationOf(ref: RegistryRef, desired: DesiredRegistry): string {
  return ref.externalId ?? settingsOf(desired).organization;
}

/** The time machine setting berth wants, in seconds, or undefined when left to Quay. */
function wantedExpiration(settings: QuaySettings): number | undefined {
  if (settings.timeMachineExpiration === undefined) return undefined;
  const seconds = durationSeconds(settings.timeMachineExpiration);
  if (seconds === undefined)
    throw new TypeError(`invalid timeMachineExpiration ${settings.timeMachineExpiration}`);
  return seconds;
}

/**
 * The Registries capability for Quay: a "registry" is an organization. Organizations are ready at
 * once; the only mutable setting berth manages is the time machine (`tag_expiration_s`).
 */
export class QuayRegistries implements Registries {
  private readonly ctx: QuayContext;

  constructor(ctx: QuayContext) {
    this.ctx = ctx;
  }

  private get api(): QuayApi {
    return this.ctx.api;
  }

  /**
   * `GET /organization/{org}`; undefined on 404. Quay answers 200 with a public view even to an
   * invalid token, so a view without `is_admin` is reported as ForbiddenError: berth cannot manage it.
   */
  async observe(ref: RegistryRef, desired: DesiredRegistry): Promise<ObservedRegistry | undefined> {
    const organization = organizationOf(ref, desired);
    let view: OrganizationView;
    try {
      view = await this.api.getOrganization(organization);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    if (view.is_admin !== true)
      throw new ForbiddenError(
        `quay organizations.get: the API token is not an administrator of organization ${organization} ` +
          '(or is invalid: Quay then answers with the public view)',
        {
          provider: 'quay',
          operation: 'organizations.get',
          method: 'GET',
          path: `/organization/${organization}`,
          status: 200,
        },
      );
    return this.toObserved(view, settingsOf(desired));
  }

  /**
   * `POST /organization/` (never retried), then the time machine if one is wanted. A taken name (a
   * user's or another customer's organization) is a ConflictError. The e-mail is sent only when
   * set: Quay 3.18 creates organizations without one (endpoints/api/organization.py), while 3.17
   * and earlier with FEATURE_MAILING answer 400 "Email address is required", which becomes a
   * BadRequestError naming spec.quay.email.
   */
  async create(desired: DesiredRegistry): Promise<ObservedRegistry> {
    const settings = settingsOf(desired);
    const expiration = wantedExpiration(settings);
    try {
      await this.api.createOrganization({
        name: settings.organization,
        ...(settings.email !== undefined ? { email: settings.email } : {}),
      });
    } catch (err) {
      if (isNameTaken(err) && err instanceof BadRequestError)
        throw new ConflictError(err.message, err.context, { cause: err });
      if (err instanceof BadRequestError && /email address is required/i.test(err.message))
        throw new BadRequestError(
          `quay organizations.create: this Quay needs a contact e-mail to create organization ` +
            `${settings.organization}: set spec.quay.email`,
          err.context,
          { cause: err },
        );
      throw err;
    }
    this.ctx.logger?.debug({ organization: settings.organization }, 'created quay organization');
    const view =
      expiration === undefined
        ? await this.api.getOrganization(settings.organization)
        : await this.api.updateOrganization(settings.organization, { tag_expiration_s: expiration });
    return this.toObserved(view, settings);
  }

  /** `PUT /organization/{org}` when the time machine drifted; otherwise only observes. Idempotent. */
  async update(
    ref: RegistryRef & { externalId: string },
    desired: DesiredRegistry,
  ): Promise<ObservedRegistry> {
    const settings = settingsOf(desired);
    const expiration = wantedExpiration(settings);
    const current = await this.api.getOrganization(ref.externalId);
    if (expiration === undefined || current.tag_expiration_s === expiration)
      return this.toObserved(current, settings);
    const view = await this.api.updateOrganization(ref.externalId, { tag_expiration_s: expiration });
    return this.toObserved(view, settings);
  }

  /** `DELETE /organization/{org}`. Idempotent: the 403 Quay gives for a missing one is checked with a 404 probe. */
  async delete(ref: RegistryRef & { externalId: string }, _desired: DesiredRegistry): Promise<void> {
    try {
      await this.api.deleteOrganization(ref.externalId);
    } catch (err) {
      if (await organizationGone(this.api, ref.externalId, err)) return;
      throw err;
    }
  }

  private toObserved(view: OrganizationView, settings: QuaySettings): ObservedRegistry {
    const drift: string[] = [];
    const expiration = wantedExpiration(settings);
    if (
      expiration !== undefined &&
      typeof view.tag_expiration_s === 'number' &&
      view.tag_expiration_s !== expiration
    )
      drift.push('timeMachineExpiration');
    return {
      externalId: view.name,
      name: view.name,
      providerState: ACTIVE,
      ready: true,
      deleting: false,
      server: this.ctx.server,
      drift,
    };
  }
}
