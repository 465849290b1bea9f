import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import type { DockerLogin } from '../../clients/provider.ts';
import { MANAGED_BY_LABEL } from '../../crds/token-parts.ts';
import { TerminalError } from '../runtime/outcome.ts';
import { contentHash, DOCKER_CONFIG_KEY, dockerConfigJson } from './docker-config.ts';
import { SecretAnnotation, TokenReason } from './reasons.ts';
import { dataHashOf } from './secret-cache.ts';

/** The RegistryToken a Secret belongs to. */
export interface SecretOwner {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

/** What the primary Secret should hold. */
export interface DesiredSecret {
  name: string;
  login: DockerLogin;
  credentialId: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The rotate-requested-at value this content honours, if any. */
  rotationRequest?: string | undefined;
}

/**
 * Why the existing Secret cannot be trusted to hold the current credential, or undefined. The
 * content-hash annotation is compared with the hash of the data, which the cache keeps instead
 * of the data (secret-cache.ts); a Secret read live has its data hashed here.
 */
export function secretProblem(
  secret: V1Secret | undefined,
  credentialId: string | undefined,
): string | undefined {
  if (!secret) return 'SecretDeleted';
  const annotations = secret.metadata?.annotations ?? {};
  if (annotations[SecretAnnotation.ContentHash] !== dataHashOf(secret)) return 'SecretModified';
  if (credentialId !== undefined && annotations[SecretAnnotation.CredentialId] !== credentialId)
    return 'SecretModified';
  return undefined;
}

/** True when the Secret is controlled by this owner (so berth may overwrite it). */
export function ownedBy(secret: V1Secret, owner: SecretOwner): boolean {
  return (secret.metadata?.ownerReferences ?? []).some((r) => r.uid === owner.uid && r.controller === true);
}

/** Builds the `kubernetes.io/dockerconfigjson` Secret: owner reference, managed-by label, content hash. */
export function buildSecret(owner: SecretOwner, desired: DesiredSecret): V1Secret {
  const data = { [DOCKER_CONFIG_KEY]: Buffer.from(dockerConfigJson(desired.login)).toString('base64') };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: {
      name: desired.name,
      namespace: owner.namespace,
      labels: { ...desired.labels, [MANAGED_BY_LABEL]: 'berth' },
      annotations: {
        ...desired.annotations,
        [SecretAnnotation.ContentHash]: contentHash(data),
        [SecretAnnotation.CredentialId]: desired.credentialId,
        ...(desired.rotationRequest !== undefined
          ? { [SecretAnnotation.RotationRequest]: desired.rotationRequest }
          : {}),
      },
      ownerReferences: [
        {
          apiVersion: owner.apiVersion,
          kind: owner.kind,
          name: owner.name,
          uid: owner.uid,
          controller: true,
          // No blockOwnerDeletion: the finalizer deletes the Secret itself, and setting it would need
          // update on registrytokens/finalizers where OwnerReferencesPermissionEnforcement is on.
        },
      ],
    },
    data,
  };
}

/**
 * Creates the Secret, or replaces it (with its resourceVersion) when this token owns it. A
 * same-named Secret berth does not own is never overwritten: that needs the user (Stalled).
 */
export async function writeSecret(
  core: CoreV1Api,
  owner: SecretOwner,
  existing: V1Secret | undefined,
  desired: DesiredSecret,
): Promise<V1Secret> {
  const body = buildSecret(owner, desired);
  if (!existing) return core.createNamespacedSecret({ namespace: owner.namespace, body });
  assertOwnable(existing, owner);
  const metadata = { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion ?? '' };
  return core.replaceNamespacedSecret({
    namespace: owner.namespace,
    name: desired.name,
    body: { ...body, metadata },
  });
}

/**
 * Refuses a Secret of the token's name that this token does not control: berth never overwrites
 * someone else's Secret. Checked before any credential is issued, so a conflict costs nothing at
 * the provider (a Stalled token is not retried, and a credential issued for it would stay live).
 */
export function assertOwnable(existing: V1Secret | undefined, owner: SecretOwner): void {
  if (!existing || ownedBy(existing, owner)) return;
  throw new TerminalError(
    TokenReason.SecretConflict,
    `Secret ${existing.metadata?.name} exists in ${owner.namespace} and is not managed by this RegistryToken; ` +
      'delete it or set spec.secret.name to another name',
  );
}

/** Reads a Secret, or undefined when it does not exist. */
export async function readSecret(
  core: CoreV1Api,
  namespace: string,
  name: string,
): Promise<V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ namespace, name });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

/**
 * Deletes the Secret if this token controls it (preconditioned on its UID, so a Secret someone
 * made under the same name meanwhile stays). Used when the token is deleted: the garbage
 * collector would take the Secret too, but only once it knows the RegistryToken kind, which in a
 * cluster that just installed the CRDs can take a minute; a Secret whose credential was just
 * revoked should not outlive its token that long.
 */
export async function deleteOwnedSecret(core: CoreV1Api, owner: SecretOwner, name: string): Promise<void> {
  const secret = await readSecret(core, owner.namespace, name);
  const uid = secret?.metadata?.uid;
  if (!secret || !uid || !ownedBy(secret, owner)) return;
  try {
    await core.deleteNamespacedSecret({ namespace: owner.namespace, name, body: { preconditions: { uid } } });
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code !== 404 && code !== 409) throw err;
  }
}

/**
 * What the RegistryToken reconciler does to Secrets, narrowly: its writes, and the one live read
 * it needs (a same-named Secret that is not berth's is in no cache). Reads of berth's own Secrets
 * go through TokenReads.
 */
export interface TokenSecrets {
  /** The Secret as the API server has it now; undefined when there is none. */
  readLive(namespace: string, name: string): Promise<V1Secret | undefined>;
  /** See {@link writeSecret}. */
  write(owner: SecretOwner, existing: V1Secret | undefined, desired: DesiredSecret): Promise<V1Secret>;
  /** See {@link deleteOwnedSecret}. */
  deleteOwned(owner: SecretOwner, name: string): Promise<void>;
}

/** {@link TokenSecrets} on the core API. */
export function apiSecrets(core: CoreV1Api): TokenSecrets {
  return {
    readLive: (namespace, name) => readSecret(core, namespace, name),
    write: (owner, existing, desired) => writeSecret(core, owner, existing, desired),
    deleteOwned: (owner, name) => deleteOwnedSecret(core, owner, name),
  };
}
