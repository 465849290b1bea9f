import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../../src/dev/binaries.ts';

/** The operator's memory in MiB: resident, V8 heap used and reserved, and outside the heap. */
export interface OperatorMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
}

/** berth as a process, as it runs in a cluster (here with a kubeconfig of its own identity). */
export interface OperatorProcess {
  child: ChildProcess;
  /** `host:port` of /metrics. */
  address: string;
  /** Resident memory now, from its own berth_process_resident_memory_bytes, in MiB. */
  rssMiB(): Promise<number>;
  /** Resident memory and what the V8 heap holds of it, from its own metrics, in MiB. */
  memory(): Promise<OperatorMemory>;
  stop(): Promise<void>;
}

/**
 * The operator's entry point: `bundle` is what the container image runs (scripts/image/bundle.sh,
 * built into a temporary folder, installing the pinned esbuild on first use), `source` is
 * `node src/main.ts` with type stripping as in development (about 65 MB more resident memory).
 */
export function operatorEntry(kind: 'bundle' | 'source'): string {
  if (kind === 'source') return join(repoRoot, 'src', 'main.ts');
  const bundler = join(repoRoot, 'scripts', 'image', 'bundler');
  if (!existsSync(join(bundler, 'node_modules', 'esbuild')))
    execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefix', bundler], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  const out = mkdtempSync(join(tmpdir(), 'berth-bench-bundle-'));
  execFileSync('sh', [join(repoRoot, 'scripts', 'image', 'bundle.sh'), out], { stdio: 'inherit' });
  return join(out, 'main.mjs');
}

/**
 * Starts `node [nodeOptions] <entry>` with these flags and waits for its "operator starting"
 * line (info level). With `log`, its standard output (the JSON log) is copied there as well.
 */
export async function startOperator(
  entry: string,
  kubeconfig: string,
  args: string[],
  nodeOptions: string[] = [],
  log?: NodeJS.WritableStream,
): Promise<OperatorProcess> {
  const child = spawn(
    process.execPath,
    [...nodeOptions, entry, '--metrics-addr=127.0.0.1:0', '--leader-elect=false', ...args],
    { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  // Several processes in turn may write to one log: none of them ends it.
  if (log) child.stdout?.pipe(log, { end: false });
  const address = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (line.includes('"msg":"operator starting"'))
        resolve((JSON.parse(line) as { address: string }).address);
    });
    child.once('exit', (code) => reject(new Error(`operator exited early with ${code}`)));
  });
  const memory = async (): Promise<OperatorMemory> => {
    const text = await fetch(`http://${address}/metrics`).then((r) => r.text());
    const mib = (name: string) =>
      Math.round(Number(new RegExp(`^berth_${name} (\\d+)`, 'm').exec(text)?.[1]) / 2 ** 20);
    return {
      rss: mib('process_resident_memory_bytes'),
      heapUsed: mib('nodejs_heap_size_used_bytes'),
      heapTotal: mib('nodejs_heap_size_total_bytes'),
      external: mib('nodejs_external_memory_bytes'),
    };
  };
  return {
    child,
    address,
    memory,
    async rssMiB() {
      return (await memory()).rss;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
