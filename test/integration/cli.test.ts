import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  RbacAuthorizationV1Api,
  type V1PolicyRule,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { relativeTime } from '../../src/cli/format/time.ts';
import { CLEANUP_POLICY } from '../../src/controllers/cleanup-policy/controller.ts';
import { REGISTRY_TOKEN } from '../../src/controllers/registry-token/controller.ts';
import { binaryPaths, repoRoot } from '../../src/dev/binaries.ts';
import { loadKubeConfig, mintServiceAccountKubeconfig } from '../../src/dev/kubeconfig.ts';
import { installBerthCrds } from './berth-crds.ts';
import { berth, contextKubeconfig, type Ran, run, transcript } from './cli-harness.ts';
import { adminKubeConfig, createNamespace, dailyScheduleAway, eventually, uniqueName } from './helpers.ts';
import { createProviderRegistries } from './provider-registries.ts';
import { type ProviderStack, startProviderStack } from './stack.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);

/** The operator's rules as the chart grants them (deploy/helm/berth/templates/_helpers.tpl). */
const OPERATOR_RULES: V1PolicyRule[] = [
  {
    apiGroups: ['berth.dev'],
    resources: ['containerregistries', 'registrytokens', 'cleanuppolicies'],
    verbs: ['get', 'list', 'watch', 'patch'],
  },
  {
    apiGroups: ['berth.dev'],
    resources: ['containerregistries/status', 'registrytokens/status', 'cleanuppolicies/status'],
    verbs: ['patch'],
  },
  { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'] },
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get', 'list', 'watch', 'update'] },
  { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
];

type Status = Record<string, unknown> & { credentialId?: string; credentialName?: string };

/**
 * What the CLI may print for `at` when it ran between `before` and `after` (its own clock read in
 * between): the relative time at either end, e.g. `in 11h` or `in 12h`.
 */
function relativeBetween(at: string, before: number, after: number): string[] {
  return [...new Set([relativeTime(at, before), relativeTime(at, after)])] as string[];
}

describe('the berth CLI against the real control plane and a running operator', () => {
  let ns: string;
  let work: string;
  let stack: ProviderStack;
  /** KUBECONFIG with the `work` context in the test namespace: commands run without -n. */
  let env: NodeJS.ProcessEnv;
  let clusterRole: string;
  let selectelId: string;
  /** The schedule of the one policy that is not suspended, and its next slot. */
  let nightly: { schedule: string; slot: number };

  const token = (name: string) =>
    custom.getNamespacedCustomObject({ ...REGISTRY_TOKEN, namespace: ns, name }) as Promise<{
      status?: Status;
    }>;
  const create = (kind: 'RegistryToken' | 'CleanupPolicy', name: string, spec: Record<string, unknown>) =>
    custom.createNamespacedCustomObject({
      ...(kind === 'RegistryToken' ? REGISTRY_TOKEN : CLEANUP_POLICY),
      namespace: ns,
      body: { apiVersion: 'berth.dev/v1alpha1', kind, metadata: { name }, spec },
    });
  /** The nightly policy's status.nextRunAt, which must be the slot its schedule was made for. */
  const nightlyNextRun = async (): Promise<string> => {
    const p = (await custom.getNamespacedCustomObject({
      ...CLEANUP_POLICY,
      namespace: ns,
      name: 'nightly',
    })) as {
      status?: { nextRunAt?: string };
    };
    const next = p.status?.nextRunAt ?? '';
    expect(Date.parse(next), `nightly status.nextRunAt ${next}`).toBe(nightly.slot);
    return next;
  };
  const readyCondition = async (plural: string, name: string) => {
    const o = (await custom.getNamespacedCustomObject({
      group: 'berth.dev',
      version: 'v1alpha1',
      plural,
      namespace: ns,
      name,
    })) as { status?: { conditions?: { type: string; status: string; reason: string }[] } };
    return o.status?.conditions;
  };

  /** A ServiceAccount kubeconfig, for commands run with less than admin rights. */
  const saKubeconfig = async (sa: string): Promise<{ file: string; kc: KubeConfig }> => {
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    const file = await mintServiceAccountKubeconfig(kc, ns, sa, join(work, `${sa}.kubeconfig`));
    return { file, kc: loadKubeConfig(file) };
  };

  beforeAll(async () => {
    ns = await createNamespace(kc, 'cli');
    work = await mkdtemp(join(tmpdir(), 'berth-cli-'));
    await installBerthCrds(kc, ns);
    // The operator runs as a ServiceAccount with the chart's rights, leading through Lease `berth`
    // as the chart's operator does, so `berth check` finds what it would find in a cluster.
    const operator = await saKubeconfig('berth-operator');
    clusterRole = uniqueName('berth-cli-operator');
    await rbac.createClusterRole({ body: { metadata: { name: clusterRole }, rules: OPERATOR_RULES } });
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name: clusterRole },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
        subjects: [{ kind: 'ServiceAccount', name: 'berth-operator', namespace: ns }],
      },
    });
    await rbac.createNamespacedRole({
      namespace: ns,
      body: {
        metadata: { name: 'berth-leader-election' },
        rules: [
          { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
          {
            apiGroups: ['coordination.k8s.io'],
            resources: ['leases'],
            resourceNames: ['berth'],
            verbs: ['get', 'update'],
          },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: 'berth-leader-election' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'berth-leader-election' },
        subjects: [{ kind: 'ServiceAccount', name: 'berth-operator', namespace: ns }],
      },
    });
    stack = await startProviderStack(kc, ns, {
      operatorKubeConfig: operator.kc,
      operatorArgs: [
        '--leader-elect=true',
        `--leader-election-namespace=${ns}`,
        '--leader-election-id=berth',
      ],
    });
    await createProviderRegistries(kc, ns, stack.sims.endpoints);
    for (const r of ['reg-ionos', 'reg-selectel', 'reg-quay']) {
      await eventually(
        async () =>
          (await readyCondition('containerregistries', r))?.some(
            (c) => c.type === 'Ready' && c.status === 'True',
          ),
        {
          timeoutMs: 60_000,
          what: `${r} Ready`,
        },
      );
    }
    const selectel = (await custom.getNamespacedCustomObject({
      group: 'berth.dev',
      version: 'v1alpha1',
      plural: 'containerregistries',
      namespace: ns,
      name: 'reg-selectel',
    })) as { status: { externalId: string } };
    selectelId = selectel.status.externalId;
    for (const [i, tag] of ['v1', 'v2', 'v3', 'v4'].entries()) {
      stack.sims.selectel.addImage(selectelId, 'app', {
        tags: [tag],
        pushedAt: new Date(Date.now() - (10 - i) * 86_400_000),
        size: 1_000_000,
      });
    }

    // A healthy token, one Stalled (its Secret name is taken), one waiting for a missing registry.
    await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: 'taken' }, stringData: { x: 'y' } },
    });
    const scopes = [{ repository: 'shop/*', actions: ['pull'] }];
    await create('RegistryToken', 'pull', { registryRef: { name: 'reg-ionos' }, scopes });
    await create('RegistryToken', 'taken', { registryRef: { name: 'reg-ionos' }, scopes });
    await create('RegistryToken', 'orphan', { registryRef: { name: 'nope' }, scopes });
    const policy = {
      registryRef: { name: 'reg-selectel' },
      schedule: '0 3 * * *',
      repositories: { include: ['**'] },
      rules: { keepLast: 2 },
    };
    await create('CleanupPolicy', 'preview', { ...policy, dryRun: true, suspend: true });
    await create('CleanupPolicy', 'prune', { ...policy, dryRun: false, suspend: true });
    nightly = dailyScheduleAway(Date.now());
    await create('CleanupPolicy', 'nightly', { ...policy, schedule: nightly.schedule, dryRun: true });
    await eventually(async () => (await token('pull')).status?.credentialId, {
      timeoutMs: 60_000,
      what: 'pull issued',
    });
    await eventually(
      async () => (await readyCondition('registrytokens', 'taken'))?.some((c) => c.type === 'Stalled'),
      {
        what: 'taken Stalled',
      },
    );
    await eventually(
      async () => (await readyCondition('cleanuppolicies', 'nightly'))?.some((c) => c.type === 'Ready'),
      {
        what: 'nightly observed',
      },
    );
    env = {
      ...process.env,
      KUBECONFIG: await contextKubeconfig(kc, ns, join(work, 'config')),
      NO_COLOR: '1',
    };
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    await rbac.deleteClusterRoleBinding({ name: clusterRole }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: clusterRole }).catch(() => undefined);
  });

  const lines = (r: Ran) => r.stdout.trimEnd().split('\n');

  describe('berth status', () => {
    it('lists every berth object of the context namespace, problems first, and exits 1 while any is not Ready', async () => {
      const before = Date.now();
      const r = await berth(['status'], env);
      const after = Date.now();
      console.warn(`[cli] berth status:\n${r.stdout}`);
      expect(r.code).toBe(1);
      const rows = lines(r);
      expect(rows[0]).toMatch(/^KIND\s+NAME\s+READY\s+REASON\s+WHEN\s+MESSAGE$/);
      const order = rows.slice(1).map((l) => l.split(/\s+/).slice(0, 4).join(' '));
      expect(order[0]).toBe('RegistryToken taken Stalled SecretConflict');
      expect(order[1]).toBe('RegistryToken orphan False RegistryNotFound');
      expect(order.slice(2).every((o) => o.split(' ')[2] === 'True')).toBe(true);
      const pull = rows.find((l) => l.startsWith('RegistryToken') && l.includes(' pull '));
      // Renewal comes a third of the 30 days before expiry, up to a tenth of the 20 days in use
      // earlier by the token's own spread (renewal.ts): 18 to 20 days ahead.
      expect(pull).toMatch(/expires in 29d(2\dh)?, renews in 1[789]d(2\dh)?/);
      // Its slot is 12 hours away: it has not run, and the CLI counts down to status.nextRunAt.
      const row = rows.find((l) => l.includes(' nightly ')) ?? '';
      const when = relativeBetween(await nightlyNextRun(), before, after).map(
        (rel) => `never ran, next ${rel}`,
      );
      expect(
        when.some((w) => `${row} `.includes(`${w} `)),
        `"${row}" says one of: ${when.join(' | ')}`,
      ).toBe(true);
      expect(rows.find((l) => l.includes(' preview '))).toContain('never ran, suspended');
    });

    it('prints JSON and YAML for scripts, with RFC 3339 times', async () => {
      const json = await berth(['status', '-o', 'json'], env);
      expect(json.code).toBe(1);
      const items = (JSON.parse(json.stdout) as { items: Record<string, string>[] }).items;
      expect(items[0]).toMatchObject({
        kind: 'RegistryToken',
        name: 'taken',
        health: 'Stalled',
        ready: 'Stalled',
      });
      const pull = items.find((i) => i.name === 'pull');
      expect(pull?.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const yaml = await berth(['status', '--output=yaml'], env);
      expect(yaml.stdout).toMatch(/^items:\n {2}- kind: RegistryToken\n {4}namespace: cli-/);
    });

    it('follows kubectl: -n, --context, -A, and an empty namespace', async () => {
      const other = await berth(['status', '--context', 'elsewhere'], env);
      expect(other.code).toBe(0);
      expect(other.stdout).toBe('');
      expect(other.stderr).toBe('No berth objects found in namespace default.\n');
      const named = await berth(['status', '--context', 'elsewhere', '-n', ns], env);
      expect(lines(named).length).toBe(lines(await berth(['status'], env)).length);
      const all = await berth(['status', '-A'], env);
      expect(lines(all)[0]).toMatch(/^KIND\s+NAMESPACE\s+NAME\s+READY/);
      expect(all.stdout).toContain(`RegistryToken       ${ns}`);
    });

    it('reports each kind it may not list and exits 1', async () => {
      const nobody = await saKubeconfig('status-nobody');
      const r = await berth(['status', '-n', ns], { ...env, KUBECONFIG: nobody.file });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      for (const plural of ['containerregistries', 'registrytokens', 'cleanuppolicies'])
        expect(r.stderr).toContain(`error: cannot list ${plural} in namespace ${ns}: forbidden by RBAC`);
    });

    it('runs as `kubectl berth` through kubectl plugin lookup', async () => {
      const { kubectl } = await binaryPaths();
      const pathEnv = { ...env, PATH: [join(repoRoot, 'bin'), process.env.PATH ?? ''].join(delimiter) };
      const r = await run(kubectl, ['berth', 'status'], pathEnv);
      console.warn(`[cli] kubectl berth status:\n${r.stdout}`);
      expect(r.code).toBe(1); // kubectl passes the plugin's exit code through
      expect(lines(r)[0]).toMatch(/^KIND\s+NAME\s+READY/);
      expect(r.stdout).toMatch(/RegistryToken\s+taken\s+Stalled\s+SecretConflict/);
      const help = await run(kubectl, ['berth', '--help'], pathEnv);
      expect(help.stdout).toMatch(/^Usage: kubectl berth /);
    });
  });

  describe('kubectl get', () => {
    it('shows when tokens expire and renew and when policies run next as timestamps, never <invalid>', async () => {
      const { kubectl } = await binaryPaths();
      const tokens = await run(kubectl, ['get', 'registrytokens'], env);
      console.warn(`[cli] kubectl get registrytokens:\n${tokens.stdout}`);
      expect(tokens.code).toBe(0);
      expect(tokens.stdout).not.toContain('<invalid>');
      const status = (await token('pull')).status as { expiresAt: string; renewAt: string };
      expect(tokens.stdout).toMatch(/^NAME\s+REGISTRY\s+EXPIRES\s+RENEWS\s+READY\s+REASON\s+AGE\n/);
      expect(tokens.stdout).toMatch(
        new RegExp(
          `pull\\s+reg-ionos\\s+${status.expiresAt}\\s+${status.renewAt}\\s+True\\s+Succeeded\\s+\\d+[sm]`,
        ),
      );
      const policies = await run(kubectl, ['get', 'cleanuppolicies'], env);
      console.warn(`[cli] kubectl get cleanuppolicies:\n${policies.stdout}`);
      expect(policies.stdout).not.toContain('<invalid>');
      expect(policies.stdout).toMatch(
        new RegExp(`nightly\\s+reg-selectel\\s+${await nightlyNextRun()}\\s+True`),
      );
    });
  });

  describe('berth rotate', () => {
    it('rotates, waits until the new credential is in the Secret, and says when the old one is revoked', async () => {
      const before = (await token('pull')).status as Status;
      const r = await berth(['rotate', 'pull'], env);
      console.warn(`[cli] berth rotate pull:\n${r.stdout}`);
      expect(r.code).toBe(0);
      const after = (await token('pull')).status as Status & {
        pendingRevocations: { revokeAfter: string }[];
      };
      expect(after.credentialId).not.toBe(before.credentialId);
      const secret = await core.readNamespacedSecret({ namespace: ns, name: 'pull' });
      expect(secret.metadata?.annotations?.['berth.dev/credential-id']).toBe(after.credentialId);
      const [first, second] = lines(r);
      expect(first).toMatch(
        new RegExp(
          `^RegistryToken ${ns}/pull rotated in [0-9.hms]+: credential ${after.credentialName} is in Secret pull$`,
        ),
      );
      expect(second).toBe(
        `  the replaced credential ${before.credentialName} keeps working until ${after.pendingRevocations[0]?.revokeAfter} ` +
          `(${second?.match(/\((in [^)]+)\)/)?.[1]}), then berth revokes it`,
      );
      expect(r.stdout).toMatch(/\(in (9m5\ds|10m)\)/);
    });

    it('with --no-wait only asks; a missing or Stalled token fails with exit 1 and says why', async () => {
      const nowait = await berth(['rotate', 'rtok/pull', '--no-wait'], env);
      expect(nowait.code).toBe(0);
      expect(nowait.stdout).toMatch(
        new RegExp(`^RegistryToken ${ns}/pull: rotation requested \\(berth.dev/rotate-requested-at=\\d{4}-`),
      );
      const bad = await berth(['rotate', 'nope', 'taken', '--timeout', '30s'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(`error: RegistryToken ${ns}/nope not found`);
      expect(bad.stderr).toContain(
        `error: RegistryToken ${ns}/taken is Stalled (SecretConflict): Secret taken exists`,
      );
      expect((await berth(['rotate', 'cpol/prune'], env)).code).toBe(2);
    });
  });

  describe('berth cleanup run', () => {
    const tags = () =>
      [...(stack.sims.selectel.registry(selectelId)?.repositories.get('app')?.images ?? [])]
        .flatMap((i) => i.tags)
        .sort();

    it('runs a dry-run policy and prints what it would delete', async () => {
      const r = await berth(['cleanup', 'run', 'preview'], env);
      console.warn(`[cli] berth cleanup run preview:\n${r.stdout}`);
      expect(r.code).toBe(0);
      expect(lines(r)[0]).toMatch(
        new RegExp(
          `^CleanupPolicy ${ns}/preview: dry run: would delete 2, kept 2, failed 0 of 4 evaluated in 1 repository, took`,
        ),
      );
      expect(lines(r)[1]).toMatch(/^ACTION\s+REPOSITORY\s+TAGS\s+DIGEST\s+REASON$/);
      // Selectel deletes whole manifests; each row names the tag that goes with its manifest.
      expect(
        lines(r)
          .filter((l) => l.startsWith('WouldDelete'))
          .map((l) => l.split(/\s+/)[2]),
      ).toEqual(['v1', 'v2']);
      expect(tags()).toEqual(['v1', 'v2', 'v3', 'v4']);
    });

    it('previews a policy that deletes on a temporary dry-run copy, leaving the policy and the images as they were', async () => {
      const text = await berth(['cleanup', 'run', 'prune', '--dry-run'], env);
      console.warn(`[cli] berth cleanup run prune --dry-run:\n${text.stderr}${text.stdout}`);
      expect(text.code).toBe(0);
      expect(lines(text)[0]).toMatch(
        new RegExp(`^CleanupPolicy ${ns}/prune \\(dry run on a copy\\): dry run: would delete 2,`),
      );
      const r = await berth(['cleanup', 'run', 'prune', '--dry-run', '-o', 'json'], env);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { copy: string; lastRun: { dryRun: boolean; deleted: number } };
      expect(out.lastRun).toMatchObject({ dryRun: true, deleted: 2 });
      expect(out.copy).toMatch(/^prune-dry-run-[0-9a-f]{4}$/);
      expect(r.stderr).toContain(`dry run of CleanupPolicy ${ns}/prune on the temporary copy ${out.copy}`);
      expect(tags()).toEqual(['v1', 'v2', 'v3', 'v4']);
      const left = (await custom.listNamespacedCustomObject({ ...CLEANUP_POLICY, namespace: ns })) as {
        items: { metadata: { name: string } }[];
      };
      expect(left.items.map((p) => p.metadata.name).sort()).toEqual(['nightly', 'preview', 'prune']);
      const prune = (await custom.getNamespacedCustomObject({
        ...CLEANUP_POLICY,
        namespace: ns,
        name: 'prune',
      })) as {
        spec: { dryRun: boolean };
        status?: { lastRun?: unknown };
      };
      expect(prune.spec.dryRun).toBe(false);
      expect(prune.status?.lastRun).toBeUndefined();
    });

    it('refuses a preview it cannot make safely, and runs the policy for real when asked', async () => {
      const viewer = await saKubeconfig('policy-runner');
      await rbac.createNamespacedRole({
        namespace: ns,
        body: {
          metadata: { name: 'policy-runner' },
          rules: [
            { apiGroups: ['berth.dev'], resources: ['cleanuppolicies'], verbs: ['get', 'list', 'patch'] },
          ],
        },
      });
      await rbac.createNamespacedRoleBinding({
        namespace: ns,
        body: {
          metadata: { name: 'policy-runner' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'policy-runner' },
          subjects: [{ kind: 'ServiceAccount', name: 'policy-runner', namespace: ns }],
        },
      });
      const runnerEnv = { ...env, KUBECONFIG: viewer.file };
      const refused = await eventually(
        async () => {
          const got = await berth(['cleanup', 'run', 'prune', '--dry-run', '-n', ns], runnerEnv);
          return got.stderr.includes('forbidden') && !got.stderr.includes('cannot get') ? undefined : got;
        },
        { what: 'the runner role in effect' },
      );
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `error: CleanupPolicy ${ns}/prune deletes (spec.dryRun is false), and berth previews such a policy on a temporary dry-run copy, which you may not create`,
      );
      expect(tags()).toEqual(['v1', 'v2', 'v3', 'v4']);

      const real = await berth(['cleanup', 'run', 'prune', '-n', ns], runnerEnv);
      console.warn(`[cli] berth cleanup run prune:\n${real.stdout}`);
      expect(real.code).toBe(0);
      expect(lines(real)[0]).toMatch(
        new RegExp(`^CleanupPolicy ${ns}/prune: deleted 2, kept 2, failed 0 of 4 evaluated`),
      );
      expect(lines(real).filter((l) => l.startsWith('Deleted')).length).toBe(2);
      expect(tags()).toEqual(['v3', 'v4']);
    });
  });

  describe('berth explain', () => {
    it('explains a Stalled token: conditions, events, and what to change', async () => {
      const r = await berth(['explain', 'rtok/taken'], env);
      console.warn(`[cli] berth explain rtok/taken:\n${r.stdout}`);
      expect(r.code).toBe(1);
      expect(lines(r)[0]).toBe(`RegistryToken ${ns}/taken: Stalled`);
      expect(r.stdout).toMatch(
        /Conditions:\n {2}TYPE\s+STATUS\s+REASON\s+SINCE\s+MESSAGE\n {2}Stalled\s+True\s+SecretConflict\s+(\d+[smhd])+ ago/,
      );
      expect(r.stdout).toMatch(/Events \(oldest first\):\n {2}LAST SEEN\s+TYPE\s+REASON\s+COUNT\s+MESSAGE\n/);
      // However long the suite took to get here: 45s, 2m30s or more.
      expect(r.stdout).toMatch(
        /\n {2}(\d+[smhd])+ ago\s+Warning\s+SecretConflict\s+\d+\s+Secret taken exists/,
      );
      expect(r.stdout).toContain('Next:\n  - nothing until the object changes: it is Stalled\n');
      expect(r.stdout).toContain(
        'What to do:\n  - a Secret named taken exists that berth did not write: delete or rename it, or set spec.secret.name to a free name\n',
      );
    });

    it('explains a healthy token by name alone: its rotation history and what happens next', async () => {
      const r = await berth(['explain', 'pull'], env);
      console.warn(`[cli] berth explain pull:\n${r.stdout}`);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\s+Normal\s+Issued\s+1\s+issued credential/);
      expect(r.stdout).toMatch(/\s+Normal\s+Rotated\s+\d\s+rotated to credential/);
      // 18 to 20 days ahead: the token's renewal spread (renewal.ts) may bring it up to 2 days earlier.
      expect(r.stdout).toMatch(
        / {2}- berth rotates it \(issues a new one, then revokes the old\) in 1[789]d/,
      );
      expect(r.stdout).toContain(
        "  - berth lists the registry's credentials every 10m (its observeInterval) and replaces this one if it is gone, disabled or expired there",
      );
      expect(r.stdout).toContain(`registry:    ContainerRegistry ${ns}/reg-ionos is Ready`);
    });

    it('explains a policy, and says when a name is missing or ambiguous', async () => {
      const before = Date.now();
      const policy = await berth(['explain', 'cleanuppolicy/nightly', '-o', 'json'], env);
      const after = Date.now();
      expect(policy.code).toBe(0);
      const explained = JSON.parse(policy.stdout) as { next: string[] };
      const next = await nightlyNextRun();
      expect(
        relativeBetween(next, before, after).map(
          (rel) =>
            `runs next ${rel}, at ${next}, schedule "${nightly.schedule}" in UTC: a dry run (deletes nothing)`,
        ),
      ).toContain(explained.next.find((l) => l.startsWith('runs next')));
      const missing = await berth(['explain', 'nothing'], env);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(
        `error: no ContainerRegistry, RegistryToken or CleanupPolicy named nothing in namespace ${ns}\n`,
      );
      await create('CleanupPolicy', 'pull', {
        registryRef: { name: 'reg-selectel' },
        schedule: '0 3 * * *',
        suspend: true,
        dryRun: true,
        repositories: { include: ['**'] },
        rules: { keepLast: 2 },
      });
      const ambiguous = await berth(['explain', 'pull'], env);
      expect(ambiguous.code).toBe(2);
      expect(ambiguous.stderr).toContain('say which (registrytoken/pull, cleanuppolicy/pull)');
      await custom.deleteNamespacedCustomObject({ ...CLEANUP_POLICY, namespace: ns, name: 'pull' });
    });
  });

  describe('berth check', () => {
    const check = (args: string[], e = env) => berth(['check', '--operator-namespace', ns, ...args], e);

    it('is all ok for an installed, leading, permitted and observable operator', async () => {
      const r = await check([
        '--service-account',
        'berth-operator',
        '--metrics-url',
        `http://${stack.operator.health.address}/metrics`,
      ]);
      console.warn(`[cli] berth check:\n${r.stdout}`);
      expect(r.code).toBe(0);
      const out = lines(r);
      expect(out[0]).toMatch(/^ok {4}Kubernetes v1\.\d+\.\d+ at https:\/\/127\.0\.0\.1:\d+$/);
      for (const crd of ['containerregistries', 'registrytokens', 'cleanuppolicies'])
        expect(out).toContainEqual(
          expect.stringMatching(
            new RegExp(`^ok {4}CRD ${crd}.berth.dev is established and current \\(sha256:`),
          ),
        );
      expect(out).toContainEqual(
        expect.stringMatching(new RegExp(`^skip  no operator Deployment labelled .* in ${ns}`)),
      );
      expect(out).toContainEqual(
        expect.stringMatching(new RegExp(`^ok {4}leader \\S+ holds Lease ${ns}/berth, renewed \\d+s ago$`)),
      );
      expect(out).toContainEqual(
        `ok    ServiceAccount ${ns}/berth-operator may do all 33 things the operator needs (cluster-wide)`,
      );
      expect(out).toContainEqual(
        expect.stringMatching(
          /^ok {4}metrics: http:\/\/127\.0\.0\.1:\d+\/metrics serves \d+ berth_ series; the replica that answered leads$/,
        ),
      );
    });

    it('says what is wrong: no operator, missing RBAC', async () => {
      const empty = await createNamespace(kc, 'cli-empty');
      const none = await berth(['check', '--operator-namespace', empty], env);
      expect(none.code).toBe(1);
      expect(none.stdout).toContain(
        `FAIL  no Lease berth or berth-operator in ${empty}: the operator is not running there`,
      );
      expect(none.stdout).toContain(
        `skip  metrics not checked: no Service labelled app.kubernetes.io/name=berth with a port http-metrics in ${empty}`,
      );

      await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'weak' } } });
      const weak = await check(['--service-account', 'weak']);
      console.warn(`[cli] berth check --service-account weak:\n${weak.stdout}`);
      expect(weak.code).toBe(1);
      expect(weak.stdout).toMatch(
        new RegExp(`FAIL  ServiceAccount ${ns}/weak may not: get containerregistries cluster-wide; `),
      );
    });

    it('skips, and says why, what the caller may not look at', async () => {
      const nobody = await saKubeconfig('nobody');
      const r = await check(['--service-account', 'berth-operator'], { ...env, KUBECONFIG: nobody.file });
      expect(r.code).toBe(0); // nothing found wrong; every check it could not make says so
      expect(r.stdout).toContain(`skip  leader not checked: you may not read Lease ${ns}/berth (RBAC)`);
      expect(lines(r).at(-1)).toMatch(
        /^no problem found, but \d+ checks were skipped: see the skip lines above$/,
      );
      expect(r.stdout).toContain(
        'skip  CRD containerregistries.berth.dev not checked: you may not read CustomResourceDefinitions (RBAC)',
      );
      expect(r.stdout).toContain(
        'skip  operator RBAC not checked: you may not create SubjectAccessReviews (authorization.k8s.io), which checking another identity needs',
      );
    });
  });

  it('never prints a secret value: not the pull credential, its Secret data, nor the provider API credentials', async () => {
    const secrets = await core.listNamespacedSecret({ namespace: ns });
    const values = new Set<string>();
    for (const s of secrets.items) {
      for (const b64 of Object.values(s.data ?? {})) {
        const plain = Buffer.from(b64, 'base64').toString('utf8');
        values.add(b64);
        values.add(plain);
        try {
          const auths =
            (JSON.parse(plain) as { auths?: Record<string, { password?: string; auth?: string }> }).auths ??
            {};
          for (const a of Object.values(auths)) {
            if (a.password) values.add(a.password);
            if (a.auth) values.add(a.auth);
          }
        } catch {
          // not a docker config
        }
      }
    }
    const secretValues = [...values].filter((v) => v.length >= 8);
    expect(secretValues.length).toBeGreaterThan(4);
    expect(transcript.length).toBeGreaterThan(20);
    for (const ran of transcript) {
      for (const v of secretValues) {
        expect(
          ran.stdout.includes(v) || ran.stderr.includes(v),
          `a secret value in ${ran.stdout}${ran.stderr}`,
        ).toBe(false);
      }
    }
  });
});
