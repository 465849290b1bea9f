import { createHash } from 'node:crypto';
import {
  ApiextensionsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  createConfiguration,
  EventsV1Api,
  type KubeConfig,
  ServerConfiguration,
} from '@kubernetes/client-node';
import type { Dispatcher } from 'undici';
import { TokenBucket } from '../util/token-bucket.ts';

/** The typed Kubernetes API clients the operator uses, sharing one client-side rate limit. */
export interface KubeClients {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
  apiextensions: ApiextensionsV1Api;
}

/**
 * Client-side rate limit for requests to kube-apiserver (watches are long-lived and not counted).
 * `qps: 0` means none: SIG API Machinery advises relying on the server's API Priority and Fairness
 * (on since Kubernetes 1.20), and controller-runtime dropped its client-side limit by default
 * (kubernetes-sigs/controller-runtime#3119). The number of workers bounds what berth sends at once.
 */
export interface KubeRateLimit {
  qps: number;
  burst: number;
}

/** Marks a KubeConfig whose connections are already reused. */
const reused = Symbol('berth.reuseConnections');

/** TLS settings kept connected at once; older ones (a rotated client certificate) are closed. */
const MAX_DISPATCHERS = 4;

/**
 * Makes every request and watch of this KubeConfig share one connection pool per TLS setting.
 * client-node 2.0 builds a new undici Agent, so a new TLS connection and handshake, for every
 * request (its agent cache covers only the legacy https.Agent path, kubernetes-client/javascript
 * #2893): at 1,000 tokens that was 5,000 handshakes, each costing both sides CPU and the operator
 * OpenSSL memory outside the V8 heap. Keyed by the TLS options, so a rotated certificate gets a
 * new pool. Returns the same KubeConfig.
 */
export function reuseConnections(kubeConfig: KubeConfig): KubeConfig {
  type CreateDispatcher = (cluster: unknown, agentOptions: unknown) => Dispatcher | undefined;
  const target = kubeConfig as unknown as { createDispatcher: CreateDispatcher; [reused]?: true };
  if (target[reused]) return kubeConfig;
  const create = target.createDispatcher.bind(kubeConfig);
  const pools = new Map<string, Dispatcher | undefined>();
  target.createDispatcher = (cluster, agentOptions) => {
    const key = createHash('sha256')
      .update(JSON.stringify([cluster, agentOptions]))
      .digest('hex');
    if (!pools.has(key)) {
      if (pools.size >= MAX_DISPATCHERS) {
        const [oldest, dispatcher] = pools.entries().next().value as [string, Dispatcher | undefined];
        pools.delete(oldest);
        void dispatcher?.close().catch(() => undefined);
      }
      pools.set(key, create(cluster, agentOptions));
    }
    return pools.get(key);
  };
  target[reused] = true;
  return kubeConfig;
}

/** Builds API clients for the KubeConfig's current context, each request passing the token bucket first. */
export function createKubeClients(kubeConfig: KubeConfig, limit: KubeRateLimit): KubeClients {
  reuseConnections(kubeConfig);
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const bucket = limit.qps > 0 ? new TokenBucket(limit.qps, limit.burst) : undefined;
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    promiseMiddleware: [
      {
        pre: async (context) => {
          await bucket?.take();
          return context;
        },
        post: async (response) => response,
      },
    ],
  });
  return {
    kubeConfig,
    core: new CoreV1Api(configuration),
    custom: new CustomObjectsApi(configuration),
    coordination: new CoordinationV1Api(configuration),
    events: new EventsV1Api(configuration),
    apiextensions: new ApiextensionsV1Api(configuration),
  };
}
