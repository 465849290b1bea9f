// helm for integration tests: the chart rendered by the helm binary the cluster build caches, so
// tests install exactly what users get (chart.test.ts checks the chart, tenants.ts installs its roles).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { nodeBinaryPaths, repoRoot } from '../../src/dev/binaries.ts';

const execFileAsync = promisify(execFile);

/** The chart's directory. */
export const CHART = join(repoRoot, 'deploy', 'helm', 'berth');

/** One object of a render, as far as the tests read it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** The helm that scripts/cluster/build-node.sh builds into the cache (BERTH_HELM overrides it). */
export async function findHelm(): Promise<string> {
  const bin = process.env.BERTH_HELM ?? (await nodeBinaryPaths()).helm;
  if (!existsSync(bin)) throw new Error(`no helm at ${bin}: build it with scripts/cluster/build-node.sh`);
  return bin;
}

// One helm binary and one throwaway home per test file, found on first use.
let setup: Promise<{ bin: string; home: string }> | undefined;
const helmSetup = () => {
  setup ??= (async () => ({
    bin: await findHelm(),
    home: await mkdtemp(join(tmpdir(), 'berth-helm-')),
  }))();
  return setup;
};

/** Runs helm with its caches in a throwaway folder; rejects with helm's stderr. */
export async function helm(args: string[]): Promise<string> {
  const { bin, home } = await helmSetup();
  try {
    const { stdout } = await execFileAsync(bin, args, {
      maxBuffer: 32 * 1024 * 1024,
      env: {
        ...process.env,
        HELM_CACHE_HOME: join(home, 'cache'),
        HELM_CONFIG_HOME: join(home, 'config'),
        HELM_DATA_HOME: join(home, 'data'),
      },
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`helm ${args.join(' ')} failed:\n${e.stderr || e.stdout || e.message}`);
  }
}

/** The error text of a helm call that must fail. */
export async function helmFails(args: string[]): Promise<string> {
  const outcome = await helm(args).then(
    () => undefined,
    (err: unknown) => (err as Error).message,
  );
  if (outcome === undefined) throw new Error(`helm ${args.join(' ')} succeeded but should have failed`);
  return outcome;
}

/** `helm template` of the chart, parsed into its objects. */
export async function render(release: string, namespace: string, args: string[] = []): Promise<Manifest[]> {
  const out = await helm(['template', release, CHART, '--namespace', namespace, ...args]);
  return parseAllDocuments(out)
    .map((d) => d.toJSON() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}
