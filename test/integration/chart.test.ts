// The Helm chart (deploy/helm/berth): helm lint, helm template with defaults and with every option
// on, the values schema's strictness, a server-side dry run of everything it renders against the
// real kube-apiserver in a namespace that enforces Pod Security `restricted`, and its RBAC in
// practice: the operator, running as the chart's ServiceAccount with nothing but the chart's
// rules, reconciles a ContainerRegistry, a distributed RegistryToken and a CleanupPolicy, holds its
// Lease, and is refused what the chart does not grant.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  type KubeConfig,
  RbacAuthorizationV1Api,
  type V1ResourceAttributes,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isMap, parse, parseDocument, type YAMLMap } from 'yaml';
import { registeredControllers } from '../../src/composition.ts';
import { parseConfig } from '../../src/config.ts';
import { CLEANUP_POLICY } from '../../src/controllers/cleanup-policy/controller.ts';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { CONTAINER_REGISTRY } from '../../src/controllers/shared/resources.ts';
import { binaryPaths, repoRoot } from '../../src/dev/binaries.ts';
import { loadKubeConfig, mintServiceAccountKubeconfig } from '../../src/dev/kubeconfig.ts';
import { createMetrics } from '../../src/metrics.ts';
import { startOperator } from '../../src/operator.ts';
import { installBerthCrds } from './berth-crds.ts';
import { CHART, helm, helmFails, type Manifest, render } from './chart-render.ts';
import { adminKubeConfig, eventually, statusOf, testLogger, uniqueName } from './helpers.ts';
import { providerRegistries } from './provider-registries.ts';
import { type ProviderStack, startProviderStack } from './stack.ts';

const execFileAsync = promisify(execFile);
const ALL_VALUES = join(CHART, 'ci', 'all-values.yaml');
const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
}

interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    serviceAccountName: string;
    terminationGracePeriodSeconds: number;
    securityContext: Record<string, unknown>;
    affinity?: Record<string, unknown>;
    topologySpreadConstraints?: unknown[];
    volumes: { name: string; emptyDir?: unknown }[];
    containers: {
      image: string;
      args: string[];
      env: { name: string; value?: string }[];
      ports: { name: string; containerPort: number }[];
      livenessProbe: { httpGet: { path: string; port: string } };
      readinessProbe: { httpGet: { path: string; port: string } };
      resources: unknown;
      securityContext: Record<string, unknown>;
      volumeMounts: { name: string; mountPath: string }[];
    }[];
  };
}

// ---------------------------------------------------------------------------------------------
// kubectl

let kubectlBin = '';

/** Runs kubectl against the test cluster as its admin; resolves stdout and stderr. */
async function kubectl(args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(kubectlBin, ['--kubeconfig', inject('kubeconfig'), ...args], {
      maxBuffer: 32 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed:\n${e.stderr || e.message}`);
  }
}

/** Writes objects to a YAML file for kubectl. */
async function manifestFile(objects: Manifest[]): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'berth-chart-')), 'objects.yaml');
  await writeFile(file, objects.map((o) => JSON.stringify(o)).join('\n---\n'));
  return file;
}

/** Server-side apply; `dryRun` sends everything through admission and validation, stores nothing. */
async function apply(objects: Manifest[], dryRun: boolean): Promise<string> {
  const { stderr } = await kubectl([
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=berth-chart-test',
    ...(dryRun ? ['--dry-run=server'] : []),
    '-f',
    await manifestFile(objects),
  ]);
  return stderr;
}

// ---------------------------------------------------------------------------------------------
// reading rendered objects

const find = (objects: Manifest[], kind: string, name?: string, namespace?: string): Manifest[] =>
  objects.filter(
    (o) =>
      o.kind === kind &&
      (name === undefined || o.metadata.name === name) &&
      (namespace === undefined || o.metadata.namespace === namespace),
  );

function one(objects: Manifest[], kind: string, name?: string, namespace?: string): Manifest {
  const found = find(objects, kind, name, namespace);
  if (found.length !== 1)
    throw new Error(`expected one ${kind} ${name ?? ''} ${namespace ?? ''}, found ${found.length}`);
  return found[0] as Manifest;
}

const podTemplate = (objects: Manifest[]) =>
  (one(objects, 'Deployment').spec as { template: PodTemplate }).template;
const container = (objects: Manifest[]) =>
  podTemplate(objects).spec.containers[0] as PodTemplate['spec']['containers'][0];
const rulesOf = (role: Manifest) => (role.rules ?? []) as Rule[];

/**
 * Rules as `group/resource[names]` -> sorted verbs (the core group written as `core`), so that
 * the expected rights read as a table and the order and grouping of rules do not matter.
 */
function ruleTable(rules: Rule[]): Record<string, string[]> {
  const table = new Map<string, Set<string>>();
  for (const rule of rules)
    for (const group of rule.apiGroups ?? [''])
      for (const resource of rule.resources ?? []) {
        const names = rule.resourceNames ? `[${[...rule.resourceNames].sort().join(',')}]` : '';
        const key = `${group || 'core'}/${resource}${names}`;
        const verbs = table.get(key) ?? new Set<string>();
        for (const verb of rule.verbs) verbs.add(verb);
        table.set(key, verbs);
      }
  return Object.fromEntries([...table].sort().map(([k, v]) => [k, [...v].sort()]));
}

/** What the operator does to its own kinds and in the namespaces it reconciles (see _helpers.tpl). */
const OPERATOR_RULES = {
  'berth.dev/cleanuppolicies': ['get', 'list', 'patch', 'watch'],
  'berth.dev/cleanuppolicies/status': ['patch'],
  'berth.dev/containerregistries': ['get', 'list', 'patch', 'watch'],
  'berth.dev/containerregistries/status': ['patch'],
  'berth.dev/registrytokens': ['get', 'list', 'patch', 'watch'],
  'berth.dev/registrytokens/status': ['patch'],
  'core/secrets': ['create', 'delete', 'get', 'list', 'update', 'watch'],
  'core/serviceaccounts': ['get', 'list', 'update', 'watch'],
  'events.k8s.io/events': ['create', 'patch'],
};

/** The one read the RegistryToken controller makes in all namespaces whatever --namespaces says. */
const CLUSTER_READ_RULES = {
  'core/namespaces': ['list', 'watch'],
};

/** Both tables in one, as the ClusterRole of cluster-wide mode holds them. */
function merged(...tables: Record<string, string[]>[]): Record<string, string[]> {
  const out = new Map<string, Set<string>>();
  for (const t of tables)
    for (const [k, v] of Object.entries(t)) out.set(k, new Set([...(out.get(k) ?? []), ...v]));
  return Object.fromEntries([...out].sort().map(([k, v]) => [k, [...v].sort()]));
}

const leaseRules = (name: string) => ({
  'coordination.k8s.io/leases': ['create'],
  [`coordination.k8s.io/leases[${name}]`]: ['get', 'update'],
});

const packageVersion = (
  JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
).version;

/** Seconds of a duration such as 30s or 1m30s (the chart’s values). */
function seconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1 };
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/([0-9]+)([hms])/g))
    total += Number(n) * (units[unit ?? 's'] ?? 0);
  return total;
}

/**
 * Every value of values.yaml with its `# --` comment (the comment of a map documents the whole map,
 * as helm-docs reads it; one before the first key of a map is the map's in YAML's eyes).
 */
function documentedValues(): { key: string; comment: string }[] {
  const doc = parseDocument(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
  const out: { key: string; comment: string }[] = [];
  const docOf = (comment: string | null | undefined) => {
    const lines = (comment ?? '').split('\n');
    const start = lines.findLastIndex((l) => /^ ?--/.test(l));
    return start < 0
      ? ''
      : lines
          .slice(start)
          .join(' ')
          .replace(/^ ?-- ?/, '')
          .trim();
  };
  const walk = (map: YAMLMap, prefix: string) =>
    map.items.forEach((pair, index) => {
      const key = `${prefix}${String((pair.key as { value: unknown }).value)}`;
      const comment =
        docOf((pair.key as { commentBefore?: string }).commentBefore) ||
        (index === 0 ? docOf(map.commentBefore) : '');
      if (isMap(pair.value) && pair.value.items.length > 0 && !comment) walk(pair.value, `${key}.`);
      else out.push({ key, comment });
    });
  walk(doc.contents as YAMLMap, '');
  return out;
}

beforeAll(async () => {
  kubectlBin = (await binaryPaths()).kubectl;
});

// ---------------------------------------------------------------------------------------------

describe('the berth chart', () => {
  it('carries the operator version as appVersion', () => {
    const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as {
      apiVersion: string;
      appVersion: string;
    };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.appVersion).toBe(packageVersion);
  });

  it('documents every value in values.yaml and in the README table', () => {
    const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
    const values = documentedValues();
    expect(values.length).toBeGreaterThan(50);
    for (const { key, comment } of values) {
      expect(comment, `values.yaml: ${key} has no "# --" comment`).not.toBe('');
      const row = new RegExp(`^\\| \`${key.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\` +\\|`, 'm');
      expect(readme, `README.md: ${key} is not in the values table`).toMatch(row);
    }
  });

  it('passes helm lint --strict with defaults and with every option on', async () => {
    await helm(['lint', '--strict', CHART]);
    await helm(['lint', '--strict', CHART, '--values', ALL_VALUES]);
  });

  it.each([
    ['an unknown top-level key', ['--set', 'replicas=3'], 'replicas'],
    ['an unknown nested key', ['--set', 'image.tagg=1.0'], 'tagg'],
    ['an unknown key three levels down', ['--set', 'metrics.serviceMonitor.intervall=1m'], 'intervall'],
    ['an unknown resource name', ['--set', 'resources.requests.memroy=1Gi'], 'memroy'],
    [
      'an unknown key inside a Kubernetes type',
      ['--set', 'affinity.podAntiAffinity.preferred=x'],
      'preferred',
    ],
    ['an unknown key in a list item', ['--set', 'tolerations[0].keys=a'], 'keys'],
    ['a log level the operator does not know', ['--set', 'logLevel=loud'], 'logLevel'],
    ['workers out of range', ['--set', 'workers=0'], 'workers'],
    ['a duration the operator cannot parse', ['--set', 'leaderElection.leaseDuration=15'], 'leaseDuration'],
    ['a namespace that is no DNS label', ['--set', 'watchNamespaces[0]=Team_A'], 'watchNamespaces'],
    [
      'an alert name that does not exist',
      ['--set', 'metrics.prometheusRule.disabledAlerts[0]=Nope'],
      'disabledAlerts',
    ],
  ])('rejects %s', async (_what, args, mentioned) => {
    const error = await helmFails(['template', 'berth', CHART, ...args]);
    expect(error).toContain('values don');
    expect(error).toContain(mentioned);
  });

  it('refuses several replicas without leader election', async () => {
    const error = await helmFails(['template', 'berth', CHART, '--set', 'leaderElection.enabled=false']);
    expect(error).toContain('needs leaderElection.enabled');
    await helm([
      'template',
      'berth',
      CHART,
      '--set',
      'leaderElection.enabled=false',
      '--set',
      'replicaCount=1',
    ]);
  });

  it('refuses a termination grace period that does not cover the shutdown grace period', async () => {
    const grace = (shutdown: string, termination: number) => [
      'template',
      'berth',
      CHART,
      '--set',
      `shutdownGracePeriod=${shutdown}`,
      '--set',
      `terminationGracePeriodSeconds=${termination}`,
    ];
    expect(await helmFails(grace('1m', 60))).toContain(
      'terminationGracePeriodSeconds must be longer than shutdownGracePeriod',
    );
    expect(await helmFails(grace('1h1s', 3601))).toContain('terminationGracePeriodSeconds');
    await helm(grace('1m', 75));
    await helm(grace('1h1s', 3602));
  });

  describe('with default values', () => {
    const namespace = 'berth-system';
    let objects: Manifest[];
    beforeAll(async () => {
      objects = await render('berth', namespace);
    });

    it('renders the operator, its RBAC, the metrics Service, a PDB and the CRDs, nothing else', () => {
      const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
      expect(kinds).toEqual([
        'ClusterRole/berth',
        'ClusterRole/berth-admin',
        'ClusterRole/berth-edit',
        'ClusterRole/berth-view',
        'ClusterRoleBinding/berth',
        'CustomResourceDefinition/cleanuppolicies.berth.dev',
        'CustomResourceDefinition/containerregistries.berth.dev',
        'CustomResourceDefinition/registrytokens.berth.dev',
        'Deployment/berth',
        'PodDisruptionBudget/berth',
        'Role/berth-leader-election',
        'RoleBinding/berth-leader-election',
        'Service/berth-metrics',
        'ServiceAccount/berth',
      ]);
      for (const o of objects) {
        const clusterScoped = ['ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition'].includes(
          o.kind,
        );
        expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(
          clusterScoped ? undefined : namespace,
        );
      }
    });

    it('carries the generated CRDs unchanged, kept on uninstall', () => {
      for (const crd of find(objects, 'CustomResourceDefinition')) {
        const file = join(repoRoot, 'deploy', 'crds', `${crd.metadata.name}.yaml`);
        const generated = parse(readFileSync(file, 'utf8')) as Manifest;
        expect(crd.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
        expect({ ...crd, metadata: { ...crd.metadata, annotations: undefined } }).toEqual({
          ...generated,
          metadata: { ...generated.metadata, annotations: undefined },
        });
      }
    });

    it('runs two replicas with leader election in the release namespace, probes on the metrics port', () => {
      const deployment = one(objects, 'Deployment');
      expect((deployment.spec as { replicas: number }).replicas).toBe(2);
      const c = container(objects);
      expect(c.image).toBe(`berth:${packageVersion}`);
      expect(c.args).toEqual(
        expect.arrayContaining([
          '--leader-elect=true',
          `--leader-election-namespace=${namespace}`,
          '--leader-election-id=berth',
          '--metrics-addr=0.0.0.0:8080',
          '--log-level=info',
          '--workers=2',
          '--kube-api-qps=0',
          '--kube-api-burst=100',
          '--shutdown-grace-period=30s',
        ]),
      );
      expect(c.args.some((a) => a.startsWith('--namespaces'))).toBe(false);
      expect(c.env).toContainEqual(expect.objectContaining({ name: 'POD_NAMESPACE' }));
      expect(c.ports).toEqual([{ name: 'http-metrics', containerPort: 8080, protocol: 'TCP' }]);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
      expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '192Mi' }, limits: { memory: '384Mi' } });
      expect(c.env).toContainEqual({
        name: 'NODE_OPTIONS',
        value: '--max-old-space-size=128 --max-semi-space-size=2',
      });
      const grace = c.args.find((a) => a.startsWith('--shutdown-grace-period='))?.split('=')[1] ?? '';
      expect(podTemplate(objects).spec.terminationGracePeriodSeconds).toBeGreaterThan(seconds(grace));
    });

    it('runs as the restricted Pod Security Standard asks, with a writable /tmp only', () => {
      const pod = podTemplate(objects).spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const c = container(objects);
      expect(c.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(c.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
      expect(pod.volumes).toEqual([{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }]);
    });

    it('spreads replicas over nodes and keeps one available in a drain', () => {
      const pod = podTemplate(objects).spec;
      const selector = (
        one(objects, 'Deployment').spec as { selector: { matchLabels: Record<string, string> } }
      ).selector.matchLabels;
      expect(pod.affinity).toEqual({
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: {
                topologyKey: 'kubernetes.io/hostname',
                labelSelector: { matchLabels: selector },
              },
            },
          ],
        },
      });
      expect(pod.topologySpreadConstraints).toEqual([
        {
          maxSkew: 1,
          topologyKey: 'kubernetes.io/hostname',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: selector },
        },
      ]);
      expect(one(objects, 'PodDisruptionBudget').spec).toMatchObject({
        minAvailable: 1,
        selector: { matchLabels: selector },
      });
    });

    it('grants exactly what the code uses, cluster-wide, and the Lease only in the release namespace', () => {
      expect(ruleTable(rulesOf(one(objects, 'ClusterRole', 'berth')))).toEqual(
        merged(OPERATOR_RULES, CLUSTER_READ_RULES),
      );
      const binding = one(objects, 'ClusterRoleBinding', 'berth') as Manifest & {
        roleRef: { name: string };
        subjects: unknown[];
      };
      expect(binding.roleRef.name).toBe('berth');
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'berth', namespace }]);
      expect(ruleTable(rulesOf(one(objects, 'Role', 'berth-leader-election', namespace)))).toEqual(
        leaseRules('berth'),
      );
      for (const role of [...find(objects, 'ClusterRole'), ...find(objects, 'Role')])
        for (const rule of rulesOf(role)) {
          expect([...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs]).not.toContain('*');
          expect(rule.verbs).not.toEqual(expect.arrayContaining(['escalate']));
          expect(rule.verbs).not.toEqual(expect.arrayContaining(['bind']));
          expect(rule.verbs).not.toEqual(expect.arrayContaining(['impersonate']));
        }
    });

    it('aggregates view, edit and admin rights on the berth kinds into the built-in roles', () => {
      const view = one(objects, 'ClusterRole', 'berth-view');
      const edit = one(objects, 'ClusterRole', 'berth-edit');
      const admin = one(objects, 'ClusterRole', 'berth-admin');
      expect(view.metadata.labels).toMatchObject({
        'rbac.authorization.k8s.io/aggregate-to-view': 'true',
        'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
        'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
      });
      expect(edit.metadata.labels).toMatchObject({
        'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
        'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
      });
      expect(edit.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).toBeUndefined();
      expect(admin.metadata.labels).toMatchObject({ 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' });
      expect(admin.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-edit']).toBeUndefined();
      const read = ['get', 'list', 'watch'];
      const write = ['create', 'delete', 'deletecollection', 'patch', 'update'];
      expect(ruleTable(rulesOf(view))).toEqual(
        Object.fromEntries(
          ['cleanuppolicies', 'containerregistries', 'registrytokens']
            .flatMap((r) => [r, `${r}/status`])
            .sort()
            .map((r) => [`berth.dev/${r}`, read]),
        ),
      );
      expect(ruleTable(rulesOf(edit))).toEqual({
        'berth.dev/cleanuppolicies': write,
        'berth.dev/registrytokens': write,
      });
      expect(ruleTable(rulesOf(admin))).toEqual({ 'berth.dev/containerregistries': write });
    });

    it('leaves out the CRDs with crds.enabled=false and the keep annotation with crds.keep=false', async () => {
      expect(
        find(await render('berth', namespace, ['--set', 'crds.enabled=false']), 'CustomResourceDefinition'),
      ).toEqual([]);
      for (const crd of find(
        await render('berth', namespace, ['--set', 'crds.keep=false']),
        'CustomResourceDefinition',
      ))
        expect(crd.metadata.annotations).toBeUndefined();
    });

    it('has no PodDisruptionBudget for a single replica, which it would keep from being drained', async () => {
      const single = await render('berth', namespace, [
        '--set',
        'replicaCount=1',
        '--set',
        'leaderElection.enabled=false',
      ]);
      expect(find(single, 'PodDisruptionBudget')).toEqual([]);
      expect(find(single, 'Role')).toEqual([]);
      expect(container(single).args).toContain('--leader-elect=false');
    });
  });

  describe('with every option on (ci/all-values.yaml)', () => {
    const namespace = 'platform';
    let objects: Manifest[];
    beforeAll(async () => {
      objects = await render('ci', namespace, ['--values', ALL_VALUES]);
    });

    it('watches the listed namespaces with a Role in each, and keeps only cluster-wide reads cluster-wide', () => {
      const fullname = 'ci-registry-operator';
      expect(find(objects, 'ClusterRole', fullname)).toEqual([]);
      expect(ruleTable(rulesOf(one(objects, 'ClusterRole', `${fullname}-cluster-reads`)))).toEqual(
        CLUSTER_READ_RULES,
      );
      for (const watched of ['berth-watch-a', 'berth-watch-b']) {
        expect(ruleTable(rulesOf(one(objects, 'Role', fullname, watched)))).toEqual(OPERATOR_RULES);
        const binding = one(objects, 'RoleBinding', fullname, watched) as Manifest & { subjects: unknown[] };
        expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'berth-ci', namespace }]);
      }
      expect(ruleTable(rulesOf(one(objects, 'Role', `${fullname}-distribution`, 'berth-dist-a')))).toEqual({
        'core/secrets': ['create', 'delete', 'get', 'list', 'update'],
        'core/serviceaccounts': ['get', 'list', 'update', 'watch'],
      });
      const leases = find(objects, 'Role').filter((r) => JSON.stringify(r.rules).includes('leases'));
      expect(leases.map((r) => r.metadata.namespace)).toEqual([namespace]);
      expect(ruleTable(rulesOf(leases[0] as Manifest))).toEqual(leaseRules('berth-ci-lease'));
      expect(container(objects).args).toEqual(
        expect.arrayContaining([
          '--namespaces=berth-watch-a,berth-watch-b',
          '--distribution-namespaces=berth-dist-a',
          '--leader-election-id=berth-ci-lease',
          '--shard-selector=berth.dev/shard in (a,b)',
          '--provider-registry-host=registry.invalid:5000',
          '--metrics-addr=0.0.0.0:9090',
          '--identity=$(POD_NAME)',
        ]),
      );
    });

    it('pins the image by digest and keeps its own labels over podLabels', () => {
      const template = podTemplate(objects);
      expect(container(objects).image).toBe(
        'registry.invalid/platform/berth@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
      );
      expect(template.metadata.labels).toMatchObject({
        team: 'platform',
        'app.kubernetes.io/name': 'registry-operator',
      });
      expect(one(objects, 'PodDisruptionBudget').spec).toMatchObject({ maxUnavailable: '34%' });
      expect(one(objects, 'PodDisruptionBudget').spec).not.toHaveProperty('minAvailable');
    });

    it('renders the ServiceMonitor, the NetworkPolicy and a PrometheusRule whose alerts use only exported metrics', () => {
      const monitor = one(objects, 'ServiceMonitor');
      expect(monitor.spec).toMatchObject({
        endpoints: [{ port: 'http-metrics', path: '/metrics', interval: '15s', honorLabels: true }],
      });
      const policy = one(objects, 'NetworkPolicy').spec as { egress: unknown[]; ingress: unknown[] };
      expect(policy.ingress).toHaveLength(1);
      expect(policy.egress).toHaveLength(4);

      const rule = one(objects, 'PrometheusRule').spec as {
        groups: { rules: { alert: string; expr: string; labels: Record<string, string> }[] }[];
      };
      const alerts = rule.groups.flatMap((g) => g.rules);
      expect(alerts.map((a) => a.alert).sort()).toEqual([
        'BerthNoLeader',
        'BerthObjectsStalled',
        'BerthOperatorDown',
        'BerthProviderRateLimited',
        'BerthReconcileErrors',
        'BerthRegistryTokenExpired',
        'BerthRegistryTokenExpiringSoon',
        'BerthRegistryTokenNotRenewed',
        'BerthRegistryTokenRotationFailing',
      ]);
      const exported = new Set(
        createMetrics()
          .registry.getMetricsAsArray()
          .map((m) => m.name),
      );
      for (const alert of alerts) {
        expect(alert.labels).toMatchObject({ team: 'platform' });
        expect(alert.expr).toContain('job="ci-registry-operator-metrics"');
        for (const [metric] of alert.expr.matchAll(/\bberth_[a-z0-9_]+/g))
          expect(exported.has(metric), `${alert.alert} uses ${metric}`).toBe(true);
      }
      expect(alerts.find((a) => a.alert === 'BerthRegistryTokenExpiringSoon')?.expr).toContain('< 7200');
      expect(JSON.stringify(rule)).toContain('{{ $labels.namespace }}/{{ $labels.name }}');
    });
  });

  describe('server-side dry run against the real kube-apiserver, Pod Security restricted', () => {
    let release: string;
    let watched: string[];
    let distribution: string;

    const restricted = {
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'latest',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    };
    const namespaced = () => [
      '--values',
      ALL_VALUES,
      '--set-json',
      `watchNamespaces=${JSON.stringify(watched)}`,
      '--set-json',
      `rbac.distributionNamespaces=${JSON.stringify([distribution])}`,
    ];
    /** Everything but the prometheus-operator kinds, whose CRDs the test cluster does not have. */
    const servable = (objects: Manifest[]) =>
      objects.filter((o) => !o.apiVersion.startsWith('monitoring.coreos.com/'));

    beforeAll(async () => {
      release = uniqueName('chart-dry');
      watched = [uniqueName('chart-watch'), uniqueName('chart-watch')];
      distribution = uniqueName('chart-dist');
      for (const name of [release, ...watched, distribution])
        await core.createNamespace({ body: { metadata: { name, labels: restricted } } });
    });

    it.each([
      ['default values', () => [] as string[]],
      ['every option on, namespaced', namespaced],
      ['every option on, all namespaces', () => ['--values', ALL_VALUES, '--set', 'watchNamespaces=null']],
    ])('accepts every object rendered with %s, without a warning', async (_what, args) => {
      const objects = servable(await render('chart', release, args()));
      const stderr = await apply(objects, true);
      expect(stderr).not.toMatch(/warning/i);
    });

    it.each([
      ['default values', () => [] as string[]],
      ['every option on', namespaced],
    ])('admits the operator Pod (%s) where restricted is enforced', async (_what, args) => {
      const objects = await render('chart', release, args());
      // The ServiceAccount admission plugin wants the ServiceAccount to exist, even for a dry run.
      await apply(find(objects, 'ServiceAccount'), false);
      const template = podTemplate(objects);
      const pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: uniqueName('chart-pod'), namespace: release, labels: template.metadata.labels },
        spec: template.spec,
      };
      const { stdout, stderr } = await kubectl([
        'create',
        '--dry-run=server',
        '-o',
        'name',
        '-f',
        await manifestFile([pod as Manifest]),
      ]);
      expect(stdout.trim()).toBe(`pod/${pod.metadata.name}`);
      expect(stderr).not.toMatch(/warning/i);

      // The namespace really enforces: the same Pod without its security contexts is refused.
      const { securityContext: _, ...loose } = template.spec;
      const unsafe = {
        ...pod,
        metadata: { ...pod.metadata, name: uniqueName('chart-pod') },
        spec: { ...loose, containers: loose.containers.map(({ securityContext: _c, ...rest }) => rest) },
      };
      const refused = await kubectl([
        'create',
        '--dry-run=server',
        '-f',
        await manifestFile([unsafe as unknown as Manifest]),
      ]).then(
        () => '',
        (err: unknown) => (err as Error).message,
      );
      expect(refused).toContain('violates PodSecurity "restricted');
    });
  });

  describe('RBAC in practice: the operator as the chart’s ServiceAccount', () => {
    const created: Manifest[] = [];
    afterAll(async () => {
      for (const o of created.filter((o) => o.kind === 'ClusterRoleBinding'))
        await rbac.deleteClusterRoleBinding({ name: o.metadata.name }).catch(() => undefined);
      for (const o of created.filter((o) => o.kind === 'ClusterRole'))
        await rbac.deleteClusterRole({ name: o.metadata.name }).catch(() => undefined);
    });

    /** Installs the ServiceAccount and RBAC of a render for real; returns a kubeconfig of that ServiceAccount. */
    async function installIdentity(objects: Manifest[], namespace: string): Promise<KubeConfig> {
      const identity = objects.filter((o) =>
        ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind),
      );
      await apply(identity, false);
      created.push(...identity);
      const sa = one(objects, 'ServiceAccount').metadata.name;
      const file = join(await mkdtemp(join(tmpdir(), 'berth-chart-sa-')), 'kubeconfig');
      return loadKubeConfig(await mintServiceAccountKubeconfig(kc, namespace, sa, file));
    }

    /** Whether the ServiceAccount may do this (a SelfSubjectAccessReview with its own token). */
    async function can(as: KubeConfig, attributes: V1ResourceAttributes): Promise<boolean> {
      const review = await as.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: attributes } },
      });
      return review.status?.allowed ?? false;
    }

    describe('namespaced mode', () => {
      let release: string;
      let watched: string;
      let distribution: string;
      let fullname: string;
      let operatorKc: KubeConfig;
      let stack: ProviderStack | undefined;
      afterAll(() => stack?.stop());

      beforeAll(async () => {
        release = uniqueName('chart-rel');
        watched = uniqueName('chart-ns');
        distribution = uniqueName('chart-dist');
        // The distribution namespace takes copies from the watched one, on `default` (ADR 015).
        const consent = {
          'berth.dev/accept-copies-from': watched,
          'berth.dev/accept-service-accounts': 'default',
        };
        for (const name of [release, watched, distribution])
          await core.createNamespace({ body: { metadata: { name, annotations: consent } } });
        await installBerthCrds(kc, watched);
        const name = uniqueName('rel');
        const objects = await render(name, release, [
          '--set',
          'crds.enabled=false',
          '--set',
          'rbac.aggregateToDefaultRoles=false',
          '--set-json',
          `watchNamespaces=["${watched}"]`,
          '--set-json',
          `rbac.distributionNamespaces=["${distribution}"]`,
        ]);
        fullname = one(objects, 'Deployment').metadata.name;
        operatorKc = await installIdentity(objects, release);
        // The RBAC authorizer reads bindings from an informer: wait until they are in effect.
        await eventually(
          () =>
            can(operatorKc, {
              group: 'berth.dev',
              resource: 'registrytokens',
              verb: 'list',
              namespace: watched,
            }),
          { what: 'the chart’s Role in effect' },
        );
        await eventually(() => can(operatorKc, { resource: 'namespaces', verb: 'list' }), {
          what: 'the chart’s ClusterRole in effect',
        });
      });

      it('refuses what the chart does not grant', async () => {
        const denied: V1ResourceAttributes[] = [
          // Writes outside the watched and distribution namespaces, and any Secret read there.
          { resource: 'secrets', verb: 'create', namespace: release },
          { resource: 'secrets', verb: 'get', namespace: 'kube-system' },
          { resource: 'secrets', verb: 'list', namespace: 'kube-system' },
          { resource: 'secrets', verb: 'list' },
          { resource: 'serviceaccounts', verb: 'list' },
          { group: 'berth.dev', resource: 'containerregistries', verb: 'list' },
          { resource: 'serviceaccounts', verb: 'update', namespace: 'default' },
          // Verbs the code never uses.
          { resource: 'secrets', verb: 'patch', namespace: watched },
          { resource: 'secrets', verb: 'deletecollection', namespace: watched },
          { group: 'berth.dev', resource: 'registrytokens', verb: 'create', namespace: watched },
          { group: 'berth.dev', resource: 'containerregistries', verb: 'delete', namespace: watched },
          {
            group: 'berth.dev',
            resource: 'registrytokens',
            subresource: 'status',
            verb: 'update',
            namespace: watched,
          },
          { resource: 'namespaces', verb: 'create' },
          { resource: 'configmaps', verb: 'get', namespace: watched },
          { resource: 'pods', verb: 'list', namespace: watched },
          { resource: 'events', verb: 'create', namespace: watched },
          { group: 'events.k8s.io', resource: 'events', verb: 'create', namespace: distribution },
          // Leases only in the release namespace, and only its own by name.
          { group: 'coordination.k8s.io', resource: 'leases', verb: 'create', namespace: watched },
          {
            group: 'coordination.k8s.io',
            resource: 'leases',
            verb: 'update',
            namespace: release,
            name: 'someone-else',
          },
          { group: 'coordination.k8s.io', resource: 'leases', verb: 'list', namespace: release },
        ];
        for (const attributes of denied)
          expect(await can(operatorKc, attributes), JSON.stringify(attributes)).toBe(false);
        // Secrets are readable only where berth works.
        expect(await can(operatorKc, { resource: 'secrets', verb: 'list', namespace: watched })).toBe(true);
        expect(await can(operatorKc, { resource: 'secrets', verb: 'list', namespace: distribution })).toBe(
          true,
        );
        expect(
          await can(operatorKc, {
            group: 'coordination.k8s.io',
            resource: 'leases',
            verb: 'update',
            namespace: release,
            name: fullname,
          }),
        ).toBe(true);
      });

      it('reconciles a ContainerRegistry, a distributed RegistryToken and a CleanupPolicy, and deletes them', {
        timeout: 180_000,
      }, async () => {
        stack = await startProviderStack(kc, watched, {
          operatorKubeConfig: operatorKc,
          operatorArgs: [`--distribution-namespaces=${distribution}`],
        });
        const quay = providerRegistries(stack.sims.endpoints).quay;
        await core.createNamespacedSecret({
          namespace: watched,
          body: { metadata: { name: 'api-quay' }, stringData: quay.secret },
        });
        const create = (
          type: typeof CONTAINER_REGISTRY,
          kind: string,
          name: string,
          spec: Record<string, unknown>,
        ) =>
          custom.createNamespacedCustomObject({
            ...type,
            namespace: watched,
            body: { apiVersion: 'berth.dev/v1alpha1', kind, metadata: { name }, spec },
          });
        type Obj = {
          metadata: { finalizers?: string[] };
          status?: { conditions?: { type: string; status: string; message: string }[] };
        };
        const read = (type: typeof CONTAINER_REGISTRY, name: string) =>
          custom.getNamespacedCustomObject({ ...type, namespace: watched, name }) as Promise<Obj>;
        const ready = (type: typeof CONTAINER_REGISTRY, name: string) =>
          eventually(
            async () => {
              const o = await read(type, name);
              if (o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return o;
              // The last conditions end up in the timeout's message.
              throw new Error(JSON.stringify(o.status?.conditions ?? []));
            },
            { timeoutMs: 60_000, what: `${type.kind} ${name} Ready` },
          );
        const gone = (type: typeof CONTAINER_REGISTRY, name: string) =>
          eventually(
            () =>
              read(type, name).then(
                () => false,
                (err: unknown) => statusOf(err) === 404,
              ),
            {
              timeoutMs: 60_000,
              what: `${type.kind} ${name} deleted`,
            },
          );

        await create(CONTAINER_REGISTRY, 'ContainerRegistry', 'shop', {
          ...quay.spec,
          allowedNamespaces: { from: 'All' },
        });
        expect((await ready(CONTAINER_REGISTRY, 'shop')).metadata.finalizers).toContain(
          'berth.dev/finalizer',
        );

        // Quay grants a pull robot only repositories that exist (a token that reaches none is not
        // Ready): the repository is there, as it would be once something was pushed.
        stack.sims.quay.addRepository('acme', quay.scope);
        await eventually(
          () => core.readNamespacedServiceAccount({ namespace: distribution, name: 'default' }),
          {
            what: 'ServiceAccount default in the distribution namespace',
          },
        );
        await create(REGISTRY_TOKEN, 'RegistryToken', 'pull', {
          registryRef: { name: 'shop' },
          scopes: [{ repository: quay.scope, actions: ['pull'] }],
          lifetime: '24h',
          distribute: { namespaces: [distribution], serviceAccounts: ['default'] },
        });
        await ready(REGISTRY_TOKEN, 'pull');
        const primary = await core.readNamespacedSecret({ namespace: watched, name: 'pull' });
        const copy = await core.readNamespacedSecret({ namespace: distribution, name: 'pull' });
        expect(copy.data).toEqual(primary.data);
        const listed = async (namespace: string) =>
          (
            (await core.readNamespacedServiceAccount({ namespace, name: 'default' })).imagePullSecrets ?? []
          ).map((e) => e.name);
        expect(await listed(distribution)).toContain('pull');
        expect(await listed(watched)).toContain('pull');

        await create(CLEANUP_POLICY, 'CleanupPolicy', 'prune', {
          registryRef: { name: 'shop' },
          mode: 'Native',
          repositories: { include: ['**'] },
          rules: { keepLast: 3 },
        });
        expect((await ready(CLEANUP_POLICY, 'prune')).metadata.finalizers).toContain('berth.dev/finalizer');

        const events = await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: watched });
        expect(events.items.map((e) => e.reportingController)).toEqual(
          expect.arrayContaining(['berth.dev/container-registry', 'berth.dev/registry-token']),
        );

        await custom.deleteNamespacedCustomObject({ ...CLEANUP_POLICY, namespace: watched, name: 'prune' });
        await gone(CLEANUP_POLICY, 'prune');
        await custom.deleteNamespacedCustomObject({ ...REGISTRY_TOKEN, namespace: watched, name: 'pull' });
        await gone(REGISTRY_TOKEN, 'pull');
        for (const namespace of [watched, distribution]) {
          expect(await core.readNamespacedSecret({ namespace, name: 'pull' }).then(() => 200, statusOf)).toBe(
            404,
          );
          expect(await listed(namespace)).not.toContain('pull');
        }
        await custom.deleteNamespacedCustomObject({
          ...CONTAINER_REGISTRY,
          namespace: watched,
          name: 'shop',
        });
        await gone(CONTAINER_REGISTRY, 'shop');
      });

      it('holds and releases its Lease in the release namespace', async () => {
        const identity = uniqueName('chart-leader');
        const operator = await startOperator(
          parseConfig(
            [
              `--namespaces=${watched}`,
              '--metrics-addr=127.0.0.1:0',
              `--leader-election-namespace=${release}`,
              `--leader-election-id=${fullname}`,
              `--identity=${identity}`,
            ],
            {},
          ),
          () => [],
          { kubeConfig: operatorKc, logger: testLogger },
        );
        const leases = kc.makeApiClient(CoordinationV1Api);
        try {
          await eventually(
            async () =>
              (await leases.readNamespacedLease({ namespace: release, name: fullname })).spec
                ?.holderIdentity === identity,
            { what: 'the operator holds the Lease' },
          );
        } finally {
          await operator.stop('test done');
        }
        const released = await leases.readNamespacedLease({ namespace: release, name: fullname });
        expect(released.spec?.holderIdentity ?? '').toBe('');
      });
    });

    it('cluster-wide mode: every informer of every controller syncs with the chart’s ClusterRole', async () => {
      const release = uniqueName('chart-cw');
      await core.createNamespace({ body: { metadata: { name: release } } });
      await installBerthCrds(kc, release);
      const objects = await render(uniqueName('cw'), release, [
        '--set',
        'crds.enabled=false',
        '--set',
        'rbac.aggregateToDefaultRoles=false',
      ]);
      const operatorKc = await installIdentity(objects, release);
      await eventually(() => can(operatorKc, { resource: 'secrets', verb: 'watch' }), {
        what: 'ClusterRole in effect',
      });
      // A shard nobody labels: the informers list and watch everything, the workers reconcile nothing
      // (other test files' objects are theirs).
      const operator = await startOperator(
        parseConfig(
          [
            '--metrics-addr=127.0.0.1:0',
            '--leader-elect=false',
            `--shard-selector=berth-test.dev/shard=${release}`,
          ],
          {},
        ),
        registeredControllers,
        { kubeConfig: operatorKc, logger: testLogger },
      );
      try {
        await eventually(
          async () => (await fetch(`http://${operator.health.address}/readyz`)).status === 200,
          { timeoutMs: 30_000, what: '/readyz' },
        );
      } finally {
        await operator.stop('test done');
      }
    });
  });
});
