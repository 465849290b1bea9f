import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { CliError, describeKubeError, httpStatus, usageError } from './errors.ts';
import { type BerthKind, KINDS, kindOf, parseObjectRef, resourceOf } from './kinds.ts';
import type { Kube } from './kube.ts';

/** A metav1.Condition as it comes from the API server. */
export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

/**
 * A berth object as read, loosely typed: the CLI shows what the API server holds and must keep
 * working against an operator one version ahead or behind, so it does not parse with the zod schemas.
 */
export interface BerthObject {
  apiVersion: string;
  kind: BerthKind['kind'];
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    deletionTimestamp?: string | Date;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec: Record<string, unknown>;
  status?: Record<string, unknown> & { conditions?: Condition[]; observedGeneration?: number };
}

/** What listing every kind found: the objects, and a line for each kind that could not be listed. */
export interface Listing {
  objects: BerthObject[];
  problems: string[];
}

/** Lists every berth kind in one namespace or in all; a kind that fails is reported, not fatal. */
export async function listAll(kube: Kube, namespace: string | undefined): Promise<Listing> {
  const results = await Promise.all(KINDS.map((kind) => listKind(kube, kind, namespace)));
  return {
    objects: results.flatMap((r) => r.objects),
    problems: results.flatMap((r) => r.problems),
  };
}

async function listKind(kube: Kube, kind: BerthKind, namespace: string | undefined): Promise<Listing> {
  try {
    const list = (
      namespace === undefined
        ? await kube.custom.listClusterCustomObject(resourceOf(kind))
        : await kube.custom.listNamespacedCustomObject({ ...resourceOf(kind), namespace })
    ) as { items: BerthObject[] };
    return { objects: list.items.map((o) => ({ ...o, kind: kind.kind })), problems: [] };
  } catch (err) {
    if (httpStatus(err) === 404) {
      return {
        objects: [],
        problems: [`the ${kind.kind} CRD (${kind.plural}.berth.dev) is not installed: run berth check`],
      };
    }
    const where = namespace === undefined ? 'in any namespace' : `in namespace ${namespace}`;
    return { objects: [], problems: [describeKubeError(err, `list ${kind.plural} ${where}`, kube.server)] };
  }
}

/** One object, or undefined when it does not exist. Other failures throw a {@link CliError}. */
export async function getObject(
  kube: Kube,
  kind: BerthKind,
  namespace: string,
  name: string,
): Promise<BerthObject | undefined> {
  try {
    const obj = (await kube.custom.getNamespacedCustomObject({
      ...resourceOf(kind),
      namespace,
      name,
    })) as BerthObject;
    return { ...obj, kind: kind.kind };
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    throw new CliError(describeKubeError(err, `get ${kind.singular} ${namespace}/${name}`, kube.server));
  }
}

/** `KIND NAMESPACE/NAME`, how the CLI names an object in its messages. */
export function displayName(obj: Pick<BerthObject, 'kind' | 'metadata'>): string {
  return `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name}`;
}

/** Like {@link getObject}, but a missing object is an error that says so. */
export async function mustGet(
  kube: Kube,
  kind: BerthKind,
  namespace: string,
  name: string,
): Promise<BerthObject> {
  const obj = await getObject(kube, kind, namespace, name);
  if (!obj) throw new CliError(`${kind.kind} ${namespace}/${name} not found`);
  return obj;
}

/**
 * Finds the object `KIND/NAME` or `NAME` names in a namespace. A bare name is looked up in all
 * three kinds: none is "not found" (exit 1), more than one asks for KIND/NAME (exit 2).
 */
export async function resolveObject(kube: Kube, ref: string, namespace: string): Promise<BerthObject> {
  const { kind, name } = parseObjectRef(ref);
  if (kind) return mustGet(kube, kind, namespace, name);
  const found = (await Promise.all(KINDS.map((k) => getObject(kube, k, namespace, name)))).filter(
    (o): o is BerthObject => o !== undefined,
  );
  if (found.length === 0)
    throw new CliError(
      `no ContainerRegistry, RegistryToken or CleanupPolicy named ${name} in namespace ${namespace}`,
    );
  if (found.length > 1) {
    const kinds = found.map((o) => `${kindOf(o.kind).singular}/${name}`).join(', ');
    throw usageError(
      `${name} names more than one berth object in namespace ${namespace}: say which (${kinds})`,
    );
  }
  return found[0] as BerthObject;
}

/** Sets annotations with a JSON merge patch (no read-modify-write, no conflict with the operator). */
export async function annotate(
  kube: Kube,
  obj: BerthObject,
  annotations: Record<string, string>,
): Promise<BerthObject> {
  const kind = kindOf(obj.kind);
  const { namespace, name } = obj.metadata;
  try {
    const patched = (await kube.custom.patchNamespacedCustomObject(
      { ...resourceOf(kind), namespace, name, body: { metadata: { annotations } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as BerthObject;
    return { ...patched, kind: obj.kind };
  } catch (err) {
    throw new CliError(describeKubeError(err, `annotate ${kind.singular} ${namespace}/${name}`, kube.server));
  }
}
