import { z } from 'zod';
import { type CelRule, immutable, withRules } from './cel.ts';

/** IONOS registry names: global DNS labels, 3-63 characters, starting with a letter. */
export const IONOS_NAME = /^[a-z][-a-z0-9]{1,61}[a-z0-9]$/;

/** Selectel CRaaS registry names: at most 20 lower-case letters, digits and `-`, from a letter. */
export const SELECTEL_NAME = /^[a-z]([-a-z0-9]{0,18}[a-z0-9])?$/;

/** Quay organization names (the namespace rule of Quay's util/validation.py), 2-255 characters. */
const QUAY_ORGANIZATION = /^[a-z0-9]+([._-][a-z0-9]+)*$/;

/** An http(s) base URL without query or fragment. */
const BASE_URL = /^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/;

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/**
 * A field that may be left out but, once the registry exists, can neither change nor appear or
 * disappear: for a provider name any of those would point at another registry, for an endpoint
 * they would send the credentials Secret's API key to another host.
 */
function stays<T>(field: string): CelRule<T> {
  return {
    rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`,
    message: `${field} is immutable (and cannot be added or removed after creation)`,
    fieldPath: `.${field}`,
  };
}

/** An IPv4 octet, 0 to 255, without leading zeros. */
const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';

/**
 * Plain http to a loopback host: exactly `localhost`, 127.0.0.0/8 or `[::1]`, with an optional port
 * and path. Anchored, so `localhost-shop.example.com` or `127.evil.example` do not pass. One regex
 * serves both CEL (RE2) and zod: the API server's URL functions cost too much for its budget.
 */
const LOOPBACK_HTTP = `^http://(localhost|127\\.${OCTET}\\.${OCTET}\\.${OCTET}|\\[::1\\])(:[0-9]{1,5})?(/[^?#]*)?$`;

/** True for an https URL, or an http one to a loopback host ({@link LOOPBACK_HTTP}). */
function isSecureEndpoint(value: string): boolean {
  return value.startsWith('https://') || new RegExp(LOOPBACK_HTTP).test(value);
}

/**
 * The endpoint `field` of a provider block must be https, plain http only to a loopback host,
 * unless the block says `insecure: true` (an in-cluster simulator or proxy on a private network,
 * as Flux's `spec.insecure` allows plain http to an OCI repository). Checked on the block, where
 * both fields are in view; the endpoint itself cannot change after creation ({@link stays}).
 */
function secureEndpoint(field: string): CelRule<Record<string, unknown>> {
  return {
    rule:
      `!has(self.${field}) || (has(self.insecure) && self.insecure) || ` +
      `self.${field}.startsWith('https://') || self.${field}.matches(r'${LOOPBACK_HTTP}')`,
    message: `${field} must be an https URL (plain http only to localhost, 127.0.0.0/8 or ::1, or with insecure: true)`,
    fieldPath: `.${field}`,
    check: (v) => {
      const value = v[field];
      return typeof value !== 'string' || v.insecure === true || isSecureEndpoint(value);
    },
  };
}

/** The `insecure` switch of a provider block with endpoint overrides. */
const insecure = z
  .boolean()
  .optional()
  .describe(
    'Allow plain http to the endpoint overrides on any host: for a simulator or a proxy inside a private ' +
      'network, never for the provider itself (the API credentials travel in every request). Unset or false: ' +
      'https, plain http only to a loopback host.',
  );

/**
 * An API endpoint override. The provider credentials go to it with every call, so it must be
 * https; plain http only to a loopback host (the simulators of tests and the demo) or with
 * `insecure: true` ({@link secureEndpoint}).
 */
function apiEndpoint(_field: string, description: string) {
  return z
    .string()
    .max(2048)
    .regex(BASE_URL)
    .optional()
    .describe(
      `${description} Only for special clouds and for tests against a simulator. Must be https (plain ` +
        'http only to a loopback host, or with insecure: true). Immutable, and cannot be added or removed ' +
        'after creation.',
    );
}

/** IONOS Cloud Container Registry settings. */
export const IonosRegistrySchema = withRules(
  z
    .object({
      name: z
        .string()
        .min(3)
        .max(63)
        .regex(IONOS_NAME)
        .optional()
        .describe(
          'The registry name at IONOS, also its host name (<name>.cr.<location>.ionos.com); names are unique ' +
            'across all IONOS customers. Defaults to metadata.name. Immutable.',
        ),
      location: withRules(
        z
          .string()
          .min(6)
          .max(6)
          .regex(/^[a-z]{2}\/[a-z]{3}$/)
          .describe(
            'The IONOS location ID in country/city form, e.g. de/fra (see GET /locations). Immutable.',
          ),
        [immutable('location')],
      ),
      garbageCollection: z
        .object({
          days: z
            .array(z.enum(WEEKDAYS).describe('A day of the week, e.g. Sunday.'))
            .min(1)
            .max(7)
            .meta({ 'x-kubernetes-list-type': 'set' })
            .describe('Days on which garbage collection runs. The registry is read-only while it runs.'),
          time: z
            .string()
            .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\+00:00$/)
            .default('03:00:00+00:00')
            .describe('Time of day in UTC, in HH:MM:SS+00:00 form.'),
        })
        .optional()
        .describe(
          'The weekly garbage collection schedule that frees the space of deleted images. Unset means no ' +
            'garbage collection (the IONOS default).',
        ),
      vulnerabilityScanning: withRules(
        z
          .boolean()
          .default(false)
          .describe(
            'Enable vulnerability scanning (a paid IONOS feature). Defaults to false; once enabled it cannot ' +
              'be disabled again.',
          ),
        [
          {
            rule: 'self || !oldSelf',
            message: 'vulnerabilityScanning cannot be disabled once enabled (IONOS does not allow it)',
          },
        ],
      ),
      apiSubnetAllowList: z
        .array(
          withRules(z.string().min(2).max(43).describe('An IPv4 or IPv6 address or CIDR.'), [
            {
              rule: 'isIP(self) || isCIDR(self)',
              message: 'must be an IP address or a CIDR such as 203.0.113.0/24',
            },
          ]),
        )
        .max(25)
        .meta({ 'x-kubernetes-list-type': 'set' })
        .optional()
        .describe(
          'Addresses allowed to use the registry, including pulls: include the cluster’s egress addresses. ' +
            'Empty or unset means no restriction; 0.0.0.0/0 denies all. At most 25 entries.',
        ),
      apiEndpoint: apiEndpoint(
        'apiEndpoint',
        'Overrides the IONOS API base URL (default https://api.ionos.com/containerregistries).',
      ),
      insecure,
    })
    .describe('Settings for provider: ionos. Required exactly when spec.provider is ionos.'),
  [stays('name'), stays('apiEndpoint'), secureEndpoint('apiEndpoint')],
);

/** Selectel Container Registry (CRaaS) settings. */
export const SelectelRegistrySchema = withRules(
  z
    .object({
      name: z
        .string()
        .min(1)
        .max(20)
        .regex(SELECTEL_NAME)
        .optional()
        .describe(
          'The registry name at Selectel: at most 20 lower-case letters, digits and -, starting with a letter. ' +
            'Images are cr.selcloud.ru/<name>/<image>. Defaults to metadata.name. Immutable.',
        ),
      projectId: withRules(
        z
          .string()
          .regex(/^[0-9a-f]{32}$/)
          .describe('The Selectel project (32 hexadecimal characters) that holds the registry. Immutable.'),
        [immutable('projectId')],
      ),
      apiEndpoint: apiEndpoint(
        'apiEndpoint',
        'Overrides the CRaaS API base URL (default: the container-registry entries of the identity ' +
          "service's catalog, else https://cr.selcloud.ru/api).",
      ),
      identityEndpoint: apiEndpoint(
        'identityEndpoint',
        'Overrides the Keystone identity URL (default https://cloud.api.selcloud.ru/identity/v3).',
      ),
      insecure,
    })
    .describe('Settings for provider: selectel. Required exactly when spec.provider is selectel.'),
  [
    stays('name'),
    stays('apiEndpoint'),
    stays('identityEndpoint'),
    secureEndpoint('apiEndpoint'),
    secureEndpoint('identityEndpoint'),
  ],
);

/** Red Hat Quay / quay.io organization settings. */
export const QuaySchema = z
  .object({
    url: withRules(
      z
        .string()
        .max(2048)
        .regex(BASE_URL)
        .default('https://quay.io')
        .describe('Base URL of the Quay instance. Defaults to https://quay.io. Immutable.'),
      [immutable('url')],
    ),
    organization: withRules(
      z
        .string()
        .min(2)
        .max(255)
        .regex(QUAY_ORGANIZATION)
        .describe(
          'The Quay organization: lower-case letters and digits, separated by single ., _ or -. Immutable.',
        ),
      [immutable('organization')],
    ),
    email: z
      .email()
      .max(254)
      .optional()
      .describe(
        'Contact e-mail of the organization, sent when berth creates it. Quay 3.18 and later create ' +
          'organizations without one; 3.17 and earlier with mailing on (their default) refuse to, and ' +
          'berth then says to set this. An address a Quay user already has is refused.',
      ),
    repositoryVisibility: z
      .enum(['Private', 'Public'])
      .optional()
      .describe(
        'Visibility of the repositories berth creates for the push scopes of RegistryTokens: Private ' +
          '(default) or Public. Free quay.io organizations cannot have private repositories (Quay answers ' +
          '402 exceeds_license), so they need Public. Existing repositories are left as they are.',
      ),
    timeMachineExpiration: z
      .string()
      .regex(/^[0-9]{1,4}[smhdw]$/)
      .optional()
      .describe(
        'How long deleted tags stay restorable (the organization’s tag_expiration_s), e.g. 2w. Must be one ' +
          'of the instance’s TAG_EXPIRATION_OPTIONS (default 0s, 1d, 1w, 2w, 4w). Unset leaves it as it is.',
      ),
  })
  .describe('Settings for provider: quay. Required exactly when spec.provider is quay.');
