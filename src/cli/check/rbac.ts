import { describeKubeError, httpStatus } from '../errors.ts';
import { GROUP, KINDS } from '../kinds.ts';
import type { Kube } from '../kube.ts';
import type { OperatorTarget } from './operator.ts';
import { type CheckLine, failed, ok, skipped } from './report.ts';

/** One thing the operator must be allowed to do. */
export interface Permission {
  group: string;
  resource: string;
  subresource?: string;
  verb: string;
  /** Undefined: cluster-wide (every namespace, or a cluster-scoped resource). */
  namespace?: string;
  name?: string;
}

/**
 * What the operator's ServiceAccount needs, as the chart grants it (deploy/helm/berth/templates/
 * _helpers.tpl berth.operatorRules, berth.clusterReadRules and the leader-election Role): in each
 * watched namespace (or cluster-wide) its kinds, their status, Secrets, ServiceAccounts and Events;
 * Secrets and ServiceAccounts where tokens distribute; Namespaces cluster-wide; its own Lease.
 */
export function requiredPermissions(target: OperatorTarget, leaseName: string | undefined): Permission[] {
  const scopes: (string | undefined)[] = target.watchNamespaces ?? [undefined];
  const out: Permission[] = [];
  const add = (
    group: string,
    resource: string,
    verbs: string[],
    namespace?: string,
    subresource?: string,
  ) => {
    for (const verb of verbs)
      out.push({
        group,
        resource,
        verb,
        ...(namespace ? { namespace } : {}),
        ...(subresource ? { subresource } : {}),
      });
  };
  for (const ns of scopes) {
    for (const k of KINDS) {
      add(GROUP, k.plural, ['get', 'list', 'watch', 'patch'], ns);
      add(GROUP, k.plural, ['patch'], ns, 'status');
    }
    add('', 'secrets', ['get', 'list', 'watch', 'create', 'update', 'delete'], ns);
    add('', 'serviceaccounts', ['get', 'list', 'watch', 'update'], ns);
    add('events.k8s.io', 'events', ['create', 'patch'], ns);
  }
  for (const ns of target.distributionNamespaces ?? []) {
    add('', 'secrets', ['get', 'list', 'watch', 'create', 'update', 'delete'], ns);
    add('', 'serviceaccounts', ['get', 'list', 'watch', 'update'], ns);
  }
  add('', 'namespaces', ['get', 'list', 'watch']);
  if (target.leaderElect && leaseName) {
    add('coordination.k8s.io', 'leases', ['create'], target.namespace);
    for (const verb of ['get', 'update'])
      out.push({
        group: 'coordination.k8s.io',
        resource: 'leases',
        verb,
        namespace: target.namespace,
        name: leaseName,
      });
  }
  return out;
}

/** `patch registrytokens/status in shop`, how a missing permission reads. */
export function describePermission(p: Permission): string {
  const res = `${p.resource}${p.subresource ? `/${p.subresource}` : ''}${p.group && p.group !== GROUP ? `.${p.group}` : ''}`;
  const name = p.name ? ` ${p.name}` : '';
  return `${p.verb} ${res}${name} ${p.namespace ? `in ${p.namespace}` : 'cluster-wide'}`;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

/**
 * Asks the API server, with SubjectAccessReviews, whether the operator's ServiceAccount may do
 * everything in {@link requiredPermissions}. A SelfSubjectAccessReview would answer for the caller,
 * not the operator, so the caller must be allowed to create SubjectAccessReviews; if not, the
 * check is skipped and says so.
 */
export async function checkRbac(
  kube: Kube,
  target: OperatorTarget,
  leaseName: string | undefined,
): Promise<CheckLine> {
  const sa = target.serviceAccount;
  if (!sa)
    return skipped('operator RBAC not checked: no operator Deployment found; pass --service-account NAME');
  const user = `system:serviceaccount:${sa.namespace}:${sa.name}`;
  const groups = ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'];
  const needs = requiredPermissions(target, leaseName);
  let refused: string | undefined;
  const allowed = await mapLimited(needs, 8, async (p) => {
    if (refused) return true;
    try {
      const review = await kube.authorization.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user,
            groups,
            resourceAttributes: {
              group: p.group,
              resource: p.resource,
              verb: p.verb,
              ...(p.subresource ? { subresource: p.subresource } : {}),
              ...(p.namespace ? { namespace: p.namespace } : {}),
              ...(p.name ? { name: p.name } : {}),
            },
          },
        },
      });
      return review.status?.allowed === true;
    } catch (err) {
      refused =
        httpStatus(err) === 403
          ? 'you may not create SubjectAccessReviews (authorization.k8s.io), which checking another identity needs; ask a cluster admin to run berth check'
          : describeKubeError(err, 'create a SubjectAccessReview', kube.server);
      return true;
    }
  });
  if (refused) return skipped(`operator RBAC not checked: ${refused}`);
  const missing = needs.filter((_, i) => !allowed[i]).map(describePermission);
  const scope = target.watchNamespaces ? `in ${target.watchNamespaces.join(', ')}` : 'cluster-wide';
  if (missing.length === 0)
    return ok(
      `ServiceAccount ${sa.namespace}/${sa.name} may do all ${needs.length} things the operator needs (${scope})`,
    );
  const shown =
    missing.slice(0, 6).join('; ') + (missing.length > 6 ? `; and ${missing.length - 6} more` : '');
  return failed(
    `ServiceAccount ${sa.namespace}/${sa.name} may not: ${shown}. The chart grants exactly these (helm upgrade restores them; docs/install.md, "What the operator may do")`,
  );
}
