import type { CoreV1Api, V1Pod } from '@kubernetes/client-node';
import { until } from './harness.ts';

/**
 * A Pod that must pull `image` from the registry (imagePullPolicy Always) and run it as a
 * non-root, restricted container. It names no imagePullSecrets unless given `pullSecret`: with
 * none, kubelet uses those of the Pod's ServiceAccount, the ones berth attaches.
 */
export function pullingPod(name: string, image: string, pullSecret?: string): V1Pod {
  return {
    metadata: { name, labels: { 'berth.dev/e2e': 'pull' } },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [
        {
          name: 'probe',
          image,
          imagePullPolicy: 'Always',
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  };
}

/** How a pull ended: the container started, or kubelet gave up with this reason and message. */
export type PullResult = { pulled: true } | { pulled: false; reason: string; message: string };

/** Creates the Pod and waits until kubelet either runs its container or reports a pull failure. */
export async function pullOutcome(core: CoreV1Api, namespace: string, pod: V1Pod): Promise<PullResult> {
  const name = pod.metadata?.name ?? '';
  await core.createNamespacedPod({ namespace, body: pod });
  try {
    return await until(
      `Pod ${namespace}/${name} to pull or fail`,
      async () => {
        const got = await core.readNamespacedPod({ namespace, name });
        const state = got.status?.containerStatuses?.[0]?.state;
        if (state?.running || state?.terminated) return { pulled: true } as const;
        const waiting = state?.waiting;
        if (waiting?.reason === 'ErrImagePull' || waiting?.reason === 'ImagePullBackOff')
          return { pulled: false, reason: waiting.reason, message: waiting.message ?? '' } as const;
        return undefined;
      },
      90_000,
    );
  } finally {
    await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}
