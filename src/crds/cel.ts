import type { z } from 'zod';

/**
 * One server-side validation rule. The `rule` is CEL and lands in `x-kubernetes-validations`, so
 * the API server enforces it; `check` is the same rule in TypeScript, so `safeParse` at runtime
 * rejects objects stored before the rule existed. Transition rules (those using `oldSelf`) compare
 * against the stored object and have no `check`: only the API server can see the old value.
 */
export interface CelRule<T> {
  /** The CEL expression, evaluated with `self` bound to the value of the annotated schema. */
  rule: string;
  /** Shown to the user; name the field, as the error is read without the rule beside it. */
  message: string;
  /** JSONPath-like path (`.renewBefore`) relative to `self`, so the API error names the field. */
  fieldPath?: string;
  /** The rule as a predicate over the parsed value; true means valid. */
  check?: (value: T) => boolean;
}

/** The `x-kubernetes-validations` entry shape in a CRD schema. */
export interface KubernetesValidation {
  rule: string;
  message: string;
  fieldPath?: string;
}

/** Key under which rules travel through zod metadata into the JSON Schema. */
export const VALIDATIONS_KEY = 'x-kubernetes-validations';

/** `.ionos.name` -> `['ionos', 'name']`: zod issue paths must match what the API server reports. */
function toPath(fieldPath: string | undefined): string[] {
  return fieldPath === undefined ? [] : fieldPath.split('.').filter((part) => part !== '');
}

/**
 * Runs a check; a check that throws met a value another check already rejects (zod keeps running
 * checks after a failed one), so it does not report a second, less helpful issue.
 */
function passes<T>(r: CelRule<T>, value: T): boolean {
  try {
    return r.check?.(value) !== false;
  } catch {
    return true;
  }
}

/**
 * Attaches rules to a schema once: both as CEL metadata for the CRD and as a zod refinement.
 * Call it once per schema, with all its rules, because a second `.meta()` would replace the list.
 */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly CelRule<z.output<S>>[]): S {
  const checked = rules.filter((r) => r.check !== undefined);
  const refined =
    checked.length === 0
      ? schema
      : schema.superRefine((value, ctx) => {
          for (const r of checked) {
            if (!passes(r, value as z.output<S>)) {
              ctx.addIssue({ code: 'custom', message: r.message, path: toPath(r.fieldPath) });
            }
          }
        });
  const validations: KubernetesValidation[] = rules.map(({ rule, message, fieldPath }) =>
    fieldPath === undefined ? { rule, message } : { rule, message, fieldPath },
  );
  return refined.meta({ [VALIDATIONS_KEY]: validations }) as S;
}

/** The transition rule that makes a field immutable once set; `what` names it in the error. */
export function immutable<T>(what: string): CelRule<T> {
  return { rule: 'self == oldSelf', message: `${what} is immutable` };
}
