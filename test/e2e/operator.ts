import type { V1Pod } from '@kubernetes/client-node';
import { CHART, e2eClients, helm, RELEASE, RELEASE_NAMESPACE, until } from './harness.ts';

/** The operator's Pods (the chart's selector labels). */
export async function operatorPods(): Promise<V1Pod[]> {
  const { core } = e2eClients();
  const pods = await core.listNamespacedPod({
    namespace: RELEASE_NAMESPACE,
    labelSelector: `app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/name=berth`,
  });
  return pods.items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** Installs or upgrades the chart from this repository with `values` (as --set-json pairs). */
export async function installChart(values: Record<string, unknown>): Promise<string> {
  const sets = Object.entries(values).flatMap(([key, value]) => [
    '--set-json',
    `${key}=${JSON.stringify(value)}`,
  ]);
  return helm([
    'upgrade',
    '--install',
    RELEASE,
    CHART,
    '--namespace',
    RELEASE_NAMESPACE,
    ...sets,
    '--wait',
    '--timeout',
    '3m',
  ]);
}

/** Waits until `count` operator Pods are Ready and returns them. */
export async function readyOperatorPods(count: number): Promise<V1Pod[]> {
  return until(
    `${count} ready operator Pods`,
    async () => {
      const pods = await operatorPods();
      const ready = pods.filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      return ready.length === count && pods.length === count ? ready : undefined;
    },
    120_000,
  );
}

/** The Lease's holder: `<pod name>_<random>`. */
export async function leaseHolder(): Promise<string | undefined> {
  const { leases } = e2eClients();
  const all = await leases.listNamespacedLease({ namespace: RELEASE_NAMESPACE });
  const lease = all.items.find((l) => l.metadata?.name?.startsWith(RELEASE));
  return lease?.spec?.holderIdentity ?? undefined;
}

/** The Pod whose replica holds the Lease. */
export async function leaderPod(): Promise<V1Pod> {
  return until('a leader', async () => {
    const holder = await leaseHolder();
    if (!holder) return undefined;
    return (await operatorPods()).find((p) => holder.startsWith(`${p.metadata?.name}_`));
  });
}

/** The operator's /metrics, read from a Pod's IP (the host routes to the Pod network). */
export async function operatorMetrics(pod: V1Pod): Promise<string> {
  const port = pod.spec?.containers[0]?.ports?.find((p) => p.name === 'http-metrics')?.containerPort ?? 8080;
  const res = await fetch(`http://${pod.status?.podIP}:${port}/metrics`);
  return res.text();
}
