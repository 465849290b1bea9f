// External Secrets Operator as a process, the benchmark's peer: built from the Go module proxy by
// scripts/bench/build-eso.sh into the build cache, its CRDs taken from the same module, and run as
// one local controller against the benchmark's kube-apiserver with a kubeconfig of its own.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { repoRoot } from '../../src/dev/binaries.ts';

const execFileAsync = promisify(execFile);
const buildScript = join(repoRoot, 'scripts', 'bench', 'build-eso.sh');

/** The release the peer is built from (scripts/bench/build-eso.sh's default). */
export const ESO_VERSION = 'v0.16.2';

/**
 * The CRDs the job needs and the ones the controller watches at start-up whatever its flags
 * (SecretStore and GeneratorState have no flag to turn them off); the others are never installed.
 */
export const ESO_CRDS = [
  'external-secrets.io_externalsecrets.yaml',
  'external-secrets.io_secretstores.yaml',
  'generators.external-secrets.io_generatorstates.yaml',
  'generators.external-secrets.io_webhooks.yaml',
];

/** Where the built peer is: its binary and the module's CRDs. */
export interface EsoBuild {
  bin: string;
  crds: string;
}

/** Builds ESO unless cached (progress on stderr), and says where it is. */
export async function ensureEso(): Promise<EsoBuild> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [buildScript], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ESO_VERSION },
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${buildScript} exited ${code}`))));
  });
  const { stdout } = await execFileAsync('bash', [buildScript, '--print-dirs'], {
    env: { ...process.env, ESO_VERSION },
  });
  const dir = (key: string) => new RegExp(`^${key}=(.*)$`, 'm').exec(stdout)?.[1] ?? '';
  return { bin: join(dir('ESO_BIN'), 'external-secrets'), crds: dir('ESO_CRDS') };
}

/** ESO's memory in MiB: resident, and the Go heap in use and obtained from the system. */
export interface EsoMemory {
  rss: number;
  heapInuse: number;
  heapSys: number;
}

/** The running controller. */
export interface EsoProcess {
  child: ChildProcess;
  /** `host:port` of its /metrics. */
  address: string;
  /** Resident memory and Go heap now, from its own process and Go collectors. */
  memory(): Promise<EsoMemory>;
  /** Its controller-runtime counters: reconciles by result, errors and panics of one controller. */
  reconciles(controller: string): Promise<Record<string, number>>;
  /** The kernel's high-water mark of its resident memory (VmHWM), in MiB. */
  highWaterMiB(): number;
  /** Its error log lines so far, counted by message and error (cut short; they name no secret). */
  logErrors(): Record<string, number>;
  stop(): Promise<void>;
}

/** The kernel's high-water mark of a process's resident memory (VmHWM), in MiB; 0 once it is gone. */
export function highWaterMiB(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Math.round(Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024);
  } catch {
    return 0;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('no free port');
  return address.port;
}

/**
 * Starts the controller with `args` after the ones every run shares, its log in `logFile`, and
 * waits until the ExternalSecret controller's workers run (its caches have synced). GOGC and
 * GOMEMLIMIT are removed from the environment: the chart sets neither (Go's defaults apply).
 */
export async function startEso(
  bin: string,
  kubeconfig: string,
  args: string[],
  logFile: string,
): Promise<EsoProcess> {
  const address = `127.0.0.1:${await freePort()}`;
  const { GOGC: _gogc, GOMEMLIMIT: _limit, ...env } = process.env;
  const child = spawn(bin, [`--metrics-addr=${address}`, ...args], {
    env: { ...env, KUBECONFIG: kubeconfig },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log);
  const stderr = child.stderr as NodeJS.ReadableStream;
  stderr.pipe(log);
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: stderr }).on('line', (line) => {
      if (line.includes('Starting workers') && line.includes('"controller":"externalsecret"')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`external-secrets exited early with ${code}; see ${logFile}`)),
    );
  });
  const metrics = () => fetch(`http://${address}/metrics`).then((r) => r.text());
  const value = (text: string, name: string) =>
    Number(new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  return {
    child,
    address,
    async memory() {
      const text = await metrics();
      return {
        rss: mib(value(text, 'process_resident_memory_bytes')),
        heapInuse: mib(value(text, 'go_memstats_heap_inuse_bytes')),
        heapSys: mib(value(text, 'go_memstats_heap_sys_bytes')),
      };
    },
    async reconciles(controller) {
      const text = await metrics();
      const counts: Record<string, number> = {};
      const pattern =
        /^controller_runtime_reconcile_(total|errors_total|panics_total)\{([^}]*)\} ([0-9.e+]+)$/gm;
      for (const [, metric, labels = '', n] of text.matchAll(pattern)) {
        if (!labels.includes(`controller="${controller}"`)) continue;
        const result = /result="([^"]+)"/.exec(labels)?.[1];
        const key = metric === 'total' ? (result ?? 'total') : (metric ?? '').replace('_total', '');
        counts[key] = (counts[key] ?? 0) + Number(n);
      }
      return counts;
    },
    highWaterMiB: () => highWaterMiB(child.pid),
    logErrors() {
      const counts: Record<string, number> = {};
      for (const line of readFileSync(logFile, 'utf8').split('\n')) {
        if (!line.includes('"level":"error"')) continue;
        const entry = JSON.parse(line) as { msg?: string; error?: string };
        const key = `${entry.msg ?? ''}: ${entry.error ?? ''}`.slice(0, 160);
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return counts;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      log.end();
    },
  };
}
