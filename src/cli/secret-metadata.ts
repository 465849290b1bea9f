import { setHeaderOptions } from '@kubernetes/client-node';
import { httpStatus } from './errors.ts';
import type { Kube } from './kube.ts';

/**
 * Asks the API server for a Secret's metadata only (a PartialObjectMetadata answer, as `kubectl
 * get --raw` with `as=PartialObjectMetadata` would), so its data never reaches the CLI at all:
 * nothing the CLI prints can then hold a credential, by construction.
 */
const METADATA_ONLY = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** What the CLI may learn about a Secret: whether it exists and its annotations, nothing else. */
export type SecretMetadata =
  | { found: true; annotations: Record<string, string> }
  | { found: false }
  /** The caller may not get Secrets there (RBAC): the CLI goes by the object's status alone. */
  | { found: 'forbidden' };

/** Reads a Secret's annotations, never its data. */
export async function readSecretMetadata(
  kube: Kube,
  namespace: string,
  name: string,
): Promise<SecretMetadata> {
  try {
    const meta = await kube.core.readNamespacedSecret(
      { namespace, name },
      setHeaderOptions('Accept', METADATA_ONLY),
    );
    return { found: true, annotations: { ...(meta.metadata?.annotations ?? {}) } };
  } catch (err) {
    const code = httpStatus(err);
    if (code === 404) return { found: false };
    if (code === 403) return { found: 'forbidden' };
    throw err;
  }
}
