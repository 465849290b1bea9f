import type { CoreV1Api } from '@kubernetes/client-node';
import type { CredentialData } from '../../clients/provider.ts';

/** Reads a Secret's decoded data; resolves undefined when the Secret does not exist. */
export type CredentialsReader = (namespace: string, name: string) => Promise<CredentialData | undefined>;

/** Reads credentials Secrets directly (not cached: users' Secrets are not ours to watch wholesale). */
export function secretReader(core: CoreV1Api): CredentialsReader {
  return async (namespace, name) => {
    try {
      const secret = await core.readNamespacedSecret({ namespace, name });
      const data: CredentialData = {};
      for (const [k, v] of Object.entries(secret.data ?? {}))
        data[k] = Buffer.from(v, 'base64').toString('utf8');
      for (const [k, v] of Object.entries(secret.stringData ?? {})) data[k] = v;
      return data;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  };
}
