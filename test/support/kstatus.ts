import type { KubernetesObject } from '@kubernetes/client-node';

/** kstatus's summary of an object (cli-utils pkg/kstatus, as Flux and Argo CD read it). */
export type KstatusResult = 'InProgress' | 'Current' | 'Failed' | 'Terminating';

interface StatusShape {
  observedGeneration?: number;
  conditions?: {
    type: string;
    status: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
    observedGeneration?: number;
  }[];
}

type WithStatus = KubernetesObject & { status?: StatusShape };

/** kstatus's computation: Terminating, stale generation, Reconciling, Stalled, then Ready. */
export function kstatusOf(obj: WithStatus): KstatusResult {
  if (obj.metadata?.deletionTimestamp) return 'Terminating';
  const status = obj.status ?? {};
  if (status.observedGeneration !== obj.metadata?.generation) return 'InProgress';
  const cond = (type: string) => status.conditions?.find((c) => c.type === type);
  if (cond('Reconciling')?.status === 'True') return 'InProgress';
  if (cond('Stalled')?.status === 'True') return 'Failed';
  return cond('Ready')?.status === 'True' ? 'Current' : 'InProgress';
}

/**
 * The conventions of shared/design/peers.md section 3 that make an object GitOps-healthy, as a list
 * of violations (empty when compliant). Every reconciler test runs this on what it wrote.
 */
export function kstatusViolations(obj: WithStatus): string[] {
  const problems: string[] = [];
  const status = obj.status;
  if (!status) return ['no status written'];
  if (typeof status.observedGeneration !== 'number') problems.push('status.observedGeneration missing');
  const conditions = status.conditions ?? [];
  const types = new Set<string>();
  for (const c of conditions) {
    if (types.has(c.type)) problems.push(`condition ${c.type} appears twice`);
    types.add(c.type);
    if (!['True', 'False', 'Unknown'].includes(c.status)) problems.push(`${c.type}: status ${c.status}`);
    if (!c.reason || !/^[A-Z][A-Za-z0-9]*$/.test(c.reason))
      problems.push(`${c.type}: reason "${c.reason}" not CamelCase`);
    if (!c.lastTransitionTime || Number.isNaN(Date.parse(c.lastTransitionTime))) {
      problems.push(`${c.type}: lastTransitionTime missing`);
    }
    if (c.observedGeneration !== undefined && c.observedGeneration > (obj.metadata?.generation ?? 0)) {
      problems.push(`${c.type}: observedGeneration ahead of metadata.generation`);
    }
  }
  const isTrue = (type: string) => conditions.some((c) => c.type === type && c.status === 'True');
  if (!types.has('Ready')) problems.push('no Ready condition');
  if (isTrue('Stalled') && isTrue('Reconciling')) problems.push('Stalled and Reconciling both True');
  if (isTrue('Ready') && (isTrue('Stalled') || isTrue('Reconciling'))) {
    problems.push('Ready=True while Stalled or Reconciling is True');
  }
  return problems;
}
