import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';

/** The repository root, found from this file so tests work from any working directory. */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** kstatus's status codes as upstream prints them, plus `Error` for an object it could not evaluate. */
export type UpstreamStatus = 'InProgress' | 'Current' | 'Failed' | 'Terminating' | 'Unknown' | 'Error';

/** What sigs.k8s.io/cli-utils kstatus computed for one object (one line of tools/kstatus). */
export interface UpstreamKstatus {
  kind: string;
  namespace: string;
  name: string;
  status: UpstreamStatus;
  message: string;
}

/** Where scripts/cluster/build-tools.sh puts the GitOps tools (bin directories, built or not). */
export interface ToolDirs {
  /** Holds `berth-kstatus`. */
  kstatusBin: string;
  /** Holds `berth-argo-health`. */
  argoHealthBin: string;
}

let dirs: ToolDirs | undefined;

/** The tools' directories, from `build-tools.sh --print-dirs` (which reads the versions from tools/). */
export function toolDirs(): ToolDirs {
  if (dirs) return dirs;
  const out = execFileSync('bash', [join(root, 'scripts', 'cluster', 'build-tools.sh'), '--print-dirs'], {
    encoding: 'utf8',
  });
  const value = (key: string) => {
    const found = out.split('\n').find((l) => l.startsWith(`${key}=`));
    if (!found) throw new Error(`build-tools.sh --print-dirs printed no ${key}`);
    return found.slice(key.length + 1);
  };
  dirs = { kstatusBin: value('KSTATUS_BIN'), argoHealthBin: value('ARGO_HEALTH_BIN') };
  return dirs;
}

/**
 * The upstream kstatus binary, or undefined when it has not been built (a machine without Go
 * that never ran the set-up): tests that need it skip instead of failing there.
 */
export function kstatusBinary(): string | undefined {
  const path = join(toolDirs().kstatusBin, 'berth-kstatus');
  return existsSync(path) ? path : undefined;
}

/**
 * Runs upstream kstatus (`status.Compute`, what Flux's health checks use) on the objects and
 * returns one result per object, in order. Throws when the binary is missing or fails for a
 * reason other than an object it could not evaluate (reported as status `Error`).
 */
export async function upstreamKstatus(objects: readonly KubernetesObject[]): Promise<UpstreamKstatus[]> {
  const binary = kstatusBinary();
  if (!binary) throw new Error('berth-kstatus is not built; run scripts/cluster/build-tools.sh');
  const { code, stdout, stderr } = await run(binary, JSON.stringify(objects));
  // Exit 1 means "printed every line, some were Error": the lines say which.
  if (code !== 0 && code !== 1) throw new Error(`berth-kstatus exited ${code}: ${stderr.trim()}`);
  const results = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as UpstreamKstatus);
  if (results.length !== objects.length) {
    throw new Error(`berth-kstatus returned ${results.length} results for ${objects.length} objects`);
  }
  return results;
}

/** Runs a binary with `input` on stdin and collects its output. */
function run(
  binary: string,
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
