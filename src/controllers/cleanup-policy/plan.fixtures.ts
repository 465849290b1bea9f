import { expect } from 'vitest';
import type { Artifact } from '../../clients/provider.ts';
import type { ManifestFacts } from './graph.ts';
import { type Decision, type Plan, type PlanInput, plan, type RetentionRules } from './plan.ts';

/** The fixed clock of the plan tests. */
export const NOW = Date.parse('2026-06-01T00:00:00Z');

const UNIT: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };

/** Milliseconds of a short age such as `10d`, `2h` or `30m`. */
export function ms(age: string): number {
  const match = /^([0-9]+)([dhms])$/.exec(age);
  if (match === null) throw new Error(`bad age ${age}`);
  return Number(match[1]) * (UNIT[match[2] ?? 's'] ?? 0);
}

/** A manifest pushed `age` before {@link NOW}; `tags` space-separated, '' for untagged. */
export function art(
  repository: string,
  digest: string,
  tags: string,
  age: string,
  sizeBytes?: number,
): Artifact {
  const a: Artifact = {
    repository,
    digest,
    tags: tags === '' ? [] : tags.split(' '),
    pushedAt: new Date(NOW - ms(age)),
  };
  if (sizeBytes !== undefined) a.sizeBytes = sizeBytes;
  return a;
}

/** Manifests in a short notation: `repo digest tag,tag age [size]` separated by `;`, `-` for no tags. */
export function arts(spec: string): Artifact[] {
  return spec.split(';').map((one) => {
    const [repository = '', digest = '', tags = '', age = '', size] = one.trim().split(/\s+/);
    return art(
      repository,
      digest,
      tags === '-' ? '' : tags.replaceAll(',', ' '),
      age,
      size === undefined ? undefined : Number(size),
    );
  });
}

/** Rules with the schema's defaults (untagged Keep, minAge 1h) under `overrides`. */
export function rules(overrides: Partial<RetentionRules>): RetentionRules {
  return { untagged: 'Keep', minAge: '1h', ...overrides } as RetentionRules;
}

/** A plan input with every repository covered and a high limit unless given. */
export function input(artifacts: Artifact[], overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    artifacts,
    repositories: { include: ['**'] },
    rules: rules({ keepLast: 1 }),
    now: NOW,
    maxDeletions: 100,
    ...overrides,
  };
}

/** A deletion as one readable line: `tag repo:tag@digest (reason)` or `manifest repo@digest[tags] (reason)`. */
export function deletionLine(d: Decision): string {
  if (d.action === 'delete-tag') return `tag ${d.repository}:${d.tag}@${d.digest} (${d.reason})`;
  if (d.action === 'delete-manifest')
    return `manifest ${d.repository}@${d.digest}[${d.tags.join(',')}] (${d.reason})`;
  return `keep?! ${d.repository}@${d.digest}`;
}

/** Keeps as `repo:tag` (or `repo@digest` when untagged) → reason. */
export function keepMap(p: Plan): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of p.keeps) {
    if (k.action !== 'keep') throw new Error(`not a keep: ${k.action}`);
    out[k.tag === undefined ? `${k.repository}@${k.digest}` : `${k.repository}:${k.tag}`] = k.reason;
  }
  return out;
}

/** One table case of plan(): the input and everything expected of the result. */
export interface Case {
  /** Manifests in {@link arts} notation, or as artifacts. */
  artifacts: string | Artifact[];
  rules: Partial<RetentionRules>;
  repositories?: PlanInput['repositories'];
  maxDeletions?: number;
  /** Every deletion, in plan order (see deletionLine). */
  deleted: string[];
  /** Every keep and its reason (see keepMap). */
  kept: Record<string, string>;
  evaluated?: number;
  stoppedAtLimit?: boolean;
  bytesFreed?: number;
}

/** Runs a table case and checks every expectation it states. */
export function check(c: Case): void {
  const result = plan(
    input(typeof c.artifacts === 'string' ? arts(c.artifacts) : c.artifacts, {
      rules: rules(c.rules),
      ...(c.repositories === undefined ? {} : { repositories: c.repositories }),
      ...(c.maxDeletions === undefined ? {} : { maxDeletions: c.maxDeletions }),
    }),
  );
  expect(result.deletions.map(deletionLine)).toEqual(c.deleted);
  expect(keepMap(result)).toEqual(c.kept);
  expect(result.stoppedAtLimit).toBe(c.stoppedAtLimit ?? false);
  if (c.evaluated !== undefined) expect(result.evaluated).toBe(c.evaluated);
  if (c.bytesFreed !== undefined) expect(result.bytesFreed).toBe(c.bytesFreed);
}

/** A fake registry's reading of any manifest: a plain single-platform image that refers to nothing. */
export const plainImage = async (): Promise<ManifestFacts> => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  children: [],
});
