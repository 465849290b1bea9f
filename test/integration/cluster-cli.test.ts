import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { binaryPaths, repoRoot } from '../../src/dev/binaries.ts';
import type { ControlPlaneState } from '../../src/dev/control-plane.ts';
import { isRunning } from '../../src/dev/processes.ts';

const execFileAsync = promisify(execFile);

// `npm run cluster:up` / `cluster:down` are what a developer types; they run src/dev/cli.ts.
describe.skipIf(inject('clusterKind') !== 'local')('cluster:up and cluster:down', () => {
  it('leaves a usable control plane running, then stops it by PID', { timeout: 120_000 }, async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'berth-cli-')), 'cluster');
    const env = { ...process.env, BERTH_CLUSTER_DIR: dir };
    const cli = join(repoRoot, 'src/dev/cli.ts');

    const up = await execFileAsync(process.execPath, [cli, 'up'], { env });
    const lastLine = up.stdout.trim().split('\n').at(-1) ?? '';
    expect(lastLine).toBe(`export KUBECONFIG=${join(dir, 'admin.kubeconfig')}`);

    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
    try {
      // The CLI process has exited; the control plane must outlive it.
      expect(state.processes.map((p) => p.name)).toEqual([
        'etcd',
        'kube-apiserver',
        'kube-controller-manager',
      ]);
      expect(state.processes.every((p) => isRunning(p.pid))).toBe(true);
      const { kubectl } = await binaryPaths();
      const kubeconfig = join(dir, 'admin.kubeconfig');
      const got = await execFileAsync(kubectl, [
        '--kubeconfig',
        kubeconfig,
        'get',
        'namespace',
        'default',
        '-o',
        'name',
      ]);
      expect(got.stdout.trim()).toBe('namespace/default');

      // A second `up` reuses the running one instead of starting another.
      const again = await execFileAsync(process.execPath, [cli, 'up'], { env });
      expect(again.stdout.trim()).toBe(lastLine);
      expect(again.stderr).toContain('already running');
    } finally {
      await execFileAsync(process.execPath, [cli, 'down'], { env });
    }
    expect(state.processes.filter((p) => isRunning(p.pid))).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });
});
