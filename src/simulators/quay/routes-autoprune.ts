import type { SimRequest, SimResponse } from '../core/server.ts';
import { jsonBody, type QuaySimContext } from './context.ts';
import { isActive, newUuid, type SimPolicy, type SimRepository } from './state.ts';

const AGE = /^([0-9]+)([smhdwy])$/;
const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** Validates a policy body as endpoints/api/policy.py does; returns the policy fields. */
function parsePolicy(ctx: QuaySimContext, raw: unknown): Omit<SimPolicy, 'uuid'> {
  const body = jsonBody(ctx, raw);
  const { method, value } = body;
  if (method !== 'number_of_tags' && method !== 'creation_date')
    throw ctx.errors.invalidRequest('Invalid method provided');
  if (method === 'number_of_tags' && !(typeof value === 'number' && Number.isInteger(value) && value > 0))
    throw ctx.errors.invalidRequest('Invalid value given for method number_of_tags');
  if (method === 'creation_date' && !(typeof value === 'string' && AGE.test(value)))
    throw ctx.errors.invalidRequest('Invalid value given for method creation_date');
  let tagPattern: string | null = null;
  if (body.tagPattern !== undefined && body.tagPattern !== null) {
    // The endpoint strips the pattern before storing (and comparing) it.
    const pattern = typeof body.tagPattern === 'string' ? body.tagPattern.trim() : body.tagPattern;
    if (typeof pattern !== 'string' || pattern === '')
      throw ctx.errors.invalidRequest('tagPattern cannot be empty');
    try {
      new RegExp(pattern);
    } catch {
      throw ctx.errors.invalidRequest('Invalid tagPattern regex');
    }
    tagPattern = pattern;
  }
  const matches = body.tagPatternMatches ?? true;
  if (typeof matches !== 'boolean')
    throw ctx.errors.invalidRequest("'tagPatternMatches' is not of type 'boolean'");
  return { method, value: value as number | string, tagPattern, tagPatternMatches: matches };
}

function policyView(policy: SimPolicy): Record<string, unknown> {
  return {
    uuid: policy.uuid,
    method: policy.method,
    value: policy.value,
    tagPattern: policy.tagPattern,
    tagPatternMatches: policy.tagPatternMatches,
  };
}

function same(a: Omit<SimPolicy, 'uuid'>, b: Omit<SimPolicy, 'uuid'>): boolean {
  return (
    a.method === b.method &&
    a.value === b.value &&
    a.tagPattern === b.tagPattern &&
    a.tagPatternMatches === b.tagPatternMatches
  );
}

/**
 * The five policy routes over one policy map, found per request. As in Quay 3.18
 * (data/model/autoprune.py), a POST identical in method, value, pattern and patternMatches to a
 * policy of the same target is refused with 400, but a PUT is not checked: it can make duplicates.
 */
function policyRoutes(
  ctx: QuaySimContext,
  base: string,
  level: 'namespace' | 'repository',
  policies: (req: SimRequest) => Map<string, SimPolicy>,
): void {
  const { server, errors } = ctx;
  const find = (req: SimRequest): SimPolicy => {
    const policy = policies(req).get(req.params.uuid ?? '');
    if (!policy) throw errors.notFound();
    return policy;
  };
  server.route('GET', base, (req) => ({
    status: 200,
    body: { policies: [...policies(req).values()].map(policyView) },
  }));
  server.route(
    'POST',
    base,
    (req): SimResponse => {
      const map = policies(req);
      const fields = parsePolicy(ctx, req.body);
      if ([...map.values()].some((p) => same(p, fields)))
        throw errors.invalidRequest(
          `Existing policy with same values for this ${level}, duplicate policies are not permitted`,
        );
      const policy = { uuid: newUuid(), ...fields };
      map.set(policy.uuid, policy);
      return { status: 201, body: { uuid: policy.uuid } };
    },
    { creates: true },
  );
  server.route('GET', `${base}:uuid`, (req) => ({ status: 200, body: policyView(find(req)) }));
  server.route('PUT', `${base}:uuid`, (req) => {
    const policy = find(req);
    Object.assign(policy, parsePolicy(ctx, req.body));
    // Quay's handler returns {uuid} but the endpoint is declared 204: the body is dropped.
    return { status: 204 };
  });
  server.route('DELETE', `${base}:uuid`, (req) => {
    const policy = find(req);
    policies(req).delete(policy.uuid);
    return { status: 200, body: { uuid: policy.uuid } };
  });
}

/** Org (org:admin) and repository (repo:admin) auto-prune policies; absent when the feature is off. */
export function registerAutoPruneRoutes(ctx: QuaySimContext): void {
  if (!ctx.settings.autoPrune) return;
  policyRoutes(
    ctx,
    '/organization/:org/autoprunepolicy/',
    'namespace',
    (req) => ctx.access.orgAdmin(req, req.params.org ?? '').policies,
  );
  policyRoutes(
    ctx,
    '/repository/:ns/:repo/autoprunepolicy/',
    'repository',
    (req) =>
      ctx.access.existingRepository(req, req.params.ns ?? '', req.params.repo ?? '', 'admin').repo.policies,
  );
}

/** Applies one policy to a repository like Quay's autoprune worker; returns the pruned tag names. */
function prune(repo: SimRepository, policy: SimPolicy, now: number): string[] {
  const pattern = policy.tagPattern === null ? undefined : new RegExp(policy.tagPattern);
  const candidates = repo.tags
    .filter((t) => isActive(t, now) && !t.immutable)
    .filter((t) => pattern === undefined || pattern.test(t.name) === policy.tagPatternMatches)
    .sort((a, b) => b.start - a.start);
  let doomed: typeof candidates;
  if (policy.method === 'number_of_tags') doomed = candidates.slice(Number(policy.value));
  else {
    const match = AGE.exec(String(policy.value));
    const age = Number(match?.[1] ?? 0) * (UNIT_MS[match?.[2] ?? 's'] ?? 1000);
    doomed = candidates.filter((t) => t.start < now - age);
  }
  for (const tag of doomed) tag.end = now;
  return doomed.map((t) => t.name);
}

/** One pass of the autoprune worker over every organization: what it pruned, as `org/repo:tag`. */
export function runAutoPrune(ctx: QuaySimContext): string[] {
  const now = ctx.now();
  const pruned: string[] = [];
  for (const org of ctx.state.organizations.values())
    for (const repo of org.repositories.values())
      for (const policy of [...org.policies.values(), ...repo.policies.values()])
        for (const tag of prune(repo, policy, now)) pruned.push(`${org.name}/${repo.name}:${tag}`);
  return pruned;
}
