import type { CoreV1Api, KubernetesObject, V1Namespace, V1Secret } from '@kubernetes/client-node';
import { type ContainerRegistry, ContainerRegistrySchema } from '../../crds/container-registry.ts';
import type { Clock } from '../runtime/clock.ts';
import type { SecondaryCache } from '../runtime/controller.ts';
import { OwnWrites } from '../runtime/own-writes.ts';
import { readSecret } from './secret.ts';
import { TOKEN_UID_LABEL } from './secret-cache.ts';
import { ATTACHED_ANNOTATION, attachedNames, type CachedServiceAccount } from './service-accounts.ts';

/**
 * What the RegistryToken reconciler reads, narrowly: registries, namespaces and the Secrets berth
 * manages, from the controller's informer caches instead of the API server (a reconcile in the
 * steady state then makes no request at all). Writes still go to the API.
 */
export interface TokenReads {
  /** A ContainerRegistry, parsed; undefined when it does not exist or does not parse. */
  registry(namespace: string, name: string): ContainerRegistry | undefined;
  /** A namespace's labels; undefined when it does not exist. */
  namespaceLabels(name: string): Record<string, string> | undefined;
  /** Every namespace (distribution chooses its targets among them). */
  namespaces(): V1Namespace[];
  /**
   * A Secret berth manages (label `app.kubernetes.io/managed-by=berth`), fresh after our own
   * writes. From the cache it holds no data, only digests (secret-cache.ts); read live after a
   * write of ours, it holds everything.
   */
  secret(namespace: string, name: string): Promise<V1Secret | undefined>;
  /** The pull secrets a ServiceAccount lists, or undefined when the cache does not hold it. */
  pullSecretsOf(namespace: string, name: string): string[] | undefined;
  /** ServiceAccounts of the namespace whose berth record (attached-pull-secrets) lists the Secret. */
  attachedTo(namespace: string, secretName: string): string[];
  /** Every copy of a token's Secret (label `berth.dev/token-uid`), as the cache holds them. */
  copies(uid: string): V1Secret[];
  /** Tells the reads about a Secret we just wrote, so the next read does not miss it. */
  wroteSecret(secret: V1Secret): void;
}

/** The caches {@link cacheReads} reads from: the RegistryToken controller's secondary watches. */
export interface TokenCaches {
  registries: SecondaryCache;
  namespaces: SecondaryCache;
  secrets: SecondaryCache;
  serviceAccounts: SecondaryCache;
}

/**
 * {@link TokenReads} on informer caches. A Secret we wrote is read live until its watch event has
 * arrived (the same read-your-writes as for the engine's own objects, ADR 011): the event of a
 * status write often arrives before that of the Secret written just before it.
 */
export function cacheReads(
  caches: () => TokenCaches,
  core: CoreV1Api,
  clock: Clock,
): TokenReads & {
  observeSecret(obj: KubernetesObject, event: string): void;
  observeServiceAccount(obj: KubernetesObject, event: string): void;
} {
  const writes = new OwnWrites();
  const records = attachmentIndex();
  // Copies by token UID, kept from the watch's events: a scan of every cached Secret per
  // reconcile made 5,000 tokens cost 25 million comparisons and as many short-lived arrays.
  const byToken = new Map<string, Map<string, { namespace: string; name: string }>>();
  const tokenOf = new Map<string, string>();
  const index = (obj: KubernetesObject, event: string) => {
    const { namespace = '', name = '', labels } = obj.metadata ?? {};
    const k = key(namespace, name);
    const before = tokenOf.get(k);
    if (before !== undefined) {
      const secrets = byToken.get(before);
      if (secrets?.delete(k) && secrets.size === 0) byToken.delete(before);
      tokenOf.delete(k);
    }
    const uid = labels?.[TOKEN_UID_LABEL];
    if (event === 'delete' || !uid) return;
    tokenOf.set(k, uid);
    const secrets = byToken.get(uid) ?? new Map<string, { namespace: string; name: string }>();
    secrets.set(k, { namespace, name });
    byToken.set(uid, secrets);
  };
  const parsed = new WeakMap<object, ContainerRegistry | undefined>();
  const key = (namespace: string | undefined, name: string | undefined) => `${namespace}/${name}`;
  return {
    registry(namespace, name) {
      const raw = caches().registries.get(name, namespace);
      if (!raw) return undefined;
      if (!parsed.has(raw)) {
        const result = ContainerRegistrySchema.safeParse(raw);
        parsed.set(raw, result.success ? result.data : undefined);
      }
      return parsed.get(raw);
    },
    namespaceLabels(name) {
      return (caches().namespaces.get(name) as V1Namespace | undefined)?.metadata?.labels ?? undefined;
    },
    namespaces() {
      return caches().namespaces.list() as V1Namespace[];
    },
    async secret(namespace, name) {
      const cached = caches().secrets.get(name, namespace) as V1Secret | undefined;
      const k = key(namespace, name);
      if (!writes.cacheBehind(k, cached?.metadata?.resourceVersion, clock.now())) return cached;
      const live = await readSecret(core, namespace, name);
      writes.readLive(k, live?.metadata?.resourceVersion, clock.now());
      return live;
    },
    pullSecretsOf(namespace, name) {
      const sa = caches().serviceAccounts.get(name, namespace) as CachedServiceAccount | undefined;
      if (sa?.pullSecretsTruncated) return undefined;
      return sa && (sa.imagePullSecrets ?? []).map((r) => r.name ?? '');
    },
    attachedTo(namespace, secretName) {
      return records.attachedTo(namespace, secretName);
    },
    copies(uid) {
      const found: V1Secret[] = [];
      for (const { namespace, name } of byToken.get(uid)?.values() ?? []) {
        const secret = caches().secrets.get(name, namespace) as V1Secret | undefined;
        if (secret?.metadata?.labels?.[TOKEN_UID_LABEL] === uid) found.push(secret);
      }
      return found;
    },
    wroteSecret(secret) {
      writes.wrote(
        key(secret.metadata?.namespace, secret.metadata?.name),
        secret.metadata?.resourceVersion,
        clock.now(),
      );
    },
    observeSecret(obj, event) {
      index(obj, event);
      const k = key(obj.metadata?.namespace, obj.metadata?.name);
      if (event === 'delete') writes.forget(k);
      else writes.seen(k, obj.metadata?.resourceVersion);
    },
    observeServiceAccount(obj, event) {
      records.observe(obj, event);
    },
  };
}

/**
 * ServiceAccounts by the Secret names berth recorded on them (ATTACHED_ANNOTATION), kept from
 * the watch's events: which entries berth may take off again, without scanning every cached
 * ServiceAccount of the cluster per reconcile.
 */
function attachmentIndex() {
  const bySecret = new Map<string, Set<string>>();
  const namesOf = new Map<string, string[]>();
  return {
    observe(obj: KubernetesObject, event: string) {
      const { namespace = '', name = '', annotations } = obj.metadata ?? {};
      const k = `${namespace}/${name}`;
      for (const secret of namesOf.get(k) ?? []) {
        const holders = bySecret.get(`${namespace}/${secret}`);
        if (holders?.delete(name) && holders.size === 0) bySecret.delete(`${namespace}/${secret}`);
      }
      namesOf.delete(k);
      const names = event === 'delete' ? [] : attachedNames(annotations?.[ATTACHED_ANNOTATION]);
      if (names.length === 0) return;
      namesOf.set(k, names);
      for (const secret of names) {
        const holders = bySecret.get(`${namespace}/${secret}`) ?? new Set<string>();
        holders.add(name);
        bySecret.set(`${namespace}/${secret}`, holders);
      }
    },
    attachedTo(namespace: string, secretName: string): string[] {
      return [...(bySecret.get(`${namespace}/${secretName}`) ?? [])].sort();
    },
  };
}
