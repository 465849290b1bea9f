import { existsSync } from 'node:fs';
import {
  ApiextensionsV1Api,
  AppsV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  VersionApi,
} from '@kubernetes/client-node';
import { CliError, usageError } from './errors.ts';

/** The connection flags every command takes, as kubectl spells them. */
export interface ConnectionOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
  allNamespaces?: boolean | undefined;
}

/** A connection to one cluster, with the namespace the command works in. */
export interface Kube {
  kubeConfig: KubeConfig;
  /** The API server's URL, for messages. */
  server: string;
  /** `-n`, else the context's namespace, else `default` (kubectl's rule). */
  namespace: string;
  /** `-A`: every namespace. */
  allNamespaces: boolean;
  /** Whether `-n` was given (some commands refuse `-A` with an explicit namespace). */
  namespaceGiven: boolean;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  events: EventsV1Api;
  coordination: CoordinationV1Api;
  apiextensions: ApiextensionsV1Api;
  apps: AppsV1Api;
  authorization: AuthorizationV1Api;
  version: VersionApi;
}

/**
 * Loads the kubeconfig the way kubectl does: `--kubeconfig` alone if given; else the files in
 * KUBECONFIG (merged, the first one's current context winning); else `~/.kube/config`; else the
 * in-cluster ServiceAccount. `--context` picks another context of it.
 */
export function loadKubeConfig(options: ConnectionOptions): KubeConfig {
  const kc = new KubeConfig();
  if (options.kubeconfig !== undefined) {
    if (!existsSync(options.kubeconfig)) throw usageError(`--kubeconfig ${options.kubeconfig}: no such file`);
    try {
      kc.loadFromFile(options.kubeconfig);
    } catch (err) {
      throw usageError(`--kubeconfig ${options.kubeconfig}: not a kubeconfig (${(err as Error).message})`);
    }
  } else {
    try {
      kc.loadFromDefault();
    } catch (err) {
      throw new CliError(
        `cannot load the kubeconfig (KUBECONFIG or ~/.kube/config): ${(err as Error).message}`,
      );
    }
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw usageError(
        `context "${options.context}" is not in the kubeconfig` +
          (known.length > 0 ? ` (contexts: ${known.join(', ')})` : ''),
      );
    }
    kc.setCurrentContext(options.context);
  }
  return kc;
}

/** Connects as kubectl would with the same flags and environment. */
export function connect(options: ConnectionOptions): Kube {
  const kubeConfig = loadKubeConfig(options);
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw usageError(
      'no Kubernetes cluster configured: set KUBECONFIG, pass --kubeconfig, or run inside a cluster',
    );
  }
  const contextNamespace = kubeConfig.getContextObject(kubeConfig.getCurrentContext())?.namespace;
  return {
    kubeConfig,
    server: cluster.server,
    namespace: options.namespace ?? (contextNamespace?.trim() || 'default'),
    allNamespaces: options.allNamespaces === true,
    namespaceGiven: options.namespace !== undefined,
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    core: kubeConfig.makeApiClient(CoreV1Api),
    events: kubeConfig.makeApiClient(EventsV1Api),
    coordination: kubeConfig.makeApiClient(CoordinationV1Api),
    apiextensions: kubeConfig.makeApiClient(ApiextensionsV1Api),
    apps: kubeConfig.makeApiClient(AppsV1Api),
    authorization: kubeConfig.makeApiClient(AuthorizationV1Api),
    version: kubeConfig.makeApiClient(VersionApi),
  };
}
