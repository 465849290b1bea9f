import { z } from 'zod';

/** A condition type: an optional DNS prefix and `/`, then a CamelCase-ish name (metav1.Condition). */
const CONDITION_TYPE =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/;

/** A condition reason: CamelCase, never empty (metav1.Condition). */
export const CONDITION_REASON = /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/;

/** An RFC 3339 timestamp as the API server writes it (`2026-11-22T04:41:00Z`). */
export function timestamp(description: string): z.ZodISODateTime {
  return z.iso.datetime({ offset: true }).describe(description);
}

/** A non-negative integer that may exceed 32 bits (bytes, generations). */
export function int64(description: string): z.ZodNumber {
  return z.number().int().min(0).meta({ format: 'int64' }).describe(description);
}

/** A non-negative counter. */
export function count(description: string): z.ZodNumber {
  return z.number().int().min(0).max(2_147_483_647).describe(description);
}

/** Exactly the metav1.Condition shape, so kstatus, Argo CD and `kubectl wait` read it. */
export const ConditionSchema = z
  .object({
    type: z
      .string()
      .min(1)
      .max(316)
      .regex(CONDITION_TYPE)
      .describe('Type of condition in CamelCase, e.g. Ready, Reconciling, Stalled.'),
    status: z.enum(['True', 'False', 'Unknown']).describe('Status of the condition: True, False or Unknown.'),
    observedGeneration: int64(
      'The .metadata.generation the condition was set for; older than the current generation means stale.',
    ).optional(),
    lastTransitionTime: timestamp('When the condition last changed from one status to another.'),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(CONDITION_REASON)
      .describe('A CamelCase identifier for the reason of the last transition, for machines.'),
    message: z
      .string()
      .max(32768)
      .describe('A human-readable message with details about the transition; may be empty.'),
  })
  .describe('One aspect of the current state of the object (metav1.Condition).');

/**
 * `status.observedGeneration` of an object berth has not looked at yet. No generation is negative,
 * so it never equals `metadata.generation` and every kstatus reader sees work in progress.
 */
export const UNOBSERVED_GENERATION = -1;

/** The status fields every berth kind shares. */
export const baseStatusShape = {
  observedGeneration: z
    .number()
    .int()
    .min(UNOBSERVED_GENERATION)
    .meta({ format: 'int64' })
    .optional()
    .describe(
      'The .metadata.generation the controller last acted on; differs from the generation while a change is ' +
        'in progress. -1 (the default) until the controller first wrote status.',
    ),
  conditions: z
    .array(ConditionSchema)
    .max(16)
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
    .optional()
    .describe(
      'Ready summarises the state; Reconciling (work in progress) and Stalled (needs a change by the user) ' +
        'follow kstatus.',
    ),
  lastHandledReconcileAt: z
    .string()
    .max(256)
    .optional()
    .describe('The value of the berth.dev/reconcile-requested-at annotation the controller last handled.'),
};

/** A metav1.Condition. */
export type Condition = z.infer<typeof ConditionSchema>;

/**
 * Gives a kind's status schema the default `{observedGeneration: -1}`, which the API server applies
 * to every object without status (on create and on every read). Without it kstatus (Flux's health
 * checks) calls an object without status `Current`, so a RegistryToken applied a moment ago would
 * count as healthy before berth has issued anything. zod applies the same default when parsing, so
 * controllers see what the API server serves.
 */
export function withStatusDefault<S extends z.ZodObject>(schema: S): z.ZodDefault<S> {
  // The cast: every status schema spreads baseStatusShape, so the default is a valid output.
  return schema.default({ observedGeneration: UNOBSERVED_GENERATION } as z.util.NoUndefined<z.output<S>>);
}
