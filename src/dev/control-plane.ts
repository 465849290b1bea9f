import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import { type BinaryPaths, ensureBinaries, nodeBinaryPaths } from './binaries.ts';
import { renderKubeconfig } from './kubeconfig.ts';
import { createPki, type Pki } from './pki.ts';
import { freePort } from './ports.ts';
import { isRunning, type ManagedProcess, startProcess, stopProcess } from './processes.ts';

/**
 * The controllers kube-controller-manager runs by default: enough for namespaces, GC,
 * ServiceAccounts, and the built-in view/edit/admin roles taking in aggregated ClusterRoles.
 */
export const CONTROLLERS = [
  'namespace-controller',
  'clusterrole-aggregation-controller',
  'garbage-collector-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
];

/** Every request at Metadata level (who, what, verb, response code), no bodies: enough for RBAC checks. */
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
`;

/** What a running control plane exposes; also the `state.json` that `cluster:down` reads. */
export interface ControlPlaneState {
  dir: string;
  server: string;
  kubeconfig: string;
  ports: { etcd: number; etcdPeer: number; apiserver: number };
  processes: ManagedProcess[];
  /** The API server's audit log (JSON lines), when {@link ControlPlaneOptions.auditLog} asked for one. */
  auditLog?: string;
}

/** Options for {@link ControlPlane.start}. */
export interface ControlPlaneOptions {
  /** Working directory (PKI, etcd data, logs); a fresh temporary one when omitted. */
  dir?: string;
  /** Processes end when this PID exits; 0 keeps them running (the default is the current process). */
  parentPid?: number;
  /** Start kube-controller-manager (default true). */
  controllerManager?: boolean;
  /**
   * The address the API server listens on and advertises (default 127.0.0.1). An end-to-end
   * cluster uses the Pod network's gateway, so Pods reach it through the `kubernetes` Service.
   */
  address?: string;
  /** More IP addresses for the serving certificate (the `kubernetes` Service's cluster IP). */
  extraIps?: string[];
  /** Controllers kube-controller-manager runs besides {@link CONTROLLERS} (Deployments, nodes). */
  extraControllers?: string[];
  /** Also run kube-scheduler, so Deployments' Pods get a node. */
  scheduler?: boolean;
  /** Write an audit log of every request (metadata level), e.g. to check an operator's RBAC. */
  auditLog?: boolean;
}

/**
 * etcd + kube-apiserver (+ kube-controller-manager) on 127.0.0.1 with free ports and throwaway PKI,
 * built from Go modules (scripts/cluster/build.sh). Stopped by PID, etcd last.
 */
export class ControlPlane {
  /** Ports, PIDs and paths of the running components. */
  readonly state: ControlPlaneState;
  private readonly bins: BinaryPaths;
  private readonly pki: Pki;
  private readonly parentPid: number;
  private readonly options: ControlPlaneOptions;

  private constructor(
    state: ControlPlaneState,
    bins: BinaryPaths,
    pki: Pki,
    parentPid: number,
    options: ControlPlaneOptions,
  ) {
    this.state = state;
    this.bins = bins;
    this.pki = pki;
    this.parentPid = parentPid;
    this.options = options;
  }

  /** The CA and admin client certificate files, for components that join this control plane. */
  get certificates(): Pick<Pki, 'caCert' | 'caKey' | 'adminCert' | 'adminKey'> {
    const { caCert, caKey, adminCert, adminKey } = this.pki;
    return { caCert, caKey, adminCert, adminKey };
  }

  /** The admin kubeconfig path (client certificate in group system:masters). */
  get kubeconfig(): string {
    return this.state.kubeconfig;
  }

  /** Builds missing binaries, then starts etcd, kube-apiserver and kube-controller-manager and waits until ready. */
  static async start(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
    const bins = await ensureBinaries();
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'berth-cluster-')));
    await mkdir(join(dir, 'logs'), { recursive: true });
    const address = options.address ?? '127.0.0.1';
    const pki = await createPki(
      dir,
      [address, ...(options.extraIps ?? [])].filter((ip) => ip !== '127.0.0.1'),
    );
    const [etcd, etcdPeer, apiserver] = [await freePort(), await freePort(), await freePort()];
    const server = `https://${address}:${apiserver}`;
    const kubeconfig = join(dir, 'admin.kubeconfig');
    await writeFile(
      kubeconfig,
      await renderKubeconfig(server, pki.caCert, { certFile: pki.adminCert, keyFile: pki.adminKey }),
      { mode: 0o600 },
    );
    const state: ControlPlaneState = {
      dir,
      server,
      kubeconfig,
      ports: { etcd, etcdPeer, apiserver },
      processes: [],
    };
    if (options.auditLog) state.auditLog = join(dir, 'logs', 'audit.log');
    const plane = new ControlPlane(state, bins, pki, options.parentPid ?? process.pid, options);
    try {
      await plane.startEtcd();
      await plane.startApiServer();
      if (options.controllerManager ?? true) await plane.startControllerManager();
      if (options.scheduler) await plane.startScheduler();
      await plane.saveState();
      return plane;
    } catch (err) {
      await plane.stop({ keepDir: true });
      throw new Error(
        `control plane failed to start (logs in ${join(dir, 'logs')}): ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Stops kube-apiserver and starts it again on the same port and etcd (for resilience tests). */
  async restartApiServer(downtimeMs = 0): Promise<void> {
    await this.stopComponent('kube-apiserver');
    if (downtimeMs > 0) await sleep(downtimeMs);
    await this.startApiServer();
    await this.saveState();
  }

  /** Stops every process by PID (kube-controller-manager, kube-apiserver, then etcd) and removes the directory. */
  async stop(options: { keepDir?: boolean } = {}): Promise<void> {
    for (const name of ['kube-scheduler', 'kube-controller-manager', 'kube-apiserver', 'etcd'])
      await this.stopComponent(name);
    if (!options.keepDir) await rm(this.state.dir, { recursive: true, force: true });
  }

  /** PIDs of the components still running. */
  runningPids(): number[] {
    return this.state.processes.filter((p) => isRunning(p.pid)).map((p) => p.pid);
  }

  private log(name: string): string {
    return join(this.state.dir, 'logs', `${name}.log`);
  }

  private launch(name: string, command: string, args: string[]): ManagedProcess {
    const proc = startProcess(name, command, args, { parentPid: this.parentPid, logFile: this.log(name) });
    this.state.processes.push(proc);
    return proc;
  }

  private async stopComponent(name: string): Promise<void> {
    const found = this.state.processes.filter((p) => p.name === name);
    await Promise.all(found.map((p) => stopProcess(p.pid)));
    this.state.processes = this.state.processes.filter((p) => p.name !== name);
  }

  private async startEtcd(): Promise<void> {
    const { etcd, etcdPeer } = this.state.ports;
    const client = `http://127.0.0.1:${etcd}`;
    const peer = `http://127.0.0.1:${etcdPeer}`;
    const proc = this.launch('etcd', this.bins.etcd, [
      '--name=berth',
      `--data-dir=${join(this.state.dir, 'etcd')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=berth=${peer}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    await waitFor('etcd', proc, 60_000, async () => (await fetch(`${client}/health`)).ok);
  }

  private async startApiServer(): Promise<void> {
    const { etcd, apiserver } = this.state.ports;
    const pki = this.pki;
    const address = this.options.address ?? '127.0.0.1';
    const audit: string[] = [];
    if (this.state.auditLog) {
      const policy = join(this.state.dir, 'audit-policy.yaml');
      await writeFile(policy, AUDIT_POLICY);
      audit.push(
        `--audit-policy-file=${policy}`,
        `--audit-log-path=${this.state.auditLog}`,
        '--audit-log-maxsize=0',
      );
    }
    const proc = this.launch('kube-apiserver', this.bins.kubeApiserver, [
      `--etcd-servers=http://127.0.0.1:${etcd}`,
      `--bind-address=${address}`,
      `--advertise-address=${address}`,
      `--secure-port=${apiserver}`,
      `--tls-cert-file=${pki.serverCert}`,
      `--tls-private-key-file=${pki.serverKey}`,
      `--cert-dir=${join(this.state.dir, 'certs')}`,
      `--client-ca-file=${pki.caCert}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${this.state.server}`,
      `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.0.0.0/24',
      '--allow-privileged=true',
      // Off the loopback, Pods reach the API server through the `kubernetes` Service, whose
      // endpoint the API server keeps itself; on 127.0.0.1 nothing can use that endpoint.
      `--endpoint-reconciler-type=${address === '127.0.0.1' ? 'none' : 'lease'}`,
      // `kubectl logs` and friends: the API server calls kubelet as the admin (kubelet trusts the CA).
      `--kubelet-client-certificate=${pki.adminCert}`,
      `--kubelet-client-key=${pki.adminKey}`,
      '--kubelet-preferred-address-types=InternalIP',
      ...audit,
    ]);
    const ca = await readFile(pki.caCert);
    const dispatcher = new Agent({
      connect: { ca, cert: await readFile(pki.adminCert), key: await readFile(pki.adminKey) },
    });
    try {
      await waitFor('kube-apiserver', proc, 120_000, async () => {
        const res = await fetch(`${this.state.server}/readyz`, { dispatcher });
        await res.body?.cancel();
        return res.ok;
      });
    } finally {
      await dispatcher.close();
    }
  }

  private async startControllerManager(): Promise<void> {
    const proc = this.launch('kube-controller-manager', this.bins.kubeControllerManager, [
      `--kubeconfig=${this.state.kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
      `--controllers=${[...CONTROLLERS, ...(this.options.extraControllers ?? [])].join(',')}`,
      `--service-account-private-key-file=${this.pki.serviceAccountKey}`,
      `--root-ca-file=${this.pki.caCert}`,
      '--use-service-account-credentials=false',
      // Garbage collection of dependents is what tests wait for; make it quick to notice deletions.
      '--concurrent-gc-syncs=5',
    ]);
    // KCM has no readiness endpoint with --secure-port=0. Its ServiceAccount controller giving the
    // `default` namespace its `default` ServiceAccount shows that it runs and has synced its
    // informers; tests that wait for garbage collection or ServiceAccounts then start from there.
    const dispatcher = new Agent({
      connect: {
        ca: await readFile(this.pki.caCert),
        cert: await readFile(this.pki.adminCert),
        key: await readFile(this.pki.adminKey),
      },
    });
    try {
      await waitFor('kube-controller-manager', proc, 60_000, async () => {
        const res = await fetch(`${this.state.server}/api/v1/namespaces/default/serviceaccounts/default`, {
          dispatcher,
        });
        await res.body?.cancel();
        return res.ok;
      });
    } finally {
      await dispatcher.close();
    }
  }

  private async startScheduler(): Promise<void> {
    const { kubeScheduler } = await nodeBinaryPaths();
    const proc = this.launch('kube-scheduler', kubeScheduler, [
      `--kubeconfig=${this.state.kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      '--secure-port=0',
    ]);
    await sleep(500);
    if (!isRunning(proc.pid)) throw new Error(`kube-scheduler exited at start; see ${proc.logFile}`);
  }

  private async saveState(): Promise<void> {
    await writeFile(join(this.state.dir, 'state.json'), `${JSON.stringify(this.state, null, 2)}\n`);
  }
}

/** Polls `probe` until it returns true, failing early when the process has exited. */
async function waitFor(
  name: string,
  proc: ManagedProcess,
  timeoutMs: number,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  while (Date.now() < deadline) {
    if (!isRunning(proc.pid)) {
      const tail = (await readFile(proc.logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
      throw new Error(`${name} exited before it was ready; last log lines:\n${tail}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    await sleep(250);
  }
  throw new Error(
    `${name} not ready after ${timeoutMs} ms (${lastError || 'probe kept failing'}); log: ${proc.logFile}`,
  );
}
