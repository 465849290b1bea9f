import { createHash } from 'node:crypto';
import { dumpYaml, loadYaml, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { describeKubeError, httpStatus } from '../errors.ts';
import type { Kube } from '../kube.ts';
import { type CheckLine, failed, ok, skipped } from './report.ts';

/**
 * The parts of a CRD that define what the API server serves: names, scope, and each version's
 * schema, printer columns and subresources. Metadata, status and `conversion` (defaulted by the
 * API server) are left out, so a CRD applied from deploy/crds compares equal to its source.
 */
export function servedShape(crd: V1CustomResourceDefinition): unknown {
  // Through client-node's serializer to wire format, so both sides are spelled the same way.
  const wire = parse(dumpYaml(crd)) as {
    spec: {
      group: string;
      scope: string;
      names: Record<string, unknown>;
      versions: Record<string, unknown>[];
    };
  };
  const { group, scope, names, versions } = wire.spec;
  return {
    group,
    scope,
    names,
    versions: versions.map(({ name, served, storage, subresources, additionalPrinterColumns, schema }) => ({
      name,
      served,
      storage,
      subresources,
      additionalPrinterColumns,
      schema,
    })),
  };
}

/** JSON with keys sorted at every level: equal shapes give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A short fingerprint of a CRD's served shape, for messages. */
export function shapeHash(crd: V1CustomResourceDefinition): string {
  return `sha256:${createHash('sha256')
    .update(canonicalJson(servedShape(crd)))
    .digest('hex')
    .slice(0, 12)}`;
}

/** The CRDs this berth generates from src/crds, as client-node models. */
async function expectedCrds(): Promise<V1CustomResourceDefinition[]> {
  // Loaded here only: the zod schemas are the largest part of the CLI and only `check` needs them.
  const { allCrds, buildCrd } = await import('../../crds/index.ts');
  return allCrds.map((d) => loadYaml<V1CustomResourceDefinition>(JSON.stringify(buildCrd(d))));
}

const HOW_TO_INSTALL = 'kubectl apply --server-side -f deploy/crds/ (or helm upgrade with crds.enabled)';

/** Each CRD: installed, Established, and serving the schema this berth generates. */
export async function checkCrds(kube: Kube): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  for (const want of await expectedCrds()) {
    const name = want.metadata?.name ?? '';
    let served: V1CustomResourceDefinition;
    try {
      served = await kube.apiextensions.readCustomResourceDefinition({ name });
    } catch (err) {
      if (httpStatus(err) === 404) lines.push(failed(`CRD ${name} is not installed: ${HOW_TO_INSTALL}`));
      else if (httpStatus(err) === 403)
        lines.push(skipped(`CRD ${name} not checked: you may not read CustomResourceDefinitions (RBAC)`));
      else lines.push(failed(describeKubeError(err, `read CRD ${name}`, kube.server)));
      continue;
    }
    const established = served.status?.conditions?.find((c) => c.type === 'Established');
    if (established?.status !== 'True') {
      lines.push(
        failed(
          `CRD ${name} is not Established (${established?.reason ?? 'no condition'}): ${established?.message ?? 'kubectl describe crd'}`,
        ),
      );
      continue;
    }
    const have = shapeHash(served);
    const expected = shapeHash(want);
    lines.push(
      have === expected
        ? ok(`CRD ${name} is established and current (${have})`)
        : failed(
            `CRD ${name} differs from this berth's (served ${have}, expected ${expected}): ${HOW_TO_INSTALL}, ` +
              'or use the berth CLI of the installed version',
          ),
    );
  }
  return lines;
}
