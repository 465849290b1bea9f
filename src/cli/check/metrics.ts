import { describeKubeError, httpStatus } from '../errors.ts';
import type { Kube } from '../kube.ts';
import { type CheckLine, failed, ok, skipped } from './report.ts';

/** The metrics port's name in the chart's Service. */
export const METRICS_PORT = 'http-metrics';

/** What a /metrics page says about berth: how many berth series, and whether this replica leads. */
export function readMetrics(text: string): { series: number; leading: boolean | undefined } {
  const lines = text.split('\n').filter((l) => l.startsWith('berth_'));
  const leader = lines.find((l) => l.startsWith('berth_leader_election_master_status'));
  return {
    series: lines.length,
    leading: leader === undefined ? undefined : /\s1(\.0+)?$/.test(leader.trim()),
  };
}

function verdict(source: string, text: string): CheckLine {
  const { series, leading } = readMetrics(text);
  if (series === 0)
    return failed(`${source} answers, but with no berth_ metrics: is it berth's metrics port?`);
  const lead =
    leading === undefined
      ? ''
      : leading
        ? '; the replica that answered leads'
        : '; the replica that answered is a follower';
  return ok(`metrics: ${source} serves ${series} berth_ series${lead}`);
}

/**
 * /metrics is reachable: at `--metrics-url` directly when given (an operator outside the
 * cluster), else through the API server's service proxy to the chart's metrics Service (port
 * `http-metrics`), which needs `get services/proxy` in the operator namespace.
 */
export async function checkMetrics(
  kube: Kube,
  namespace: string,
  options: { url?: string | undefined; fetchTimeoutMs?: number },
): Promise<CheckLine> {
  const timeout = options.fetchTimeoutMs ?? 5_000;
  if (options.url) {
    try {
      const res = await fetch(options.url, { signal: AbortSignal.timeout(timeout) });
      if (!res.ok) return failed(`metrics: ${options.url} answered ${res.status}`);
      return verdict(options.url, await res.text());
    } catch (err) {
      return failed(`metrics: cannot read ${options.url}: ${(err as Error).message}`);
    }
  }
  let service: string | undefined;
  try {
    const services = await kube.core.listNamespacedService({
      namespace,
      labelSelector: 'app.kubernetes.io/name=berth',
    });
    service = services.items.find((s) => s.spec?.ports?.some((p) => p.name === METRICS_PORT))?.metadata?.name;
  } catch (err) {
    if (httpStatus(err) === 403)
      return skipped(`metrics not checked: you may not list Services in ${namespace} (RBAC)`);
    return failed(describeKubeError(err, `list Services in ${namespace}`, kube.server));
  }
  if (!service) {
    return skipped(
      `metrics not checked: no Service labelled app.kubernetes.io/name=berth with a port ${METRICS_PORT} in ${namespace} ` +
        '(chart value metrics.service.enabled); pass --metrics-url to read one directly',
    );
  }
  const source = `Service ${namespace}/${service} (through the API server)`;
  try {
    const text = await kube.core.connectGetNamespacedServiceProxyWithPath({
      namespace,
      name: `${service}:${METRICS_PORT}`,
      path: 'metrics',
    });
    return verdict(source, String(text));
  } catch (err) {
    const code = httpStatus(err);
    if (code === 403)
      return skipped(`metrics not checked: you may not get services/proxy in ${namespace} (RBAC)`);
    if (code === 503)
      return failed(
        `metrics: ${source} has no ready endpoint: the operator's Pods are not ready (kubectl -n ${namespace} get pods)`,
      );
    return failed(`metrics: ${describeKubeError(err, `read /metrics of ${source}`, kube.server)}`);
  }
}
