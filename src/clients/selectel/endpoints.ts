/**
 * Where the CRaaS API lives. terraform-provider-selectel (selectel/craas.go, service_types.go) reads
 * it from the Keystone token's catalog: the public endpoint of type `container-registry` is the v1
 * API and `container-registry-v2` the v2 one, each URL ending in its version (craas-go refuses an
 * endpoint that does not). berth does the same, unless `apiEndpoint` names a base explicitly.
 */
import { z } from 'zod';

/** The base URL of each API version, each ending in `/v1` or `/v2`. */
export interface CraasEndpoints {
  v1: string;
  v2: string;
}

/** Catalog service types of the two CRaaS API versions (terraform selectel/service_types.go). */
export const CATALOG_TYPES = { v1: 'container-registry', v2: 'container-registry-v2' } as const;

/** The production API base, used when the catalog names no CRaaS endpoint. */
export const DEFAULT_API_ENDPOINT = 'https://cr.selcloud.ru/api';

/** Both versions below one base: the explicit `apiEndpoint`, or the production default. */
export function endpointsBelow(base: string): CraasEndpoints {
  const trimmed = base.replace(/\/+$/, '');
  return { v1: `${trimmed}/v1`, v2: `${trimmed}/v2` };
}

/**
 * The Keystone catalog as far as berth reads it (shape: go-selvpcclient testutils/fakes.go). Other
 * fields and services pass unread, and an odd entry is dropped rather than failing the login.
 */
export const KeystoneCatalogSchema = z.object({
  token: z.object({
    catalog: z
      .array(z.unknown())
      .nullish()
      .transform((entries) => (entries ?? []).flatMap((e) => catalogEntry.safeParse(e).data ?? [])),
  }),
});

const catalogEntry = z.object({
  type: z.string(),
  endpoints: z.array(z.object({ interface: z.string().optional(), url: z.string() })).nullish(),
});

/** A catalog as parsed by {@link KeystoneCatalogSchema}. */
export type KeystoneCatalog = z.infer<typeof KeystoneCatalogSchema>['token']['catalog'];

/** The endpoints a token's catalog names, and why a version fell back to the default. */
export interface CatalogEndpoints {
  endpoints: CraasEndpoints;
  /** One line per version not taken from the catalog (for a warning). */
  fallbacks: string[];
}

/**
 * Picks each version's public endpoint as go-selvpcclient's `Catalog.GetEndpoints` does (public
 * interface only). CRaaS has no regions: terraform fails on more than one endpoint, berth accepts
 * several that agree (one per region, same URL) and fails on ones that differ, since sending the
 * IAM token to a guessed one is worse than asking for `apiEndpoint`. A missing type falls back to
 * the production default. `allowHttp` only when the identity endpoint itself is plain http.
 */
export function endpointsFromCatalog(catalog: KeystoneCatalog, allowHttp: boolean): CatalogEndpoints {
  const defaults = endpointsBelow(DEFAULT_API_ENDPOINT);
  const fallbacks: string[] = [];
  const pick = (version: keyof CraasEndpoints): string | undefined => {
    const type = CATALOG_TYPES[version];
    const urls = new Set(
      catalog
        .filter((entry) => entry.type === type)
        .flatMap((entry) => entry.endpoints ?? [])
        .filter((endpoint) => endpoint.interface === 'public' && usable(endpoint.url, allowHttp))
        .map((endpoint) => endpoint.url.replace(/\/+$/, ''))
        // craas-go refuses an endpoint that does not end in its version (NewCRaaSClientV1/V2).
        .filter((url) => url.endsWith(`/${version}`)),
    );
    if (urls.size > 1) {
      throw new Error(
        `selectel: the identity catalog names ${urls.size} different ${type} endpoints ` +
          `(${[...urls].join(', ')}); set apiEndpoint to choose one`,
      );
    }
    const [url] = urls;
    return url;
  };
  const found = { v1: pick('v1'), v2: pick('v2') };
  // One version missing: its sibling on the same installation, so the IAM token stays where it was
  // issued; the production default only when the catalog names neither.
  const sibling = (version: keyof CraasEndpoints): string => {
    const other = version === 'v1' ? 'v2' : 'v1';
    const known = found[other];
    const url =
      known === undefined ? defaults[version] : known.replace(new RegExp(`/${other}$`), `/${version}`);
    fallbacks.push(`no public ${CATALOG_TYPES[version]} endpoint in the identity catalog, using ${url}`);
    return url;
  };
  return { endpoints: { v1: found.v1 ?? sibling('v1'), v2: found.v2 ?? sibling('v2') }, fallbacks };
}

/** An absolute https URL (http only when allowed), without credentials in it. */
function usable(url: string, allowHttp: boolean): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) return false;
    return parsed.protocol === 'https:' || (allowHttp && parsed.protocol === 'http:');
  } catch {
    return false;
  }
}
