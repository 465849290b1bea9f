import type { V1CustomResourceColumnDefinition } from '@kubernetes/client-node';

/**
 * The columns every berth kind ends with: Ready and Reason from the Ready condition (what
 * kstatus and Argo CD look at), then Age, so `kubectl get berth` lines up across kinds.
 */
export function conditionColumns(): V1CustomResourceColumnDefinition[] {
  return [
    {
      name: 'Ready',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].status',
      description: 'Whether the object is in its desired state.',
    },
    {
      name: 'Reason',
      type: 'string',
      jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
      description: 'Why it is, or is not, ready.',
    },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ];
}
