import { randomBytes } from 'node:crypto';
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Secret,
  type V1ServiceAccount,
} from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type DistributeInput,
  DistributionError,
  distribute,
  type SecretContent,
  TOKEN_UID_LABEL,
  targetsNamespace,
  undistribute,
} from '../../src/controllers/registry-token/distribute.ts';
import { contentHash } from '../../src/controllers/registry-token/docker-config.ts';
import { type ContainerRegistry, ContainerRegistrySchema } from '../../src/crds/container-registry.ts';
import { adminKubeConfig, createNamespace, eventually, statusOf, uniqueName } from './helpers.ts';

const kc = adminKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

// Other test files share the cluster: the selector labels carry this run's id so that only this
// file's namespaces match.
const run = randomBytes(3).toString('hex');
const PICK = 'berth-test.dev/distribute';
const ALLOW = 'berth-test.dev/allowed';
const SECRET = 'shop-pull';

const dockerConfig = (password: string) =>
  Buffer.from(JSON.stringify({ auths: { 'cr.example': { username: 'robot', password } } })).toString(
    'base64',
  );

/** Records which CoreV1Api methods were called, and lets a test step in before one runs. */
function recording(hook?: (method: string, args: unknown[]) => Promise<unknown> | undefined) {
  const calls: string[] = [];
  const proxy = new Proxy(core, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        calls.push(prop);
        return hook?.(prop, args) ?? value.apply(target, args);
      };
    },
  });
  return { core: proxy, calls, writes: () => calls.filter((c) => /^(create|replace|patch|delete)/.test(c)) };
}

async function labelledNamespace(
  prefix: string,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
): Promise<string> {
  const name = uniqueName(prefix);
  await core.createNamespace({ body: { metadata: { name, labels, annotations } } });
  return name;
}

/** The primary's content as the controller hands it over: data read only when a copy is written. */
function content(
  name: string,
  data: Record<string, string>,
  more: Partial<Pick<SecretContent, 'type' | 'labels' | 'annotations'>> = {},
): SecretContent & { raw: Record<string, string> } {
  return {
    name,
    type: more.type ?? 'kubernetes.io/dockerconfigjson',
    dataHash: contentHash(data),
    data: async () => data,
    raw: data,
    labels: more.labels ?? {},
    annotations: more.annotations ?? {},
  };
}

const readSecret = (namespace: string, name = SECRET) => core.readNamespacedSecret({ namespace, name });
const pullSecrets = async (namespace: string, name: string) =>
  ((await core.readNamespacedServiceAccount({ namespace, name })).imagePullSecrets ?? []).map((e) => e.name);
const notFound = (p: Promise<unknown>) => p.then(() => undefined, statusOf);

// One scenario in steps, each starting from what the previous one left (copies, ServiceAccount
// entries): sequential on purpose. Run the whole file; a single step alone does not set itself up.
describe('distribute and undistribute against the real API server', () => {
  const token = { namespace: '', name: 'shop-pull', uid: `uid-${run}` };
  let registry: ContainerRegistry;
  let selected: string[] = [];
  let named: string[] = [];
  let refused: string;
  let occupied: string;
  let unwilling: string;
  const missing = `dist-missing-${run}`;
  let secret: ReturnType<typeof content>;
  // What the targets consent to (ADR 015): copies from the home namespace, the entries and the
  // user's label the tests expect.
  let consent: Record<string, string>;
  let input: () => DistributeInput;
  let serviceAccounts = ['default', 'builder'];

  beforeAll(async () => {
    token.namespace = await createNamespace(kc, 'dist-home');
    consent = {
      'berth.dev/accept-copies-from': token.namespace,
      'berth.dev/accept-service-accounts': 'default,builder,racer',
      'berth.dev/accept-copy-labels': 'team',
    };
    const registryNamespace = await createNamespace(kc, 'dist-reg');
    registry = ContainerRegistrySchema.parse({
      apiVersion: 'berth.dev/v1alpha1',
      kind: 'ContainerRegistry',
      metadata: { name: 'shop', namespace: registryNamespace },
      spec: {
        provider: 'quay',
        credentialsRef: { name: 'quay-api' },
        quay: { organization: 'shop' },
        allowedNamespaces: { from: 'Selector', selector: { matchLabels: { [ALLOW]: run } } },
      },
    });
    selected = await Promise.all(
      Array.from({ length: 20 }, () => labelledNamespace('dist-sel', { [PICK]: run, [ALLOW]: run }, consent)),
    );
    named = await Promise.all([0, 1].map(() => labelledNamespace('dist-name', { [ALLOW]: run }, consent)));
    refused = await labelledNamespace('dist-refused', { [PICK]: run }, consent);
    occupied = await labelledNamespace('dist-occupied', { [ALLOW]: run }, consent);
    // Admitted and named, but not consenting: like a namespace that does not exist.
    unwilling = await labelledNamespace('dist-unwilling', { [ALLOW]: run });
    // Selected, admitted, not consenting: passed over without a word.
    await labelledNamespace('dist-silent', { [PICK]: run, [ALLOW]: run });
    await core.createNamespacedSecret({
      namespace: occupied,
      body: { metadata: { name: SECRET, labels: { team: 'theirs' } }, stringData: { token: 'theirs' } },
    });
    secret = content(
      SECRET,
      { '.dockerconfigjson': dockerConfig('first-secret-value') },
      {
        labels: { team: 'shop', unasked: 'x' },
        annotations: { 'berth.dev/content-hash': 'hash-1', 'argocd.argoproj.io/tracking-id': 'app:x' },
      },
    );
    // The primary, as the controller writes it, labelled like a copy: distribute must not touch it.
    await core.createNamespacedSecret({
      namespace: token.namespace,
      body: {
        metadata: {
          name: SECRET,
          labels: { ...secret.labels, [TOKEN_UID_LABEL]: token.uid },
          annotations: secret.annotations,
        },
        type: secret.type,
        data: secret.raw,
      },
    });
    const builder = (namespace: string, entries: string[]) =>
      core.createNamespacedServiceAccount({
        namespace,
        body: { metadata: { name: 'builder' }, imagePullSecrets: entries.map((name) => ({ name })) },
      });
    await builder(token.namespace, ['other-a', 'other-b']);
    await builder(named[0] as string, ['other-a']);
    // kube-controller-manager creates `default` in every new namespace; wait for all of them.
    await Promise.all(
      [token.namespace, ...selected, ...named].map((namespace) =>
        eventually(() => core.readNamespacedServiceAccount({ namespace, name: 'default' }), {
          what: `ServiceAccount default in ${namespace}`,
        }),
      ),
    );
    input = () => ({
      token,
      secret,
      registry,
      distribute: {
        namespaces: [...named, occupied, missing, unwilling, token.namespace],
        namespaceSelector: { matchLabels: { [PICK]: run } },
        serviceAccounts,
      },
    });
  });

  it('copies into 20 selected and 2 named namespaces, reporting refused and occupied ones', async () => {
    const result = await distribute(core, input());
    expect(result.namespacesServed).toEqual([...selected, ...named].sort());
    const refusal = (ns: string) =>
      `namespace ${ns} takes no copy until its annotation berth.dev/accept-copies-from lists ${token.namespace} or ${token.namespace}/${token.name}`;
    expect(result.problems).toEqual(
      [
        `namespace ${refused} does not match spec.allowedNamespaces.selector of ContainerRegistry ${registry.metadata.namespace}/shop`,
        `Secret ${SECRET} in ${occupied} exists and is not managed by berth; left alone`,
        // item 4: the same words for a namespace that exists and one that does not.
        refusal(missing),
        refusal(unwilling),
      ].sort(),
    );
    expect(await notFound(readSecret(unwilling))).toBe(404);
    // home: default + builder; 22 targets: default; named[0]: builder.
    expect(result.serviceAccountsAttached).toBe(2 + 22 + 1);

    const copy = await readSecret(selected[7] as string);
    expect(copy.type).toBe('kubernetes.io/dockerconfigjson');
    expect(copy.data).toEqual(secret.raw);
    // item 4: the user's label the namespace accepts, berth's own; nothing else of the user's.
    expect(copy.metadata?.labels).toEqual({
      team: 'shop',
      'app.kubernetes.io/managed-by': 'berth',
      [TOKEN_UID_LABEL]: token.uid,
    });
    expect(copy.metadata?.annotations).toEqual({ 'berth.dev/content-hash': 'hash-1' });
    expect(copy.metadata?.ownerReferences).toBeUndefined();
    expect(await notFound(readSecret(refused))).toBe(404);

    const theirs = await readSecret(occupied);
    expect(theirs.metadata?.labels).toEqual({ team: 'theirs' });
    expect(Buffer.from(theirs.data?.token ?? '', 'base64').toString()).toBe('theirs');
    // The primary is the caller's: not rewritten with berth's labels.
    expect(
      (await readSecret(token.namespace)).metadata?.labels?.['app.kubernetes.io/managed-by'],
    ).toBeUndefined();

    expect(await pullSecrets(token.namespace, 'builder')).toEqual(['other-a', 'other-b', SECRET]);
    expect(await pullSecrets(named[0] as string, 'builder')).toEqual(['other-a', SECRET]);
    expect(await pullSecrets(selected[3] as string, 'default')).toEqual([SECRET]);
  });

  it('is idempotent: a second call writes nothing and attaches once', async () => {
    const rec = recording();
    const result = await distribute(rec.core, input());
    // Only the create into the occupied namespace, which the API server refuses with 409 every time
    // (one call, as cheap as reading first).
    expect(rec.writes()).toEqual(['createNamespacedSecret']);
    expect(result.problems).toHaveLength(4);
    expect(result.namespacesServed).toHaveLength(22);
    expect(result.serviceAccountsAttached).toBe(25);
    expect(await pullSecrets(token.namespace, 'builder')).toEqual(['other-a', 'other-b', SECRET]);
  });

  it('propagates changed data and annotations to every copy, and never puts values in problems', async () => {
    secret = content(
      SECRET,
      { '.dockerconfigjson': dockerConfig('second-secret-value') },
      { labels: secret.labels, annotations: { 'berth.dev/content-hash': 'hash-2' } },
    );
    const rec = recording();
    const result = await distribute(rec.core, input());
    expect(rec.writes().filter((c) => c === 'replaceNamespacedSecret')).toHaveLength(22);
    for (const namespace of result.namespacesServed) {
      const copy = await readSecret(namespace);
      expect(copy.data).toEqual(secret.raw);
      expect(copy.metadata?.annotations?.['berth.dev/content-hash']).toBe('hash-2');
    }
    expect(JSON.stringify(result)).not.toMatch(/secret-value|second|theirs/);
  });

  it('deletes the copy (and our ServiceAccount entry) where a namespace left the selection', async () => {
    const leaving = selected[0] as string;
    const dropped = named[1] as string;
    await core.patchNamespace(
      { name: leaving, body: { metadata: { labels: { [PICK]: null } } } },
      mergePatch,
    );
    named = [named[0] as string];
    const result = await distribute(core, input());
    expect(result.namespacesServed).not.toContain(leaving);
    expect(result.namespacesServed).not.toContain(dropped);
    expect(result.namespacesServed).toHaveLength(20);
    expect(await notFound(readSecret(leaving))).toBe(404);
    expect(await notFound(readSecret(dropped))).toBe(404);
    expect(await pullSecrets(leaving, 'default')).toEqual([]);
    expect(await pullSecrets(dropped, 'default')).toEqual([]);
    selected = selected.slice(1);
  });

  it('retries a ServiceAccount write that lost a race, keeping the other writer’s entry', async () => {
    await core.createNamespacedServiceAccount({
      namespace: token.namespace,
      body: { metadata: { name: 'racer' }, imagePullSecrets: [{ name: 'other-a' }] },
    });
    let raced = false;
    const rec = recording((method, args) => {
      const req = args[0] as { name?: string; namespace?: string };
      if (method !== 'readNamespacedServiceAccount' || req.name !== 'racer' || raced) return undefined;
      raced = true;
      // Someone else appends between our read and our write: we return what we read before it.
      return (async () => {
        const stale: V1ServiceAccount = await core.readNamespacedServiceAccount({
          namespace: token.namespace,
          name: 'racer',
        });
        await core.replaceNamespacedServiceAccount({
          namespace: token.namespace,
          name: 'racer',
          body: { ...stale, imagePullSecrets: [...(stale.imagePullSecrets ?? []), { name: 'other-late' }] },
        });
        return stale;
      })();
    });
    serviceAccounts = ['default', 'builder', 'racer'];
    await distribute(rec.core, input());
    expect(raced).toBe(true);
    expect(await pullSecrets(token.namespace, 'racer')).toEqual(['other-a', 'other-late', SECRET]);
    const racerCalls = rec.calls.filter((c) => c.endsWith('NamespacedServiceAccount'));
    // Our first replace met a 409 and was tried again after a fresh read.
    expect(racerCalls.filter((c) => c === 'replaceNamespacedServiceAccount')).toHaveLength(2);
  });

  it('removes every copy when spec.distribute is removed, and leaves the primary', async () => {
    const other = { ...token, uid: `uid2-${run}` };
    const target = selected[0] as string;
    const first = await distribute(core, {
      token: other,
      secret: { ...secret, name: 'second-pull' },
      registry,
      distribute: { namespaces: [target] },
    });
    expect(first).toEqual({ namespacesServed: [target], problems: [], serviceAccountsAttached: 0 });
    await readSecret(target, 'second-pull');
    const gone = await distribute(core, {
      token: other,
      secret: { ...secret, name: 'second-pull' },
      registry,
      distribute: undefined,
    });
    expect(gone).toEqual({ namespacesServed: [], problems: [], serviceAccountsAttached: 0 });
    expect(await notFound(readSecret(target, 'second-pull'))).toBe(404);
    await readSecret(target);
  });

  it('leaves another token’s copy alone, recreates a copy whose type changed, skips Terminating', async () => {
    const other = { ...token, uid: `uid3-${run}` };
    const target = selected[1] as string;
    const clash = await distribute(core, {
      token: other,
      secret,
      registry,
      distribute: { namespaces: [target] },
    });
    expect(clash.problems).toEqual([
      `Secret ${SECRET} in ${target} belongs to another RegistryToken; left alone`,
    ]);
    expect(clash.namespacesServed).toEqual([]);

    const opaque = content('typed', { a: 'YQ==' }, { type: 'Opaque' });
    const spec = { namespaces: [target] };
    await distribute(core, { token: other, secret: opaque, registry, distribute: spec });
    expect((await readSecret(target, 'typed')).type).toBe('Opaque');
    const retyped = await distribute(core, {
      token: other,
      secret: { ...secret, name: 'typed' },
      registry,
      distribute: spec,
    });
    expect(retyped.namespacesServed).toEqual([target]);
    expect((await readSecret(target, 'typed')).type).toBe('kubernetes.io/dockerconfigjson');

    // A ConfigMap with a finalizer holds its namespace in Terminating until the test lets go.
    const dying = await labelledNamespace('dist-dying', { [ALLOW]: run }, consent);
    await core.createNamespacedConfigMap({
      namespace: dying,
      body: { metadata: { name: 'hold', finalizers: ['berth-test.dev/hold'] } },
    });
    await core.deleteNamespace({ name: dying });
    await eventually(
      async () => (await core.readNamespace({ name: dying })).status?.phase === 'Terminating',
      {
        what: `${dying} Terminating`,
      },
    );
    const skipped = await distribute(core, {
      token: other,
      secret: { ...secret, name: 'typed' },
      registry,
      distribute: { namespaces: [target, dying] },
    });
    expect(skipped).toEqual({ namespacesServed: [target], problems: [], serviceAccountsAttached: 0 });
    await core.patchNamespacedConfigMap(
      { namespace: dying, name: 'hold', body: { metadata: { finalizers: null } } },
      mergePatch,
    );
    await undistribute(core, { token: other, secretName: 'typed', serviceAccounts: [] });
    expect(await notFound(readSecret(target, 'typed'))).toBe(404);
  });

  it('goes on past a failed write and reports it without the response body', async () => {
    const other = { ...token, uid: `uid4-${run}` };
    const [broken, fine] = [selected[2] as string, selected[3] as string];
    const rec = recording((method, args) => {
      if (method !== 'createNamespacedSecret' || (args[0] as { namespace: string }).namespace !== broken)
        return undefined;
      const err = new Error('HTTP-Code: 500\nMessage: boom\nBody: {"data":"second-secret-value"}');
      return Promise.reject(Object.assign(err, { code: 500 }));
    });
    const failed = await distribute(rec.core, {
      token: other,
      secret: { ...secret, name: 'flaky' },
      registry,
      distribute: { namespaces: [broken, fine] },
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DistributionError);
    const error = failed as DistributionError;
    expect(error.message).toBe(
      `distribution incomplete: could not write Secret flaky in ${broken} (HTTP 500)`,
    );
    expect(error.result.namespacesServed).toEqual([fine]);
    await undistribute(core, { token: other, secretName: 'flaky', serviceAccounts: [] });
  });

  const defaultServiceAccount = (namespace: string) =>
    eventually(() => core.readNamespacedServiceAccount({ namespace, name: 'default' }), {
      what: `ServiceAccount default in ${namespace}`,
    });

  it('item 4: adds entries only where the namespace accepts them; withdrawn consent takes copy and entry away', async () => {
    const other = { ...token, uid: `uid5-${run}` };
    const target = await labelledNamespace(
      'dist-sa',
      { [ALLOW]: run },
      { 'berth.dev/accept-copies-from': `${token.namespace}/${token.name}` },
    );
    await defaultServiceAccount(target);
    const once = () =>
      distribute(core, {
        token: other,
        secret: { ...secret, name: 'sa-pull' },
        registry,
        distribute: { namespaces: [target], serviceAccounts: ['default'] },
      });
    const first = await once();
    expect(first.namespacesServed).toEqual([target]);
    expect(first.problems).toEqual([
      `namespace ${target} takes the copy but no imagePullSecrets entry on ServiceAccount default until its annotation berth.dev/accept-service-accounts lists it`,
    ]);
    expect(await pullSecrets(target, 'default')).toEqual([]);

    await core.patchNamespace(
      {
        name: target,
        body: { metadata: { annotations: { 'berth.dev/accept-service-accounts': 'default' } } },
      },
      mergePatch,
    );
    expect((await once()).problems).toEqual([]);
    const sa = await core.readNamespacedServiceAccount({ namespace: target, name: 'default' });
    expect(sa.imagePullSecrets?.map((e) => e.name)).toEqual(['sa-pull']);
    expect(sa.metadata?.annotations?.['berth.dev/attached-pull-secrets']).toBe('sa-pull');

    await core.patchNamespace(
      { name: target, body: { metadata: { annotations: { 'berth.dev/accept-copies-from': null } } } },
      mergePatch,
    );
    const withdrawn = await once();
    expect(withdrawn.namespacesServed).toEqual([]);
    expect(await notFound(readSecret(target, 'sa-pull'))).toBe(404);
    const after = await core.readNamespacedServiceAccount({ namespace: target, name: 'default' });
    expect(after.imagePullSecrets ?? []).toEqual([]);
    expect(after.metadata?.annotations?.['berth.dev/attached-pull-secrets']).toBeUndefined();
    await undistribute(core, { token: other, secretName: 'sa-pull', serviceAccounts: ['default'] });
  });

  it('item 3: never takes away an entry that was there before berth, even when the Secret is renamed to it', async () => {
    const other = { ...token, uid: `uid6-${run}` };
    const target = await labelledNamespace('dist-theirs', { [ALLOW]: run }, consent);
    await defaultServiceAccount(target);
    await core.patchNamespacedServiceAccount(
      { namespace: target, name: 'default', body: { imagePullSecrets: [{ name: 'team-b-pull' }] } },
      mergePatch,
    );
    const as = (name: string) =>
      distribute(core, {
        token: other,
        secret: { ...secret, name },
        registry,
        distribute: { namespaces: [target], serviceAccounts: ['default'] },
      });
    await as('a-pull');
    expect(await pullSecrets(target, 'default')).toEqual(['team-b-pull', 'a-pull']);
    // Renamed to the other team's own pull secret: berth's old entry goes, theirs is not recorded.
    expect((await as('team-b-pull')).namespacesServed).toEqual([target]);
    expect(await pullSecrets(target, 'default')).toEqual(['team-b-pull']);
    await undistribute(core, { token: other, secretName: 'team-b-pull', serviceAccounts: ['default'] });
    expect(await notFound(readSecret(target, 'team-b-pull'))).toBe(404);
    expect(await pullSecrets(target, 'default')).toEqual(['team-b-pull']);
    // The home namespace's entry for the old name went with neither call (its primary, the old
    // Secret, is the caller's); the controller's deletion takes the old Secret with the token.
    await undistribute(core, { token: other, secretName: 'a-pull', serviceAccounts: ['default'] });
  });

  it('undistribute deletes every copy and removes only our entry, and can run again', async () => {
    const copiesBefore = await core.listSecretForAllNamespaces({
      labelSelector: `${TOKEN_UID_LABEL}=${token.uid}`,
    });
    expect(copiesBefore.items).toHaveLength(selected.length + named.length + 1); // and the primary
    for (let i = 0; i < 2; i++) await undistribute(core, { token, secretName: SECRET, serviceAccounts });
    const left = await core.listSecretForAllNamespaces({ labelSelector: `${TOKEN_UID_LABEL}=${token.uid}` });
    expect(left.items.map((s: V1Secret) => s.metadata?.namespace)).toEqual([token.namespace]);
    expect(await pullSecrets(token.namespace, 'builder')).toEqual(['other-a', 'other-b']);
    expect(await pullSecrets(token.namespace, 'racer')).toEqual(['other-a', 'other-late']);
    expect(await pullSecrets(token.namespace, 'default')).toEqual([]);
    expect(await pullSecrets(named[0] as string, 'builder')).toEqual(['other-a']);
    for (const namespace of [...selected, ...named])
      expect(await pullSecrets(namespace, 'default')).toEqual([]);
    expect((await readSecret(occupied)).metadata?.labels).toEqual({ team: 'theirs' });
  });

  it('targetsNamespace chooses by name or selector', () => {
    const spec = { namespaces: ['team-a'], namespaceSelector: { matchLabels: { env: 'prod' } } };
    expect(targetsNamespace(spec, { name: 'team-a', labels: {} })).toBe(true);
    expect(targetsNamespace(spec, { name: 'team-b', labels: { env: 'prod' } })).toBe(true);
    expect(targetsNamespace(spec, { name: 'team-b', labels: { env: 'dev' } })).toBe(false);
    expect(targetsNamespace({ serviceAccounts: ['default'] }, { name: 'team-a', labels: {} })).toBe(false);
    expect(targetsNamespace(undefined, { name: 'team-a', labels: {} })).toBe(false);
  });
});
