// Tenants as a platform team sets them up: each team gets a namespace and the built-in `edit` role
// in it, which the chart's aggregated ClusterRoles extend with the berth kinds. Tests that prove
// what one team can and cannot do to another act through these identities, never as admin.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { loadKubeConfig, mintServiceAccountKubeconfig } from '../../src/dev/kubeconfig.ts';
import { render } from './chart-render.ts';
import { eventually, statusOf, uniqueName } from './helpers.ts';

/** The release the roles are rendered for: the chart's default install, so the names users see. */
const RELEASE = 'berth';
const RELEASE_NAMESPACE = 'berth-system';
/** Whose fields the roles are: several test files apply the same objects under this one manager. */
const FIELD_MANAGER = 'berth-tenant-tests';
/** The ServiceAccount each tenant acts as. */
const SERVICE_ACCOUNT = 'tenant';

/** A team with exactly the chart's aggregated `edit` role in its own namespace, as a ServiceAccount. */
export interface Tenant {
  /** The team's namespace, where its RoleBinding to `edit` is. */
  namespace: string;
  /** The ServiceAccount's name in that namespace. */
  serviceAccount: string;
  /** The user name the API server sees (`system:serviceaccount:<namespace>:<name>`). */
  user: string;
  /** A kubeconfig that authenticates as the ServiceAccount with a TokenRequest token. */
  kubeConfig: KubeConfig;
  /** Its file, for the CLI or kubectl. */
  kubeconfigFile: string;
  /** Clients acting as the tenant. */
  core: CoreV1Api;
  custom: CustomObjectsApi;
  rbac: RbacAuthorizationV1Api;
}

/** Options of {@link createTenant}. */
export interface TenantOptions {
  /** Labels of the tenant's namespace (what registries select namespaces by). */
  labels?: Record<string, string>;
  /** Annotations of the tenant's namespace. */
  annotations?: Record<string, string>;
}

/** The chart's aggregated ClusterRoles, as `helm template` renders them with default values. */
async function aggregatedRoles() {
  const objects = await render(RELEASE, RELEASE_NAMESPACE, [
    '--show-only',
    'templates/aggregated-roles.yaml',
  ]);
  if (objects.length === 0 || objects.some((o) => o.kind !== 'ClusterRole'))
    throw new Error('the chart rendered no aggregated ClusterRoles with default values');
  return objects;
}

/**
 * Applies the chart's aggregated ClusterRoles (deploy/helm/berth/templates/aggregated-roles.yaml,
 * rendered by `helm template`) to the cluster. Server-side apply under one field manager with
 * force makes it idempotent and safe when several test files call it at once; the roles are
 * cluster-scoped and shared by the whole run, so they are never deleted.
 */
export async function installTenantRoles(admin: KubeConfig): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(admin);
  for (const role of await aggregatedRoles())
    await api.patch(role, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
}

/**
 * Whether the API server lets the tenant create a RegistryToken in its namespace, asked by a
 * dry-run create (nothing is stored). 422 counts as allowed: authorization comes before
 * validation, so a schema that changes under the probe does not make RBAC look absent.
 */
async function mayCreateToken(tenant: Tenant): Promise<boolean> {
  try {
    await tenant.custom.createNamespacedCustomObject({
      ...REGISTRY_TOKEN,
      namespace: tenant.namespace,
      dryRun: 'All',
      body: {
        apiVersion: `${REGISTRY_TOKEN.group}/${REGISTRY_TOKEN.version}`,
        kind: REGISTRY_TOKEN.kind,
        metadata: { name: 'rbac-probe' },
        spec: { registryRef: { name: 'probe' }, scopes: [{ repository: 'probe/*', actions: ['pull'] }] },
      },
    });
    return true;
  } catch (err) {
    if (statusOf(err) === 422) return true;
    if (statusOf(err) === 403) return false;
    throw err;
  }
}

/**
 * Creates a namespace (labels optional), a ServiceAccount in it bound by a RoleBinding to the
 * built-in ClusterRole `edit` (which aggregates the chart's berth rules), and a kubeconfig for it.
 * Returns once the aggregated rules are effective: kube-controller-manager's clusterrole
 * aggregation and the API server's RBAC cache both lag, so the first tenant of a run would
 * otherwise see 403 for a moment. Needs berth's CRDs (installBerthCrds in berth-crds.ts) and
 * {@link installTenantRoles}.
 */
export async function createTenant(
  admin: KubeConfig,
  prefix: string,
  options: TenantOptions = {},
): Promise<Tenant> {
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const namespace = uniqueName(prefix);
  await core.createNamespace({
    body: {
      metadata: {
        name: namespace,
        ...(options.labels ? { labels: options.labels } : {}),
        ...(options.annotations ? { annotations: options.annotations } : {}),
      },
    },
  });
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: SERVICE_ACCOUNT } } });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name: `${SERVICE_ACCOUNT}-edit` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace }],
    },
  });
  const file = join(await mkdtemp(join(tmpdir(), 'berth-tenant-')), 'kubeconfig');
  const kubeConfig = loadKubeConfig(
    await mintServiceAccountKubeconfig(admin, namespace, SERVICE_ACCOUNT, file),
  );
  const tenant: Tenant = {
    namespace,
    serviceAccount: SERVICE_ACCOUNT,
    user: `system:serviceaccount:${namespace}:${SERVICE_ACCOUNT}`,
    kubeConfig,
    kubeconfigFile: file,
    core: kubeConfig.makeApiClient(CoreV1Api),
    custom: kubeConfig.makeApiClient(CustomObjectsApi),
    rbac: kubeConfig.makeApiClient(RbacAuthorizationV1Api),
  };
  await eventually(() => mayCreateToken(tenant), {
    what: `${tenant.user} allowed to create RegistryTokens (are the CRDs and installTenantRoles in place, and does kube-controller-manager run clusterrole-aggregation?)`,
  });
  return tenant;
}
