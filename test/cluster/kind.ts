import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/**
 * The opt-in `BERTH_CLUSTER=kind` mode: a kind cluster instead of the locally built control plane,
 * for machines with Docker (laptops, GitHub Actions). Untested here (no Docker engine); kept small.
 */
export interface KindCluster {
  kubeconfig: string;
  /** Kind runs a full cluster, so tests that restart kube-apiserver by PID are skipped. */
  restartable: false;
  stop(): Promise<void>;
}

/** Creates a kind cluster named after this process and waits for its control plane. */
export async function startKind(): Promise<KindCluster> {
  const name = `berth-test-${process.pid}`;
  const kubeconfig = join(await mkdtemp(join(tmpdir(), 'berth-kind-')), 'kubeconfig');
  await execFileAsync('kind', [
    'create',
    'cluster',
    '--name',
    name,
    '--kubeconfig',
    kubeconfig,
    '--wait',
    '180s',
  ]);
  return {
    kubeconfig,
    restartable: false,
    async stop() {
      await execFileAsync('kind', ['delete', 'cluster', '--name', name]);
    },
  };
}
