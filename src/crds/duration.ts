import { z } from 'zod';
import { type CelRule, withRules } from './cel.ts';

/**
 * Go-style durations in canonical order (`720h`, `90m`, `1h30m`, `30s`, and `720h0m0s` as
 * metav1.Duration prints it). Digits are capped so that the largest value (about 135 years) still
 * fits CEL's `duration()`, which overflows beyond 292 years. At least one part is required.
 */
export const DURATION_PATTERN =
  /^([0-9]{1,6}h([0-9]{1,7}m)?([0-9]{1,8}s)?|[0-9]{1,7}m([0-9]{1,8}s)?|[0-9]{1,8}s)$/;

/**
 * CEL that is true when every expression is a well-formed duration. Rules that call `duration()`
 * are guarded with it: the API server still evaluates CEL after a pattern failure, and an
 * unguarded `duration()` would add a confusing type-conversion error to the pattern's clear one.
 */
export function celDurationsValid(...expressions: string[]): string {
  return expressions.map((e) => `${e}.matches(r'${DURATION_PATTERN.source}')`).join(' && ');
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000 };

/** Parses a duration matching {@link DURATION_PATTERN} into milliseconds; throws on anything else. */
export function durationMs(value: string): number {
  if (value.length < 2 || !DURATION_PATTERN.test(value)) throw new Error(`invalid duration "${value}"`);
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/([0-9]+)([hms])/g)) {
    total += Number(amount) * (UNIT_MS[unit ?? 's'] ?? 0);
  }
  return total;
}

/** Bounds for {@link duration}, written as durations themselves (`1h`). */
export interface DurationOptions {
  min?: string;
  max?: string;
}

/**
 * A duration string field with its format checked by pattern and its bounds by CEL, so a bad
 * value is rejected by the API server with the field's path in the message.
 */
export function duration(description: string, options: DurationOptions = {}): z.ZodString {
  const rules: CelRule<string>[] = [];
  const { min, max } = options;
  if (min !== undefined) {
    rules.push({
      rule: `!(${celDurationsValid('self')}) || duration(self) >= duration('${min}')`,
      message: `must be at least ${min}`,
      check: (v) => durationMs(v) >= durationMs(min),
    });
  }
  if (max !== undefined) {
    rules.push({
      rule: `!(${celDurationsValid('self')}) || duration(self) <= duration('${max}')`,
      message: `must be at most ${max}`,
      check: (v) => durationMs(v) <= durationMs(max),
    });
  }
  const base = z
    .string()
    .min(2)
    .max(24)
    .regex(DURATION_PATTERN, { message: 'must be a duration such as 720h, 90m, 1h30m or 30s' })
    .describe(
      `${description} A Go-style duration made of hours, minutes and seconds in that order, e.g. 720h, 90m, 1h30m, 30s.`,
    );
  return rules.length === 0 ? base : withRules(base, rules);
}
