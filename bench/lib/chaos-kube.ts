// The chaos bench's own requests to kube-apiserver: creating the tokens, asking for their rotation,
// reading them and their Secrets back. Every call is retried, because the bench restarts
// kube-apiserver under its own feet.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { AuditSecret, AuditToken } from './chaos-audit.ts';
import { type ChaosWorld, TOKENS } from './chaos-world.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const statusOf = (err: unknown) => (err as { code?: number }).code;

/** A RegistryToken as read back. */
export interface ChaosToken {
  metadata: { name: string; uid: string; generation: number; annotations?: Record<string, string> };
  status?: {
    observedGeneration?: number;
    credentialId?: string;
    credentialName?: string;
    username?: string;
    secretName?: string;
    pendingRevocations?: { credentialId: string }[];
    pendingIssue?: unknown;
    conditions?: { type: string; status: string }[];
  };
}

/** The annotation that asks for one rotation per new value. */
export const ROTATE_REQUESTED = 'berth.dev/rotate-requested-at';
/** On the Secret: the rotation request its content honours. */
const ROTATION_REQUEST = 'berth.dev/rotation-request';
/** On the Secret: the provider's ID of the credential it holds. */
const CREDENTIAL_ID = 'berth.dev/credential-id';

/** Runs `call` until it succeeds (kube-apiserver may be restarting), at most `tries` times. */
export async function retried<T>(call: () => Promise<T>, tries = 120): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= tries) throw err;
      await sleep(500);
    }
  }
}

/** Runs `work(i)` for i in [0, n), 16 at a time. */
async function inParallel(n: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < n; i = next++) await work(i);
    }),
  );
}

/** The tokens' names: `t-0` ... `t-<n-1>`. */
export const tokenNames = (n: number) => Array.from({ length: n }, (_, i) => `t-${i}`);

/**
 * Creates the tokens, each asking for pull on the world's scope, with a grace period short enough
 * for the settle period to see every replaced credential revoked. A create whose answer was lost to
 * a restart may have been committed: AlreadyExists counts as done.
 */
export async function createTokens(world: ChaosWorld, names: string[], gracePeriod: string): Promise<void> {
  await inParallel(names.length, async (i) => {
    await retried(async () => {
      try {
        await world.custom.createNamespacedCustomObject({
          ...TOKENS,
          namespace: world.namespace,
          body: {
            apiVersion: `${TOKENS.group}/${TOKENS.version}`,
            kind: 'RegistryToken',
            metadata: { name: names[i] },
            spec: {
              registryRef: { name: world.registryName },
              scopes: [{ repository: world.scope, actions: ['pull'] }],
              gracePeriod,
            },
          },
        });
      } catch (err) {
        if (statusOf(err) !== 409) throw err;
      }
    });
  });
}

/** Sets berth.dev/rotate-requested-at to `value` on every token. */
export async function requestRotation(world: ChaosWorld, names: string[], value: string): Promise<void> {
  await inParallel(names.length, async (i) => {
    await retried(() =>
      world.custom.patchNamespacedCustomObject(
        {
          ...TOKENS,
          namespace: world.namespace,
          name: names[i] as string,
          body: { metadata: { annotations: { [ROTATE_REQUESTED]: value } } },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
  });
}

/** Every token in the world's namespace. */
export async function listTokens(world: ChaosWorld): Promise<ChaosToken[]> {
  const list = (await world.custom.listNamespacedCustomObject({
    ...TOKENS,
    namespace: world.namespace,
  })) as { items: ChaosToken[] };
  return list.items;
}

/** Ready=True at the token's current generation. */
export function isReady(t: ChaosToken): boolean {
  return (
    t.status?.observedGeneration === t.metadata.generation &&
    (t.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** A token as the audit sees it, with the credential the issue phase ended with. */
export function auditToken(t: ChaosToken, issuedId: string | undefined): AuditToken {
  return {
    name: t.metadata.name,
    uid: t.metadata.uid,
    ready: isReady(t),
    credentialId: t.status?.credentialId,
    credentialName: t.status?.credentialName,
    username: t.status?.username,
    pendingRevocations: (t.status?.pendingRevocations ?? []).map((p) => p.credentialId),
    pendingIssue: t.status?.pendingIssue !== undefined,
    issuedId,
  };
}

/** A Secret's login and berth's annotations, without the provider check (`access`). */
export type SecretReading = Omit<AuditSecret, 'access'>;

/**
 * The Secrets of the namespace by name: the docker login in `.dockerconfigjson` (parsed here, not
 * with berth's code, so the audit does not trust what it checks) and berth's annotations.
 */
export async function readSecrets(world: ChaosWorld): Promise<Map<string, SecretReading>> {
  const list = await world.core.listNamespacedSecret({ namespace: world.namespace });
  const out = new Map<string, SecretReading>();
  for (const s of list.items) {
    const raw = s.data?.['.dockerconfigjson'];
    if (!raw || !s.metadata?.name) continue;
    let login: SecretReading['login'];
    try {
      const doc = JSON.parse(Buffer.from(raw, 'base64').toString('utf8')) as {
        auths?: Record<string, { username?: string; password?: string }>;
      };
      const entry = Object.values(doc.auths ?? {})[0];
      if (entry?.username && entry.password) login = { username: entry.username, password: entry.password };
    } catch {
      // not a docker config: no login
    }
    out.set(s.metadata.name, {
      login,
      credentialId: s.metadata.annotations?.[CREDENTIAL_ID],
      rotationRequest: s.metadata.annotations?.[ROTATION_REQUEST],
    });
  }
  return out;
}
