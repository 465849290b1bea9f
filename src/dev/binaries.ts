import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Absolute path of the repository root, derived from this file's location. */
export const repoRoot = join(import.meta.dirname, '..', '..');

const buildScript = join(repoRoot, 'scripts', 'cluster', 'build.sh');
const nodeBuildScript = join(repoRoot, 'scripts', 'cluster', 'build-node.sh');

/** Where each cached tool lives; the directories are keyed by the versions in `versions.env`. */
export interface BinaryPaths {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
  registry: string;
  crane: string;
}

/** The `KEY=dir` lines a build script prints with `--print-dirs`, as a lookup that fails loudly. */
async function printedDirs(script: string): Promise<(key: string) => string> {
  const { stdout } = await execFileAsync('bash', [script, '--print-dirs']);
  const dirs = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split('=', 2) as [string, string]),
  );
  return (key: string): string => {
    const dir = dirs[key];
    if (!dir) throw new Error(`${script} --print-dirs did not print ${key}`);
    return dir;
  };
}

/** Resolves the cached binary paths without building anything. */
export async function binaryPaths(): Promise<BinaryPaths> {
  const need = await printedDirs(buildScript);
  return {
    etcd: join(need('ETCD_BIN'), 'etcd'),
    kubeApiserver: join(need('KUBERNETES_BIN'), 'kube-apiserver'),
    kubeControllerManager: join(need('KUBERNETES_BIN'), 'kube-controller-manager'),
    kubectl: join(need('KUBERNETES_BIN'), 'kubectl'),
    registry: join(need('REGISTRY_BIN'), 'registry'),
    crane: join(need('CRANE_BIN'), 'crane'),
  };
}

/** Builds whatever is missing from the cache (a no-op when warm), streaming progress to stderr. */
export async function ensureBinaries(): Promise<BinaryPaths> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [buildScript], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${buildScript} failed with exit code ${code}`)),
    );
  });
  return binaryPaths();
}

/** The node's binaries (scripts/cluster/build-node.sh): kubelet and friends, containerd, helm. */
export interface NodeBinaryPaths {
  kubelet: string;
  kubeScheduler: string;
  kubeProxy: string;
  containerd: string;
  ctr: string;
  containerdShimDir: string;
  helm: string;
  /** Where the CNI plugins are (Debian's containernetworking-plugins). */
  cniDir: string;
}

/** Resolves the node's cached binary paths without building anything. */
export async function nodeBinaryPaths(): Promise<NodeBinaryPaths> {
  const need = await printedDirs(nodeBuildScript);
  const containerd = need('CONTAINERD_BIN');
  return {
    kubelet: join(need('KUBERNETES_NODE_BIN'), 'kubelet'),
    kubeScheduler: join(need('KUBERNETES_NODE_BIN'), 'kube-scheduler'),
    kubeProxy: join(need('KUBERNETES_NODE_BIN'), 'kube-proxy'),
    containerd: join(containerd, 'containerd'),
    ctr: join(containerd, 'ctr'),
    containerdShimDir: containerd,
    helm: join(need('HELM_BIN'), 'helm'),
    cniDir: need('CNI_BIN'),
  };
}
