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

/** Client-side rate limit for requests to kube-apiserver (watches are long-lived and not counted). */
export interface KubeRateLimit {
  qps: number;
  burst: number;
}

/** Builds API clients for the KubeConfig's current context, each request passing the token bucket first. */
export function createKubeClients(kubeConfig: KubeConfig, limit: KubeRateLimit): KubeClients {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const bucket = new TokenBucket(limit.qps, limit.burst);
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kubeConfig },
    promiseMiddleware: [
      {
        pre: async (context) => {
          await bucket.take();
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
