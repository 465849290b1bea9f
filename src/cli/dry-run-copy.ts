import { randomBytes } from 'node:crypto';
import { Annotation } from './annotations.ts';
import { CliError, describeKubeError, httpStatus } from './errors.ts';
import { GROUP, kindOf, resourceOf, VERSION } from './kinds.ts';
import type { Kube } from './kube.ts';
import type { BerthObject } from './objects.ts';

const POLICY = kindOf('CleanupPolicy');

/** On the temporary copy: the policy it previews. */
export const DRY_RUN_OF_ANNOTATION = 'berth.dev/dry-run-of';
/** On the temporary copy: who made it, for `kubectl get cpol -l` after an interrupted run. */
export const CREATED_BY_LABEL = 'app.kubernetes.io/created-by';

/** `<policy>-dry-run-<4 hex>`, cut so the whole stays a valid object name. */
export function copyName(policy: string, suffix = randomBytes(2).toString('hex')): string {
  const tail = `-dry-run-${suffix}`;
  const head = policy.slice(0, 253 - tail.length).replace(/[^a-z0-9]+$/, '');
  return `${head}${tail}`;
}

/**
 * A temporary CleanupPolicy with the policy's rules that can only report: `dryRun: true` and
 * `suspend: true` (a manual run still happens; no scheduled one ever does), asked to run at once,
 * owned by the policy (garbage-collected with it). This is how `berth cleanup run --dry-run`
 * previews a policy that deletes, without touching that policy's spec: patching `dryRun` on the
 * policy itself would race its schedule, fight GitOps, and leave it in dry run (or worse, out of it)
 * if the CLI died half-way. A copy left behind by a killed CLI deletes nothing and never runs again.
 */
export function dryRunCopy(policy: BerthObject, name: string, request: string): BerthObject {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'CleanupPolicy',
    metadata: {
      name,
      namespace: policy.metadata.namespace,
      labels: { [CREATED_BY_LABEL]: 'berth-cli' },
      annotations: {
        [DRY_RUN_OF_ANNOTATION]: policy.metadata.name,
        [Annotation.RunRequested]: request,
        [Annotation.ReconcileRequested]: request,
      },
      ...(policy.metadata.uid
        ? {
            ownerReferences: [
              {
                apiVersion: policy.apiVersion,
                kind: 'CleanupPolicy',
                name: policy.metadata.name,
                uid: policy.metadata.uid,
                controller: false,
                blockOwnerDeletion: false,
              },
            ],
          }
        : {}),
    } as BerthObject['metadata'],
    spec: { ...policy.spec, dryRun: true, suspend: true },
  };
}

/** Creates the copy; a refusal by RBAC is reported as such (the caller falls back). */
export async function createCopy(kube: Kube, copy: BerthObject): Promise<BerthObject | 'forbidden'> {
  try {
    const created = (await kube.custom.createNamespacedCustomObject({
      ...resourceOf(POLICY),
      namespace: copy.metadata.namespace,
      body: copy,
    })) as BerthObject;
    return { ...created, kind: 'CleanupPolicy' };
  } catch (err) {
    if (httpStatus(err) === 403) return 'forbidden';
    throw new CliError(describeKubeError(err, `create the dry-run copy ${copy.metadata.name}`, kube.server));
  }
}

/** Deletes the copy; a failure is returned as a line for the user (the copy is harmless anyway). */
export async function deleteCopy(kube: Kube, copy: BerthObject): Promise<string | undefined> {
  try {
    await kube.custom.deleteNamespacedCustomObject({
      ...resourceOf(POLICY),
      namespace: copy.metadata.namespace,
      name: copy.metadata.name,
    });
    return undefined;
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    return `${describeKubeError(err, `delete the dry-run copy ${copy.metadata.namespace}/${copy.metadata.name}`)}; it deletes nothing and never runs again, delete it with kubectl delete cpol ${copy.metadata.name}`;
  }
}
