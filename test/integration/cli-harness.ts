import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { repoRoot } from '../../src/dev/binaries.ts';

/** What one run of a command printed and how it exited. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every output of every run in this process, for the test that no secret value is ever printed. */
export const transcript: Ran[] = [];

/** Runs a program to its end with the given environment (no terminal: no colour, no progress rewrites). */
export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const ran = { code, stdout, stderr };
      transcript.push(ran);
      resolve(ran);
    });
  });
}

/** `berth ARGS` as a user runs it from a clone (src/cli/main.ts on this Node). */
export function berth(args: readonly string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return run(process.execPath, [join(repoRoot, 'src/cli/main.ts'), ...args], env);
}

/**
 * Writes a kubeconfig with the admin's credentials and two contexts: `work`, whose namespace is
 * `namespace` (what `berth` uses without -n, as kubectl does), and `elsewhere` in `default`.
 */
export async function contextKubeconfig(admin: KubeConfig, namespace: string, file: string): Promise<string> {
  const current = admin.getContextObject(admin.getCurrentContext());
  if (!current) throw new Error('admin kubeconfig has no current context');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: admin.clusters,
    users: admin.users,
    contexts: [
      { ...current, name: 'work', namespace },
      { ...current, name: 'elsewhere', namespace: 'default' },
    ],
    currentContext: 'work',
  });
  await writeFile(file, kc.exportConfig(), { mode: 0o600 });
  return file;
}
