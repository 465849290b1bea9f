// `npm run cluster:up` / `npm run cluster:down`: a long-lived local control plane for humans.
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlPlane, type ControlPlaneState } from './control-plane.ts';
import { isRunning, stopProcess } from './processes.ts';

const dir = process.env.BERTH_CLUSTER_DIR ?? join(tmpdir(), 'berth-cluster-dev');
const stateFile = join(dir, 'state.json');

async function readState(): Promise<ControlPlaneState | undefined> {
  if (!existsSync(stateFile)) return undefined;
  return JSON.parse(await readFile(stateFile, 'utf8')) as ControlPlaneState;
}

async function up(): Promise<void> {
  const existing = await readState();
  if (existing?.processes.every((p) => isRunning(p.pid))) {
    console.error(`control plane already running at ${existing.server} (npm run cluster:down stops it)`);
    console.log(`export KUBECONFIG=${existing.kubeconfig}`);
    return;
  }
  if (existing) await down();
  const started = Date.now();
  const plane = await ControlPlane.start({ dir, parentPid: 0 });
  console.error(
    `control plane ready at ${plane.state.server} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  console.error(`logs: ${join(dir, 'logs')}; stop with: npm run cluster:down`);
  console.log(`export KUBECONFIG=${plane.kubeconfig}`);
}

async function down(): Promise<void> {
  const state = await readState();
  if (!state) {
    console.error('no control plane recorded; nothing to stop');
    return;
  }
  // Reverse start order: controller manager and apiserver before etcd.
  for (const proc of [...state.processes].reverse()) await stopProcess(proc.pid);
  await rm(dir, { recursive: true, force: true });
  console.error(`stopped ${state.processes.length} processes and removed ${dir}`);
}

const command = process.argv[2];
const commands: Record<string, () => Promise<void>> = { up, down };
const run = command ? commands[command] : undefined;
if (!run) {
  console.error('usage: cli.ts up|down');
  process.exit(2);
}
run().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
