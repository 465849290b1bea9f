// The job the peer does, as berth's: one pull credential per object from the IONOS token endpoint,
// written as a kubernetes.io/dockerconfigjson Secret. In ESO's terms: a Webhook generator that
// POSTs to the simulator's token-create route with the API token from a Secret, and one
// ExternalSecret per credential whose template renders the generator's username and password.
import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { loginFrom } from '../../src/controllers/registry-token/docker-config.ts';
import type { RegistryAccessVerifier } from '../../src/simulators/core/registry-access.ts';

/** The ExternalSecret resource, for the custom objects client. */
export const EXTERNAL_SECRET = { group: 'external-secrets.io', version: 'v1', plural: 'externalsecrets' };
const WEBHOOK = { group: 'generators.external-secrets.io', version: 'v1alpha1', plural: 'webhooks' };
const GENERATOR = 'ionos-token';
const API_SECRET = 'ionos-api';

/** Where the credentials come from: the simulator's API and the registry berth created there. */
export interface EsoJobTarget {
  /** The IONOS API base URL (the simulator's). */
  baseUrl: string;
  apiToken: string;
  registryId: string;
  /** The registry's docker host, the key under `auths`. */
  server: string;
}

/**
 * The API token Secret and the Webhook generator in `namespace`. The generator sees no field of the
 * ExternalSecret that asks (its template data is only the Secrets it names), so each call names
 * its token with sprig's uuidv4: one distinct credential per generation. The expiry is the one berth
 * and the minimal script ask for (720 h), fixed when the run starts.
 */
export async function createGenerator(
  core: CoreV1Api,
  custom: CustomObjectsApi,
  namespace: string,
  target: EsoJobTarget,
): Promise<void> {
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: API_SECRET, labels: { 'external-secrets.io/type': 'webhook' } },
      stringData: { token: target.apiToken },
    },
  });
  const properties = {
    name: 'eso-{{ uuidv4 }}',
    scopes: [{ name: 'shop/*', type: 'repository', actions: ['pull'] }],
    status: 'enabled',
    expiryDate: new Date(Date.now() + 720 * 3_600_000).toISOString(),
  };
  await custom.createNamespacedCustomObject({
    ...WEBHOOK,
    namespace,
    body: {
      apiVersion: `${WEBHOOK.group}/${WEBHOOK.version}`,
      kind: 'Webhook',
      metadata: { name: GENERATOR },
      spec: {
        url: `${target.baseUrl}/registries/${target.registryId}/tokens`,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer {{ .auth.token }}' },
        body: JSON.stringify({ properties }),
        timeout: '30s',
        result: { jsonPath: '$.properties.credentials' },
        secrets: [{ name: 'auth', secretRef: { name: API_SECRET, key: 'token' } }],
      },
    },
  });
}

/** The `.dockerconfigjson` template: berth's document (docker-config.ts) in ESO's template engine v2. */
function dockerConfigTemplate(server: string): string {
  const login = `"username":"{{ .username }}","password":"{{ .password }}"`;
  const auth = `"auth":"{{ printf "%s:%s" .username .password | b64enc }}"`;
  return `{"auths":{${JSON.stringify(server)}:{${login},${auth}}}}`;
}

/**
 * Creates `count` ExternalSecrets `t-<i>` in `namespace`, 16 at a time (as the bench creates
 * RegistryTokens); resolves with the time of the first create. `refreshInterval` is longer than any
 * run: berth's tokens are not renewed during one either.
 */
export async function createExternalSecrets(
  custom: CustomObjectsApi,
  namespace: string,
  count: number,
  server: string,
): Promise<number> {
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < count; i = next++) {
        await custom.createNamespacedCustomObject({
          ...EXTERNAL_SECRET,
          namespace,
          body: {
            apiVersion: `${EXTERNAL_SECRET.group}/${EXTERNAL_SECRET.version}`,
            kind: 'ExternalSecret',
            metadata: { name: `t-${i}` },
            spec: {
              refreshInterval: '720h',
              target: {
                name: `t-${i}`,
                creationPolicy: 'Owner',
                template: {
                  type: 'kubernetes.io/dockerconfigjson',
                  engineVersion: 'v2',
                  data: { '.dockerconfigjson': dockerConfigTemplate(server) },
                },
              },
              dataFrom: [
                {
                  sourceRef: {
                    generatorRef: {
                      apiVersion: `${WEBHOOK.group}/${WEBHOOK.version}`,
                      kind: 'Webhook',
                      name: GENERATOR,
                    },
                  },
                },
              ],
            },
          },
        });
      }
    }),
  );
  return started;
}

type ExternalSecret = { status?: { conditions?: { type: string; status: string }[] } };

/** How many of the namespace's ExternalSecrets are Ready (their Secret written), of how many. */
export async function countReady(
  custom: CustomObjectsApi,
  namespace: string,
): Promise<{ ready: number; total: number }> {
  const list = (await custom.listNamespacedCustomObject({ ...EXTERNAL_SECRET, namespace })) as {
    items: ExternalSecret[];
  };
  const ready = list.items.filter((e) =>
    e.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;
  return { ready, total: list.items.length };
}

/**
 * The most ExternalSecrets whose next refresh falls in one second: each refreshes `refreshInterval`
 * after its last one (`status.refreshTime`, whole seconds), berth's "renewals due in one second".
 */
export async function refreshBurst(custom: CustomObjectsApi, namespace: string): Promise<number> {
  const list = (await custom.listNamespacedCustomObject({ ...EXTERNAL_SECRET, namespace })) as {
    items: { status?: { refreshTime?: string } }[];
  };
  const perSecond = new Map<number, number>();
  for (const e of list.items) {
    const s = Math.floor(Date.parse(e.status?.refreshTime ?? '') / 1000);
    if (Number.isFinite(s)) perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  return Math.max(0, ...perSecond.values());
}

/** What the written Secrets hold: distinct logins, and how many of a sample the simulator accepts. */
export interface CredentialCheck {
  secrets: number;
  distinct: number;
  /** Credentials the generator had issued at the provider (a re-generate issues one more). */
  issued: number;
  sampled: number;
  accepted: number;
}

/**
 * Reads every dockerconfigjson Secret in `namespace`; counts distinct usernames and checks an evenly
 * spread sample of `sample` logins against the simulator's docker login (pull on `shop/*`).
 */
export async function checkCredentials(
  core: CoreV1Api,
  namespace: string,
  server: string,
  access: RegistryAccessVerifier,
  issued: number,
  sample = 20,
): Promise<CredentialCheck> {
  const list = await core.listNamespacedSecret({ namespace });
  const logins = list.items
    .filter((s) => s.type === 'kubernetes.io/dockerconfigjson')
    .map((s) => loginFrom(Buffer.from(s.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')));
  const step = Math.max(1, Math.floor(logins.length / sample));
  let sampled = 0;
  let accepted = 0;
  for (let i = 0; i < logins.length && sampled < sample; i += step) {
    sampled++;
    const login = logins[i];
    if (login?.server !== server) continue;
    if (access.verify(login.username, login.password)?.('shop/app').includes('pull')) accepted++;
  }
  return {
    secrets: logins.length,
    distinct: new Set(logins.map((l) => l?.username)).size,
    issued,
    sampled,
    accepted,
  };
}
