// Vitest global setup of the e2e project: a control plane that Pods can reach, one real node
// (containerd, kubelet, kube-proxy) with berth's image imported, and everything undone afterwards.

import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { TestProject } from 'vitest/node';
import { repoRoot } from '../../src/dev/binaries.ts';
import { ControlPlane } from '../../src/dev/control-plane.ts';
import { ensureImages } from '../cluster/images.ts';
import { TestNode } from '../cluster/node.ts';
import { createBridge, POD_NETWORK } from '../cluster/pod-network.ts';

const execFileAsync = promisify(execFile);

declare module 'vitest' {
  export interface ProvidedContext {
    /** Whether the e2e cluster runs (it needs root); when false every e2e test is skipped. */
    e2e: boolean;
    /** Admin kubeconfig of the e2e cluster. */
    e2eKubeconfig: string;
    /** The API server's audit log (JSON lines). */
    e2eAuditLog: string;
    /** Where kubelet writes container logs. */
    e2ePodLogs: string;
    /** The berth image reference the node already holds. */
    e2eImage: string;
    /** The pause image archive, pushed to the test registry as a pullable image. */
    e2ePauseArchive: string;
    /** The node's containerd socket (for `ctr`). */
    e2eContainerd: string;
    /** containerd's per-registry configuration folder (a registry on the Pod gateway needs plain HTTP). */
    e2eRegistryConfig: string;
  }
}

/** The controllers a cluster that runs Deployments needs besides the defaults. */
const E2E_CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'disruption-controller',
  'endpointslice-controller',
  // Takes the not-ready taint off the node once kubelet reports Ready, so the scheduler places Pods.
  'node-lifecycle-controller',
  'pod-garbage-collector-controller',
];

/** Cleans what a killed earlier run left (its node folder is still in the temporary folder). */
async function cleanLeftovers(): Promise<void> {
  const script = join(repoRoot, 'scripts', 'cluster', 'node-cleanup.sh');
  const stale = (await readdir(tmpdir())).filter((d) => d.startsWith('berth-node-'));
  for (const d of stale) await execFileAsync('bash', [script, join(tmpdir(), d), POD_NETWORK.bridge]);
}

/** Starts the e2e cluster and returns its teardown. */
export async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const root = process.getuid?.() === 0;
  project.provide('e2e', root);
  if (!root) {
    console.warn('[e2e] skipped: the node (kubelet, containerd) needs root');
    return undefined;
  }
  const started = Date.now();
  await cleanLeftovers();
  const images = await ensureImages();
  await createBridge();
  const plane = await ControlPlane.start({
    address: POD_NETWORK.gateway,
    extraIps: [POD_NETWORK.apiServiceIp],
    extraControllers: E2E_CONTROLLERS,
    scheduler: true,
    auditLog: true,
  });
  let node: TestNode | undefined;
  try {
    node = await TestNode.start({
      kubeconfig: plane.kubeconfig,
      caCert: plane.certificates.caCert,
      pauseImage: images.pause.ref,
      images: [images.pause.archive, images.berth.archive],
    });
  } catch (err) {
    await plane.stop({ keepDir: true });
    throw err;
  }
  console.warn(`[e2e] control plane and node ready in ${Date.now() - started} ms`);
  project.provide('e2eKubeconfig', plane.kubeconfig);
  project.provide('e2eAuditLog', plane.state.auditLog ?? '');
  project.provide('e2ePodLogs', node.podLogsDir);
  project.provide('e2eImage', images.berth.ref);
  project.provide('e2ePauseArchive', images.pause.archive);
  project.provide('e2eContainerd', node.socket);
  project.provide('e2eRegistryConfig', node.registryConfigDir);
  const running = node;
  return async () => {
    await deleteWorkloads(plane.kubeconfig);
    await running.stop();
    await plane.stop();
  };
}

/**
 * Deletes every Deployment and then every Pod, and waits (briefly) until kubelet has stopped
 * them: containers stopped by kubelet leave nothing behind, containers of a killed kubelet do.
 */
async function deleteWorkloads(kubeconfig: string): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  for (const d of (await apps.listDeploymentForAllNamespaces()).items) {
    await apps
      .deleteNamespacedDeployment({ name: d.metadata?.name ?? '', namespace: d.metadata?.namespace ?? '' })
      .catch(() => undefined);
  }
  const pods = (await core.listPodForAllNamespaces()).items;
  await Promise.all(
    pods.map((p) =>
      core
        .deleteNamespacedPod({ name: p.metadata?.name ?? '', namespace: p.metadata?.namespace ?? '' })
        .catch(() => undefined),
    ),
  );
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (await core.listPodForAllNamespaces()).items.length > 0) {
    await new Promise((r) => setTimeout(r, 500));
  }
}
