import { GROUP, VERSION } from '../../src/crds/object.ts';
import { upstreamKstatus } from '../support/kstatus-upstream.ts';
import { e2eClients } from './harness.ts';

/** A berth object as read from the API server. */
interface BerthObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; generation?: number };
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

/**
 * Compares the upstream kstatus library (sigs.k8s.io/cli-utils, what Flux and kstatus-based tools
 * use) with berth's own conditions on every berth object: `Current` exactly when Ready=True at the
 * current generation. Every disagreement seen is kept, with the object and both verdicts.
 */
export class KstatusWatch {
  readonly disagreements: string[] = [];
  checks = 0;
  objectsChecked = 0;

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
    this.checks++;
    this.objectsChecked += objects.length;
    objects.forEach((obj, i) => {
      const upstream = verdicts[i]?.status;
      const current = upstream === 'Current';
      if (current !== readyNow(obj)) {
        this.disagreements.push(
          `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}: kstatus ${upstream}, ` +
            `berth Ready=${readyNow(obj)} (generation ${obj.metadata.generation}, observed ${obj.status?.observedGeneration})`,
        );
      }
    });
  }
}
