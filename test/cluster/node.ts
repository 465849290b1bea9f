import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { type NodeBinaryPaths, nodeBinaryPaths, repoRoot } from '../../src/dev/binaries.ts';
import { freePort } from '../../src/dev/ports.ts';
import { isRunning, type ManagedProcess, startProcess, stopProcess } from '../../src/dev/processes.ts';
import { cniConfList, POD_NETWORK, saveSysctls } from './pod-network.ts';

const execFileAsync = promisify(execFile);
const cleanupScript = join(repoRoot, 'scripts', 'cluster', 'node-cleanup.sh');

/**
 * Paths the daemons may create outside the node folder whatever they are told (seen in the
 * measurements of ../shared/design/kubelet-node.md). Those missing before the start are removed at
 * the end; those that were there are left alone.
 */
const OUTSIDE_PATHS = [
  '/var/lib/kubelet',
  '/var/lib/cni',
  '/var/log/pods',
  '/var/log/containers',
  '/run/containerd',
  '/run/netns',
];

/** What the node joins and how. */
export interface TestNodeOptions {
  /** The admin kubeconfig of the control plane (kubelet and kube-proxy use it too). */
  kubeconfig: string;
  /** The cluster CA, which kubelet trusts for client certificates (the API server calling it). */
  caCert: string;
  /** The sandbox ("pause") image reference, imported from `pauseArchive` before kubelet starts. */
  pauseImage: string;
  /** docker-archive tarballs to import into containerd's `k8s.io` namespace: the pause image first. */
  images: string[];
  /** Registries served over plain HTTP (`host:port`), for containerd's hosts.toml. */
  plainHttpRegistries?: string[];
  /** Node name (default `berth-e2e`). */
  name?: string;
  /** Working folder; a fresh temporary one when omitted. Removed on stop. */
  dir?: string;
}

/**
 * A real node on this machine: containerd with Debian's runc, kubelet and kube-proxy (iptables),
 * joined to a test control plane, with the Pod network of {@link POD_NETWORK}. Recipe and pitfalls:
 * ../shared/design/kubelet-node.md. Needs root. {@link stop} leaves the host as it was found.
 */
export class TestNode {
  readonly name: string;
  readonly dir: string;
  /** containerd's socket, for `ctr --address`. */
  readonly socket: string;
  private readonly bins: NodeBinaryPaths;
  private readonly processes: ManagedProcess[] = [];

  private constructor(name: string, dir: string, bins: NodeBinaryPaths) {
    this.name = name;
    this.dir = dir;
    this.socket = join(dir, 'containerd', 'containerd.sock');
    this.bins = bins;
  }

  /** Starts containerd, imports the images, starts kubelet and kube-proxy, and waits for the node to be Ready. */
  static async start(options: TestNodeOptions): Promise<TestNode> {
    if (process.getuid?.() !== 0) throw new Error('a test node needs root (kubelet, containerd, mounts)');
    const bins = await nodeBinaryPaths();
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'berth-node-')));
    const node = new TestNode(options.name ?? 'berth-e2e', dir, bins);
    await mkdir(join(dir, 'logs'), { recursive: true });
    await writeFile(
      join(dir, 'created-outside'),
      `${OUTSIDE_PATHS.filter((p) => !existsSync(p)).join('\n')}\n`,
    );
    // Saved into the node folder, so that node-cleanup.sh restores them even after a killed run.
    const sysctls = await saveSysctls();
    await writeFile(
      join(dir, 'sysctls'),
      Object.entries(sysctls)
        .map(([key, value]) => `${key} ${value}\n`)
        .join(''),
    );
    try {
      await node.startContainerd(options);
      for (const image of options.images) await node.importImage(image);
      await node.startKubelet(options);
      await node.startKubeProxy(options);
      await node.waitReady(options.kubeconfig);
      return node;
    } catch (err) {
      await node.stop({ keepLogs: true });
      throw new Error(`test node failed to start (logs in ${join(dir, 'logs')}): ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** Imports a docker-archive tarball into the CRI image store, so Pods use it without pulling. */
  async importImage(archive: string): Promise<void> {
    await this.ctr(['images', 'import', archive]);
  }

  /** Runs `ctr` in containerd's `k8s.io` namespace (e.g. to kill a container's task). */
  async ctr(args: string[]): Promise<string> {
    const { stdout } = await execFileAsync(this.bins.ctr, [
      '--address',
      this.socket,
      '-n',
      'k8s.io',
      ...args,
    ]);
    return stdout;
  }

  /** The log file of a component (`containerd`, `kubelet`, `kube-proxy`). */
  log(component: string): string {
    return join(this.dir, 'logs', `${component}.log`);
  }

  /** containerd's per-registry configuration folder (see {@link allowPlainHttp}). */
  get registryConfigDir(): string {
    return join(this.dir, 'certs.d');
  }

  /** Where kubelet keeps container logs: `<namespace>_<pod>_<uid>/<container>/<n>.log`. */
  get podLogsDir(): string {
    return join(this.dir, 'pod-logs');
  }

  /**
   * Stops kube-proxy, kubelet, then containerd, and undoes what they did to the host (mounts,
   * cgroups, the bridge, iptables chains, folders, kernel settings). Delete the Pods first, or
   * their containers are killed rather than stopped.
   */
  async stop(options: { keepLogs?: boolean } = {}): Promise<void> {
    for (const name of ['kube-proxy', 'kubelet', 'containerd']) {
      for (const p of this.processes.filter((q) => q.name === name)) await stopProcess(p.pid, 10_000);
    }
    if (options.keepLogs) {
      const keep = await mkdtemp(join(tmpdir(), 'berth-node-logs-'));
      await execFileAsync('cp', ['-r', join(this.dir, 'logs'), keep]).catch(() => undefined);
      console.warn(`[node] logs kept in ${keep}`);
    }
    await execFileAsync('bash', [cleanupScript, this.dir, POD_NETWORK.bridge]);
  }

  /** PIDs still running (for leak checks). */
  runningPids(): number[] {
    return this.processes.filter((p) => isRunning(p.pid)).map((p) => p.pid);
  }

  private launch(name: string, command: string, args: string[], env?: NodeJS.ProcessEnv): ManagedProcess {
    const proc = startProcess(name, command, args, {
      parentPid: process.pid,
      logFile: this.log(name),
      ...(env ? { env } : {}),
    });
    this.processes.push(proc);
    return proc;
  }

  private async startContainerd(options: TestNodeOptions): Promise<void> {
    const root = join(this.dir, 'containerd');
    const certsDir = join(this.dir, 'certs.d');
    const netDir = join(this.dir, 'net.d');
    await mkdir(netDir, { recursive: true });
    await writeFile(join(netDir, '10-berth-e2e.conflist'), cniConfList(join(this.dir, 'cni-ipam')));
    for (const registry of options.plainHttpRegistries ?? []) await allowPlainHttp(certsDir, registry);
    const config = join(this.dir, 'containerd.toml');
    await writeFile(
      config,
      containerdConfig({
        root: join(root, 'root'),
        state: join(root, 'state'),
        socket: this.socket,
        pauseImage: options.pauseImage,
        certsDir,
        netDir,
        cniBinDir: this.bins.cniDir,
      }),
    );
    // containerd finds containerd-shim-runc-v2 on PATH.
    const proc = this.launch('containerd', this.bins.containerd, ['--config', config], {
      PATH: `${this.bins.containerdShimDir}:${process.env.PATH ?? ''}`,
    });
    await waitUntil('containerd', proc, 30_000, async () => {
      const { stdout } = await execFileAsync(this.bins.ctr, ['--address', this.socket, 'version']);
      return stdout.includes('Server:');
    });
  }

  private async startKubelet(options: TestNodeOptions): Promise<void> {
    const [port, healthzPort] = [await freePort(), await freePort()];
    const config = join(this.dir, 'kubelet.yaml');
    await writeFile(
      config,
      stringify({
        apiVersion: 'kubelet.config.k8s.io/v1beta1',
        kind: 'KubeletConfiguration',
        cgroupDriver: 'cgroupfs',
        // This machine's cgroups are hybrid (v1 controllers); kubelet refuses them by default.
        failCgroupV1: false,
        failSwapOn: false,
        containerRuntimeEndpoint: `unix://${this.socket}`,
        address: POD_NETWORK.gateway,
        port,
        healthzBindAddress: '127.0.0.1',
        healthzPort,
        readOnlyPort: 0,
        podLogsDir: this.podLogsDir,
        // No eviction, no image garbage collection: a test machine's disk is not the node's concern.
        evictionHard: { 'memory.available': '0%', 'nodefs.available': '0%', 'imagefs.available': '0%' },
        imageGCHighThresholdPercent: 100,
        imageGCLowThresholdPercent: 99,
        registerNode: true,
        serializeImagePulls: false,
        authentication: {
          anonymous: { enabled: false },
          webhook: { enabled: false },
          x509: { clientCAFile: options.caCert },
        },
        authorization: { mode: 'AlwaysAllow' },
      }),
    );
    const proc = this.launch('kubelet', this.bins.kubelet, [
      `--config=${config}`,
      `--kubeconfig=${options.kubeconfig}`,
      `--root-dir=${join(this.dir, 'kubelet')}`,
      `--cert-dir=${join(this.dir, 'kubelet-pki')}`,
      `--hostname-override=${this.name}`,
      `--node-ip=${POD_NETWORK.gateway}`,
      '--v=1',
    ]);
    await waitUntil('kubelet', proc, 60_000, async () => {
      const res = await fetch(`http://127.0.0.1:${healthzPort}/healthz`).catch(() => undefined);
      return res?.ok ?? false;
    });
  }

  private async startKubeProxy(options: TestNodeOptions): Promise<void> {
    const [metrics, healthz] = [await freePort(), await freePort()];
    const config = join(this.dir, 'kube-proxy.yaml');
    await writeFile(
      config,
      stringify({
        apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
        kind: 'KubeProxyConfiguration',
        clientConnection: { kubeconfig: options.kubeconfig },
        mode: 'iptables',
        hostnameOverride: this.name,
        clusterCIDR: POD_NETWORK.subnet,
        metricsBindAddress: `127.0.0.1:${metrics}`,
        healthzBindAddress: `127.0.0.1:${healthz}`,
        // Leave the host's conntrack settings and localhost routing as they are.
        conntrack: { maxPerCore: 0, min: 0 },
        iptables: { localhostNodePorts: false, syncPeriod: '10s', minSyncPeriod: '0s' },
      }),
    );
    const proc = this.launch('kube-proxy', this.bins.kubeProxy, [`--config=${config}`, '--v=1']);
    await waitUntil('kube-proxy', proc, 30_000, async () => {
      const res = await fetch(`http://127.0.0.1:${healthz}/healthz`).catch(() => undefined);
      return res?.ok ?? false;
    });
  }

  private async waitReady(kubeconfig: string): Promise<void> {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const kubelet = this.processes.find((p) => p.name === 'kubelet');
    if (!kubelet) throw new Error('kubelet was not started');
    await waitUntil('node Ready', kubelet, 60_000, async () => {
      const node = await core.readNode({ name: this.name });
      return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    });
  }
}

/**
 * Lets containerd pull from `host` (`address:port`) over plain HTTP. It does so for 127.0.0.1 by
 * itself; any other address needs a hosts.toml, which containerd reads at each pull, so a registry
 * started after the node can be added.
 */
export async function allowPlainHttp(registryConfigDir: string, host: string): Promise<void> {
  await mkdir(join(registryConfigDir, host), { recursive: true });
  await writeFile(
    join(registryConfigDir, host, 'hosts.toml'),
    `server = "http://${host}"\n\n[host."http://${host}"]\n  capabilities = ["pull", "resolve"]\n`,
  );
}

/** containerd 2.x configuration (version 3): everything in the node folder, runc from Debian. */
function containerdConfig(c: {
  root: string;
  state: string;
  socket: string;
  pauseImage: string;
  certsDir: string;
  netDir: string;
  cniBinDir: string;
}): string {
  return `version = 3
root = '${c.root}'
state = '${c.state}'

[grpc]
  address = '${c.socket}'

[ttrpc]
  address = '${c.socket}.ttrpc'

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = '${c.pauseImage}'
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = '${c.certsDir}'

[plugins.'io.containerd.cri.v1.runtime']
  # Root here lacks CAP_SYS_RESOURCE: without this every sandbox fails to set oom_score_adj -998.
  restrict_oom_score_adj = true
  tolerate_missing_hugetlb_controller = true
  disable_hugetlb_controller = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = 'runc'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = 'io.containerd.runc.v2'
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = '/usr/bin/runc'
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['${c.cniBinDir}']
    conf_dir = '${c.netDir}'
`;
}

/** Polls `probe` until it is true, failing early (with the log's tail) when the process died. */
async function waitUntil(
  what: string,
  proc: ManagedProcess,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!isRunning(proc.pid)) {
      const tail = (await readFile(proc.logFile, 'utf8').catch(() => '')).split('\n').slice(-20).join('\n');
      throw new Error(`${proc.name} exited while waiting for ${what}; last log lines:\n${tail}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(
    `${what} not ready after ${timeoutMs} ms (${last || 'probe kept failing'}); log: ${proc.logFile}`,
  );
}
