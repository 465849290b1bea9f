import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../src/dev/binaries.ts';
import { isRunning } from '../../src/dev/processes.ts';
import { eventually } from './helpers.ts';

// The harness must not leak etcd or kube-apiserver when the test process dies without cleaning up
// (a crash, `kill -9`, a CI timeout): each component is guarded and follows its parent.
describe.skipIf(inject('clusterKind') !== 'local')('control plane harness', () => {
  it('stops every component when the process that started it is killed with SIGKILL', {
    timeout: 120_000,
  }, async () => {
    const child = spawn(process.execPath, [join(repoRoot, 'test/cluster/fixtures/start-and-hang.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`fixture exited early with ${code}`)));
    });
    const { pids, dir } = JSON.parse(line) as { pids: number[]; dir: string };
    expect(pids).toHaveLength(2);
    expect(pids.every(isRunning)).toBe(true);

    child.kill('SIGKILL');
    await eventually(() => pids.every((pid) => !isRunning(pid)), {
      timeoutMs: 30_000,
      what: 'etcd and kube-apiserver to exit after their parent died',
    });
    expect(existsSync(dir)).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });
});
