import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GROUP, VERSION } from '../../src/crds/object.ts';
import { repoRoot } from '../../src/dev/binaries.ts';
import { toolDirs, upstreamKstatus } from '../support/kstatus-upstream.ts';
import { e2eClients } from './harness.ts';

const execFileAsync = promisify(execFile);

/** A berth object as read from the API server. */
interface BerthObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; generation?: number };
  spec?: { suspend?: boolean };
  status?: {
    observedGeneration?: number;
    conditions?: { type: string; status: string; observedGeneration?: number }[];
  };
}

const PLURALS = ['containerregistries', 'registrytokens', 'cleanuppolicies'] as const;

/** True when berth itself says the object is done: Ready=True for the current generation. */
function readyNow(obj: BerthObject): boolean {
  const generation = obj.metadata.generation;
  return (
    obj.status?.observedGeneration === generation &&
    (obj.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

/** Argo CD's verdict on an object: deploy/argocd's health.lua for its kind, run as Argo CD runs it. */
async function argoHealth(obj: BerthObject, dir: string): Promise<string> {
  const file = join(dir, `${obj.kind}-${obj.metadata.namespace}-${obj.metadata.name}.json`);
  await writeFile(file, JSON.stringify(obj));
  const lua = join(repoRoot, 'deploy', 'argocd', 'resource_customizations', GROUP, obj.kind, 'health.lua');
  const bin = join(toolDirs().argoHealthBin, 'berth-argo-health');
  const { stdout } = await execFileAsync(bin, ['run', lua, file]);
  return (JSON.parse(stdout) as { status: string }).status;
}

/**
 * Compares what GitOps tools make of every berth object with berth's own conditions: the upstream
 * kstatus library (sigs.k8s.io/cli-utils, Flux's health checks) says `Current`, and Argo CD's
 * health check `Healthy` (or `Suspended` for a suspended CleanupPolicy), exactly when Ready=True at
 * the current generation. Every disagreement is kept with the object and the verdicts; every
 * distinct (kind, Argo CD status, kstatus) seen is counted, to show what the checks covered.
 */
export class KstatusWatch {
  readonly disagreements: string[] = [];
  /** `kind: argo status / kstatus` -> how often seen. */
  readonly seen = new Map<string, number>();
  checks = 0;
  objectsChecked = 0;
  private dir: string | undefined;

  /** Reads every berth object in the cluster now and checks each one. */
  async check(): Promise<void> {
    const { custom } = e2eClients();
    const objects: BerthObject[] = [];
    for (const plural of PLURALS) {
      const list = (await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as {
        items: BerthObject[];
      };
      for (const item of list.items) objects.push({ ...item, apiVersion: `${GROUP}/${VERSION}` });
    }
    if (objects.length === 0) return;
    const verdicts = await upstreamKstatus(objects);
    this.dir ??= await mkdtemp(join(tmpdir(), 'berth-e2e-argo-'));
    const dir = this.dir;
    const argo = await Promise.all(objects.map((obj) => argoHealth(obj, dir)));
    this.checks++;
    this.objectsChecked += objects.length;
    objects.forEach((obj, i) => {
      const upstream = verdicts[i]?.status;
      const ready = readyNow(obj);
      const healthy = argo[i] === 'Healthy' || (argo[i] === 'Suspended' && obj.spec?.suspend === true);
      const key = `${obj.kind}: Argo CD ${argo[i]} / kstatus ${upstream}`;
      // BERTH_E2E_RECORD=<folder> keeps the first object of each kind of verdict: testdata for the
      // Argo CD health checks taken from a real run (deploy/argocd/**/testdata/e2e_*.yaml).
      if (!this.seen.has(key) && process.env.BERTH_E2E_RECORD)
        void record(process.env.BERTH_E2E_RECORD, obj, argo[i] ?? '');
      this.seen.set(key, (this.seen.get(key) ?? 0) + 1);
      if ((upstream === 'Current') !== ready || healthy !== ready) {
        this.disagreements.push(
          `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}: kstatus ${upstream}, Argo CD ${argo[i]}, ` +
            `berth Ready=${ready} (generation ${obj.metadata.generation}, observed ${obj.status?.observedGeneration})`,
        );
      }
    });
  }
}

/** Saves an object as the Argo CD health check's testdata would hold it. */
async function record(dir: string, obj: BerthObject, status: string): Promise<void> {
  const { stringify } = await import('yaml');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(dir, obj.kind), { recursive: true });
  await writeFile(
    join(dir, obj.kind, `e2e_${status.toLowerCase()}_${obj.metadata.name}.yaml`),
    stringify(obj),
  );
}
