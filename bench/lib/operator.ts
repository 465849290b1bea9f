import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../../src/dev/binaries.ts';

/** berth as a process, as it runs in a cluster (here with a kubeconfig of its own identity). */
export interface OperatorProcess {
  child: ChildProcess;
  /** `host:port` of /metrics. */
  address: string;
  /** Resident memory now, from its own berth_process_resident_memory_bytes, in MiB. */
  rssMiB(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts `node src/main.ts` with these flags and waits for its "operator starting" line (info level). */
export async function startOperator(kubeconfig: string, args: string[]): Promise<OperatorProcess> {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'src', 'main.ts'), '--metrics-addr=127.0.0.1:0', '--leader-elect=false', ...args],
    { env: { ...process.env, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const address = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      if (line.includes('"msg":"operator starting"'))
        resolve((JSON.parse(line) as { address: string }).address);
    });
    child.once('exit', (code) => reject(new Error(`operator exited early with ${code}`)));
  });
  return {
    child,
    address,
    async rssMiB() {
      const text = await fetch(`http://${address}/metrics`).then((r) => r.text());
      const bytes = /^berth_process_resident_memory_bytes (\d+)/m.exec(text)?.[1];
      return Math.round(Number(bytes) / 2 ** 20);
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
