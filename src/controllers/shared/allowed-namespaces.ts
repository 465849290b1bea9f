import type { LabelSelector } from '../../crds/common.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';

/** Whether a set of labels satisfies a Kubernetes label selector (an empty selector matches all). */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}

/** The answer to "may this namespace use that registry?", with the reason when not. */
export type Admission = { allowed: true } | { allowed: false; message: string };

/**
 * Whether objects in `namespace` (with `namespaceLabels`) may reference `registry`, by its
 * spec.allowedNamespaces: Same (default: only its own namespace), All, or Selector. The message
 * tells the user what to change, for the condition on the referencing object.
 */
export function admitReference(
  registry: Pick<ContainerRegistry, 'metadata' | 'spec'>,
  namespace: string,
  namespaceLabels: Readonly<Record<string, string>>,
): Admission {
  const home = registry.metadata.namespace;
  if (namespace === home) return { allowed: true };
  const ref = `ContainerRegistry ${home}/${registry.metadata.name}`;
  const policy = registry.spec.allowedNamespaces;
  switch (policy.from) {
    case 'All':
      return { allowed: true };
    case 'Selector':
      if (policy.selector && selectorMatches(policy.selector, namespaceLabels)) return { allowed: true };
      return {
        allowed: false,
        message: `namespace ${namespace} does not match spec.allowedNamespaces.selector of ${ref}`,
      };
    default:
      return {
        allowed: false,
        message: `${ref} may only be used from its own namespace; set its spec.allowedNamespaces to allow ${namespace}`,
      };
  }
}
