import type { V1Deployment } from '@kubernetes/client-node';
import { describeKubeError, httpStatus } from '../errors.ts';
import { humanDuration, timeOf } from '../format/time.ts';
import type { Kube } from '../kube.ts';
import { type CheckLine, failed, ok, skipped } from './report.ts';

/** The labels the chart puts on the operator's Deployment and metrics Service. */
export const OPERATOR_SELECTOR = 'app.kubernetes.io/name=berth,app.kubernetes.io/component=operator';

/** The Lease names tried when neither a flag nor the Deployment names one: the chart's, the binary's default. */
export const DEFAULT_LEASE_NAMES = ['berth', 'berth-operator'];

/** What `berth check` knows about the operator it checks. */
export interface OperatorTarget {
  namespace: string;
  deployment?: V1Deployment;
  /** Lease names to try, in order. */
  leaseNames: string[];
  /** False when the Deployment runs with --leader-elect=false. */
  leaderElect: boolean;
  serviceAccount?: { namespace: string; name: string };
  /** The operator's --namespaces (undefined: every namespace) and --distribution-namespaces. */
  watchNamespaces?: string[];
  distributionNamespaces?: string[];
}

/** The value of `--flag=value` or `--flag value` in an argument list. */
export function flagValue(args: readonly string[], flag: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
    if (a === flag) return args[i + 1];
  }
  return undefined;
}

const list = (v: string | undefined) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Finds the operator: the Deployment the chart installs (by its labels) in the operator namespace,
 * and from its Pod template the ServiceAccount, Lease name and watched namespaces. Flags win over
 * what the Deployment says; without a Deployment (an operator run elsewhere) only flags count.
 */
export async function discoverOperator(
  kube: Kube,
  namespace: string,
  flags: { leaseName?: string | undefined; serviceAccount?: string | undefined },
): Promise<{ target: OperatorTarget; lines: CheckLine[] }> {
  const lines: CheckLine[] = [];
  let deployment: V1Deployment | undefined;
  try {
    const found = await kube.apps.listNamespacedDeployment({ namespace, labelSelector: OPERATOR_SELECTOR });
    deployment = found.items[0];
    if (found.items.length > 1)
      lines.push(
        skipped(
          `${found.items.length} berth Deployments in ${namespace}; checking ${deployment?.metadata?.name}`,
        ),
      );
  } catch (err) {
    lines.push(
      httpStatus(err) === 403
        ? skipped(`operator Deployment not looked for: you may not list Deployments in ${namespace} (RBAC)`)
        : failed(describeKubeError(err, `list Deployments in ${namespace}`, kube.server)),
    );
  }
  const pod = deployment?.spec?.template.spec;
  const container =
    pod?.containers.find((c) => (c.args ?? []).some((a) => a.startsWith('--'))) ?? pod?.containers[0];
  const args = container?.args ?? [];
  const leaseFromArgs = flagValue(args, '--leader-election-id');
  const sa = flags.serviceAccount ?? (deployment ? (pod?.serviceAccountName ?? 'default') : undefined);
  const target: OperatorTarget = {
    namespace,
    leaseNames: flags.leaseName ? [flags.leaseName] : leaseFromArgs ? [leaseFromArgs] : DEFAULT_LEASE_NAMES,
    leaderElect: flagValue(args, '--leader-elect') !== 'false',
    ...(deployment ? { deployment } : {}),
    ...(sa
      ? {
          serviceAccount: sa.includes('/')
            ? { namespace: sa.slice(0, sa.indexOf('/')), name: sa.slice(sa.indexOf('/') + 1) }
            : { namespace, name: sa },
        }
      : {}),
  };
  const watch = list(flagValue(args, '--namespaces'));
  if (watch?.length) target.watchNamespaces = watch;
  const distribution = list(flagValue(args, '--distribution-namespaces'));
  if (distribution?.length) target.distributionNamespaces = distribution;

  if (deployment) {
    const name = deployment.metadata?.name;
    const want = deployment.spec?.replicas ?? 1;
    const ready = deployment.status?.readyReplicas ?? 0;
    if (want === 0)
      lines.push(
        failed(
          `operator Deployment ${namespace}/${name} is scaled to 0: kubectl -n ${namespace} scale deployment ${name} --replicas=2`,
        ),
      );
    else if (ready === 0)
      lines.push(
        failed(
          `operator Deployment ${namespace}/${name} has no ready replica (0/${want}): kubectl -n ${namespace} describe deployment ${name}; kubectl -n ${namespace} logs deployment/${name}`,
        ),
      );
    else lines.push(ok(`operator Deployment ${namespace}/${name}: ${ready}/${want} replicas ready`));
  } else if (!lines.some((l) => l.result !== 'ok')) {
    lines.push(
      skipped(
        `no operator Deployment labelled ${OPERATOR_SELECTOR} in ${namespace} (installed elsewhere? --operator-namespace); going by the Lease`,
      ),
    );
  }
  return { target, lines };
}

/** Slack for clocks of the operator and this machine that disagree a little. */
const CLOCK_SKEW_MS = 5_000;

/** A leader holds the Lease and renewed it within the lease duration; also says which Lease was found. */
export async function checkLeader(
  kube: Kube,
  target: OperatorTarget,
  nowMs: number,
): Promise<{ line: CheckLine; leaseName?: string }> {
  const { namespace } = target;
  if (!target.leaderElect)
    return { line: skipped('leader election is off (--leader-elect=false): no Lease to check') };
  for (const name of target.leaseNames) {
    const line = await leaseLine(kube, namespace, name, nowMs);
    if (line) return { line, leaseName: name };
  }
  return {
    line: failed(
      `no Lease ${target.leaseNames.join(' or ')} in ${namespace}: the operator is not running there ` +
        '(install it: docs/install.md; or pass --operator-namespace / --lease-name)',
    ),
  };
}

/** The verdict on one Lease, or undefined when it does not exist. */
async function leaseLine(
  kube: Kube,
  namespace: string,
  name: string,
  nowMs: number,
): Promise<CheckLine | undefined> {
  let lease: Awaited<ReturnType<Kube['coordination']['readNamespacedLease']>>;
  try {
    lease = await kube.coordination.readNamespacedLease({ namespace, name });
  } catch (err) {
    if (httpStatus(err) === 404) return undefined;
    if (httpStatus(err) === 403)
      return skipped(`leader not checked: you may not read Lease ${namespace}/${name} (RBAC)`);
    return failed(describeKubeError(err, `read Lease ${namespace}/${name}`, kube.server));
  }
  const holder = lease.spec?.holderIdentity;
  const renewed = timeOf(lease.spec?.renewTime as Date | undefined);
  const durationMs = (lease.spec?.leaseDurationSeconds ?? 15) * 1_000;
  if (!holder) {
    return failed(
      `no leader: Lease ${namespace}/${name} has no holder (released at shutdown, or no replica can take it): kubectl -n ${namespace} get pods; kubectl -n ${namespace} logs deployment/<operator>`,
    );
  }
  const age = renewed === undefined ? Number.POSITIVE_INFINITY : nowMs - renewed;
  if (age > durationMs + CLOCK_SKEW_MS) {
    const when = renewed === undefined ? 'never renewed it' : `last renewed it ${humanDuration(age)} ago`;
    return failed(
      `leader ${holder} ${when} (lease duration ${humanDuration(durationMs)}): the operator is down or cannot reach the API server; kubectl -n ${namespace} logs deployment/<operator>`,
    );
  }
  return ok(
    `leader ${holder} holds Lease ${namespace}/${name}, renewed ${humanDuration(Math.max(0, age))} ago`,
  );
}
