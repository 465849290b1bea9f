import { readFile, writeFile } from 'node:fs/promises';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';

/** How a kubeconfig user authenticates. */
export type KubeconfigUser = { token: string } | { certFile: string; keyFile: string };

/** Renders a one-context kubeconfig with credentials embedded, so the file stands alone. */
export async function renderKubeconfig(
  server: string,
  caFile: string,
  user: KubeconfigUser,
  name = 'berth-test',
): Promise<string> {
  const b64 = async (file: string) => (await readFile(file)).toString('base64');
  const userEntry =
    'token' in user
      ? { token: user.token }
      : { 'client-certificate-data': await b64(user.certFile), 'client-key-data': await b64(user.keyFile) };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': await b64(caFile) } }],
    users: [{ name, user: userEntry }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  });
}

/** Loads a kubeconfig file into a client-node KubeConfig. */
export function loadKubeConfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(file);
  return kc;
}

/**
 * Writes a kubeconfig that authenticates as a ServiceAccount, with a token from the TokenRequest
 * API, so that tests exercise real RBAC rather than the admin's.
 */
export async function mintServiceAccountKubeconfig(
  admin: KubeConfig,
  namespace: string,
  serviceAccount: string,
  file: string,
  expirationSeconds = 3600,
): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  const request = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: [], expirationSeconds } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('admin kubeconfig has no current cluster');
  const sa = new KubeConfig();
  sa.loadFromOptions({
    clusters: [{ ...cluster, name: 'berth-test' }],
    users: [{ name: `${namespace}-${serviceAccount}`, token }],
    contexts: [{ name: 'berth-test', cluster: 'berth-test', user: `${namespace}-${serviceAccount}` }],
    currentContext: 'berth-test',
  });
  await writeFile(file, sa.exportConfig(), { mode: 0o600 });
  return file;
}
