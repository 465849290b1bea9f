import type { V1CustomResourceColumnDefinition } from '@kubernetes/client-node';

/**
 * A column for a moment that is usually in the future (an expiry, a renewal, the next run), shown
 * as its RFC 3339 timestamp. Not `type: date`: for a date column the API server's table converter
 * prints the time elapsed since the value (apimachinery's HumanDuration, as the Age column), and
 * any time more than a second ahead comes out as `<invalid>`, which is every healthy token's
 * expiry. A past moment (Last Run, Age) stays `date`, which reads as an age (`5m`).
 */
export function futureTimeColumn(
  name: string,
  jsonPath: string,
  description: string,
): V1CustomResourceColumnDefinition {
  return { name, type: 'string', format: 'date-time', jsonPath, description };
}

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
