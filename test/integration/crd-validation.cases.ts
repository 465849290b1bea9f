/**
 * Invalid berth objects, one per schema or CEL rule, for crd-validation.test.ts. Each case starts
 * from a valid object, breaks one thing, and names the field path the API server must report.
 */

type Spec = Record<string, unknown>;

/** One object the API server must reject with 422. */
export interface InvalidCase {
  /** What is wrong, as a sentence fragment. */
  why: string;
  kind: 'ContainerRegistry' | 'RegistryToken' | 'CleanupPolicy';
  spec: Spec;
  /** Overrides metadata.name (for rules about the name). */
  name?: string;
  /** The field path the error must name, exactly as the API server prints it. */
  path: string;
}

/** A valid spec per kind, the base of every case. */
export const validSpecs = {
  ionos: {
    provider: 'ionos',
    credentialsRef: { name: 'ionos-api' },
    ionos: { location: 'de/fra' },
  },
  selectel: {
    provider: 'selectel',
    credentialsRef: { name: 'selectel-api' },
    selectel: { projectId: '0123456789abcdef0123456789abcdef' },
  },
  quay: {
    provider: 'quay',
    credentialsRef: { name: 'quay-api' },
    quay: { organization: 'acme', email: 'ops@acme.example' },
  },
  token: { registryRef: { name: 'shop' }, scopes: [{ repository: 'shop/*', actions: ['pull'] }] },
  policy: {
    registryRef: { name: 'shop' },
    schedule: '0 3 * * *',
    repositories: { include: ['shop/*'] },
    rules: { keepLast: 10 },
  },
} satisfies Record<string, Spec>;

const { ionos, selectel, quay, token, policy } = validSpecs;
const ionosWith = (fields: Spec): Spec => ({ ...ionos, ionos: { ...ionos.ionos, ...fields } });
const rulesWith = (fields: Spec): Spec => ({ ...policy, rules: { ...policy.rules, ...fields } });
const native = (fields: Spec): Spec => ({ ...policy, mode: 'Native', ...fields });

const registry = (why: string, spec: Spec, path: string, name?: string): InvalidCase => ({
  why,
  kind: 'ContainerRegistry',
  spec,
  path,
  ...(name === undefined ? {} : { name }),
});
const tok = (why: string, spec: Spec, path: string): InvalidCase => ({
  why,
  kind: 'RegistryToken',
  spec,
  path,
});
const pol = (why: string, spec: Spec, path: string): InvalidCase => ({
  why,
  kind: 'CleanupPolicy',
  spec,
  path,
});

/** Objects rejected at create time. */
export const invalidCases: InvalidCase[] = [
  registry('an unknown provider', { ...ionos, provider: 'harbor' }, 'spec.provider'),
  registry('no credentialsRef', { provider: 'ionos', ionos: ionos.ionos }, 'spec.credentialsRef'),
  registry('provider ionos without its block', { ...selectel, provider: 'ionos' }, 'spec.ionos'),
  registry('a second provider block', { ...ionos, quay: quay.quay }, 'spec.quay'),
  registry('a location that is no location ID', ionosWith({ location: 'de-fra' }), 'spec.ionos.location'),
  registry('an invalid IONOS registry name', ionosWith({ name: 'Shop_Registry' }), 'spec.ionos.name'),
  registry('metadata.name unusable as IONOS name', ionos, 'spec.ionos', 'shop.registry'),
  registry('metadata.name too long for Selectel', selectel, 'spec.selectel', 'a-name-longer-than-twenty'),
  registry(
    'an unknown garbage collection day',
    ionosWith({ garbageCollection: { days: ['Someday'] } }),
    'spec.ionos.garbageCollection.days[0]',
  ),
  registry(
    'a garbage collection day twice',
    ionosWith({ garbageCollection: { days: ['Sunday', 'Sunday'] } }),
    'spec.ionos.garbageCollection.days[1]',
  ),
  registry(
    'a garbage collection time not in UTC form',
    ionosWith({ garbageCollection: { days: ['Sunday'], time: '03:00' } }),
    'spec.ionos.garbageCollection.time',
  ),
  registry(
    'a subnet that is no address',
    ionosWith({ apiSubnetAllowList: ['office-network'] }),
    'spec.ionos.apiSubnetAllowList[0]',
  ),
  registry(
    'more than 25 allowed subnets',
    ionosWith({ apiSubnetAllowList: Array.from({ length: 26 }, (_, i) => `192.0.2.${i}`) }),
    'spec.ionos.apiSubnetAllowList',
  ),
  registry(
    'a Selectel name over 20 characters',
    { ...selectel, selectel: { ...selectel.selectel, name: 'a-name-longer-than-twenty' } },
    'spec.selectel.name',
  ),
  registry(
    'a malformed Selectel project',
    { ...selectel, selectel: { projectId: 'my-project' } },
    'spec.selectel.projectId',
  ),
  registry(
    'an invalid Quay organization',
    { ...quay, quay: { organization: 'Acme Corp' } },
    'spec.quay.organization',
  ),
  registry(
    'a Quay URL that is not http(s)',
    { ...quay, quay: { ...quay.quay, url: 'ftp://quay.example.com' } },
    'spec.quay.url',
  ),
  registry(
    'an unknown Quay repository visibility',
    { ...quay, quay: { ...quay.quay, repositoryVisibility: 'Internal' } },
    'spec.quay.repositoryVisibility',
  ),
  // Issue 18 (smaller ones): the API key goes to the endpoint with every call, so only https, or
  // plain http to a loopback host (the simulators); a name that starts like one is not loopback.
  registry(
    'a plain http IONOS apiEndpoint',
    ionosWith({ apiEndpoint: 'http://api.example.com/containerregistries' }),
    'spec.ionos.apiEndpoint',
  ),
  registry(
    'a plain http apiEndpoint on a host named like localhost',
    ionosWith({ apiEndpoint: 'http://localhost-shop.example.com/containerregistries' }),
    'spec.ionos.apiEndpoint',
  ),
  registry(
    'a plain http apiEndpoint on a host named like 127.x',
    ionosWith({ apiEndpoint: 'http://127.evil.example/containerregistries' }),
    'spec.ionos.apiEndpoint',
  ),
  registry(
    'a plain http Selectel apiEndpoint on a private address',
    { ...selectel, selectel: { ...selectel.selectel, apiEndpoint: 'http://10.0.0.8/api' } },
    'spec.selectel.apiEndpoint',
  ),
  registry(
    'a plain http Selectel identityEndpoint',
    { ...selectel, selectel: { ...selectel.selectel, identityEndpoint: 'http://identity.example/v3' } },
    'spec.selectel.identityEndpoint',
  ),
  // Issue 18: grants say what other namespaces may ask for; a pattern berth cannot compare is refused.
  registry(
    'a grant repository that is a glob, not a scope pattern',
    { ...ionos, grants: [{ repositories: ['team/**'] }] },
    'spec.grants[0].repositories[0]',
  ),
  registry(
    'a grant whose namespaces name none',
    { ...ionos, grants: [{ namespaces: {} }] },
    'spec.grants[0].namespaces',
  ),
  registry(
    'a grant with no cleanup runs per hour',
    { ...ionos, grants: [{ cleanup: { runsPerHour: 0 } }] },
    'spec.grants[0].cleanup.runsPerHour',
  ),
  registry(
    'a grant with a lifetime beyond ten years',
    { ...ionos, grants: [{ maxLifetime: '100000h' }] },
    'spec.grants[0].maxLifetime',
  ),
  registry('an unknown deletionPolicy', { ...ionos, deletionPolicy: 'Orphan' }, 'spec.deletionPolicy'),
  registry(
    'from: Selector without a selector',
    { ...ionos, allowedNamespaces: { from: 'Selector' } },
    'spec.allowedNamespaces.selector',
  ),
  registry(
    'an In requirement without values',
    {
      ...ionos,
      allowedNamespaces: {
        from: 'Selector',
        selector: { matchExpressions: [{ key: 'team', operator: 'In' }] },
      },
    },
    'spec.allowedNamespaces.selector.matchExpressions[0].values',
  ),
  registry('an observeInterval under 30s', { ...ionos, observeInterval: '5s' }, 'spec.observeInterval'),
  registry(
    'an observeInterval that is no duration',
    { ...ionos, observeInterval: '10 minutes' },
    'spec.observeInterval',
  ),

  // Issue 18: the spec is cached per token, so what a tenant can make berth hold per object is bounded.
  tok(
    'a Secret annotation over 1 KiB',
    { ...token, secret: { annotations: { 'example.com/note': 'x'.repeat(1025) } } },
    'spec.secret.annotations.example.com/note',
  ),
  tok('no registryRef', { scopes: token.scopes }, 'spec.registryRef'),
  tok('no scopes', { ...token, scopes: [] }, 'spec.scopes'),
  tok(
    'an upper-case repository',
    { ...token, scopes: [{ repository: 'Shop/*', actions: ['pull'] }] },
    'spec.scopes[0].repository',
  ),
  tok(
    'an unknown action',
    { ...token, scopes: [{ repository: 'shop/*', actions: ['read'] }] },
    'spec.scopes[0].actions[0]',
  ),
  tok(
    'the same repository twice',
    { ...token, scopes: [...token.scopes, { repository: 'shop/*', actions: ['push'] }] },
    'spec.scopes[1]',
  ),
  tok('a lifetime under an hour', { ...token, lifetime: '30m' }, 'spec.lifetime'),
  tok('a lifetime in days', { ...token, lifetime: '30d' }, 'spec.lifetime'),
  tok(
    'renewBefore as long as lifetime',
    { ...token, lifetime: '240h', renewBefore: '240h' },
    'spec.renewBefore',
  ),
  tok('an unknown renewal', { ...token, renewal: 'Refresh' }, 'spec.renewal'),
  tok('rotateEvery with Extend', { ...token, renewal: 'Extend', rotateEvery: '720h' }, 'spec.rotateEvery'),
  tok(
    'gracePeriod as long as rotateEvery',
    { ...token, rotateEvery: '2h', gracePeriod: '2h' },
    'spec.gracePeriod',
  ),
  tok('gracePeriod over a week', { ...token, gracePeriod: '200h' }, 'spec.gracePeriod'),
  tok(
    'gracePeriod beyond renewBefore',
    { ...token, renewBefore: '1h', gracePeriod: '2h' },
    'spec.gracePeriod',
  ),
  tok('an unknown deletionPolicy', { ...token, deletionPolicy: 'Delete' }, 'spec.deletionPolicy'),
  tok('an invalid Secret name', { ...token, secret: { name: 'Shop_Pull' } }, 'spec.secret.name'),
  tok(
    'the managed-by label in the Secret labels',
    { ...token, secret: { labels: { 'app.kubernetes.io/managed-by': 'me' } } },
    'spec.secret.labels',
  ),
  tok('an invalid label key', { ...token, secret: { labels: { 'bad key': 'x' } } }, 'spec.secret.labels'),
  tok('an empty distribute', { ...token, distribute: {} }, 'spec.distribute'),
  tok(
    'an invalid namespace to distribute to',
    { ...token, distribute: { namespaces: ['Not_A_Namespace'] } },
    'spec.distribute.namespaces[0]',
  ),

  pol('a 6-field cron schedule', { ...policy, schedule: '0 0 3 * * *' }, 'spec.schedule'),
  pol('a cron macro', { ...policy, schedule: '@daily' }, 'spec.schedule'),
  pol('minute 60', { ...policy, schedule: '60 3 * * *' }, 'spec.schedule'),
  pol('no schedule in Operator mode', { ...policy, schedule: undefined }, 'spec.schedule'),
  pol('a UTC offset as time zone', { ...policy, timeZone: '+02:00' }, 'spec.timeZone'),
  pol('no repositories included', { ...policy, repositories: { include: [] } }, 'spec.repositories.include'),
  pol(
    'a glob with a space',
    { ...policy, repositories: { include: ['shop /*'] } },
    'spec.repositories.include[0]',
  ),
  pol('rules that keep nothing', { ...policy, rules: { untagged: 'Delete' } }, 'spec.rules'),
  pol('a negative keepLast', rulesWith({ keepLast: -1 }), 'spec.rules.keepLast'),
  pol('an unknown untagged action', rulesWith({ untagged: 'Remove' }), 'spec.rules.untagged'),
  pol('an olderThan under an hour', rulesWith({ olderThan: '10m' }), 'spec.rules.olderThan'),
  pol('maxDeletionsPerRun 0', { ...policy, maxDeletionsPerRun: 0 }, 'spec.maxDeletionsPerRun'),
  pol('maxDeletionsPerRun over 10000', { ...policy, maxDeletionsPerRun: 100_000 }, 'spec.maxDeletionsPerRun'),
  pol('an unknown mode', { ...policy, mode: 'Quay' }, 'spec.mode'),
  pol('a dry run in Native mode', native({ dryRun: true }), 'spec.dryRun'),
  pol('two methods in Native mode', native({ rules: { keepLast: 5, olderThan: '720h' } }), 'spec.rules'),
  pol(
    'untagged: Delete in Native mode',
    native({ rules: { keepLast: 5, untagged: 'Delete' } }),
    'spec.rules.untagged',
  ),
  pol(
    'two tag patterns in Native mode',
    native({ rules: { keepLast: 5, keepTags: ['latest'], tags: { include: ['v*'] } } }),
    'spec.rules',
  ),
];

/** A field change on an existing object that the API server must refuse. */
export interface ImmutableCase {
  why: string;
  spec: Spec;
  change: (spec: Spec) => Spec;
  path: string;
  /** Part of the error message; `immutable` unless the rule says more. */
  message?: string;
}

/** ContainerRegistry fields that pin the provider-side object and must never change. */
export const immutableCases: ImmutableCase[] = [
  {
    why: 'provider',
    spec: ionos,
    change: () => ({ ...selectel }),
    path: 'spec.provider',
  },
  {
    why: 'IONOS location',
    spec: ionos,
    change: (s) => ({ ...s, ionos: { location: 'de/txl' } }),
    path: 'spec.ionos.location',
  },
  {
    why: 'IONOS name',
    spec: ionosWith({ name: 'shop-one' }),
    change: (s) => ({ ...s, ionos: { location: 'de/fra', name: 'shop-two' } }),
    path: 'spec.ionos.name',
  },
  {
    why: 'IONOS name set after creation',
    spec: ionos,
    change: (s) => ({ ...s, ionos: { location: 'de/fra', name: 'shop-two' } }),
    path: 'spec.ionos.name',
  },
  {
    why: 'IONOS vulnerability scanning switched off',
    spec: ionosWith({ vulnerabilityScanning: true }),
    change: (s) => ({ ...s, ionos: { location: 'de/fra', vulnerabilityScanning: false } }),
    path: 'spec.ionos.vulnerabilityScanning',
    message: 'cannot be disabled once enabled',
  },
  {
    why: 'Selectel project',
    spec: selectel,
    change: (s) => ({ ...s, selectel: { projectId: 'fedcba9876543210fedcba9876543210' } }),
    path: 'spec.selectel.projectId',
  },
  // Issue 18 (smaller ones): a changed, added or removed endpoint would send the API key elsewhere.
  {
    why: 'IONOS apiEndpoint',
    spec: ionosWith({ apiEndpoint: 'https://api.example.com/containerregistries' }),
    change: (s) => ({
      ...s,
      ionos: { location: 'de/fra', apiEndpoint: 'https://collector.example/containerregistries' },
    }),
    path: 'spec.ionos.apiEndpoint',
  },
  {
    why: 'IONOS apiEndpoint set after creation',
    spec: ionos,
    change: (s) => ({ ...s, ionos: { location: 'de/fra', apiEndpoint: 'https://collector.example/cr' } }),
    path: 'spec.ionos.apiEndpoint',
  },
  {
    why: 'Selectel apiEndpoint removed',
    spec: { ...selectel, selectel: { ...selectel.selectel, apiEndpoint: 'https://cr.example/api' } },
    change: (s) => ({ ...s, selectel: { ...selectel.selectel } }),
    path: 'spec.selectel.apiEndpoint',
  },
  {
    why: 'Selectel identityEndpoint',
    spec: { ...selectel, selectel: { ...selectel.selectel, identityEndpoint: 'https://id.example/v3' } },
    change: (s) => ({
      ...s,
      selectel: { ...selectel.selectel, identityEndpoint: 'https://collector.example/v3' },
    }),
    path: 'spec.selectel.identityEndpoint',
  },
  {
    why: 'Quay organization',
    spec: quay,
    change: (s) => ({ ...s, quay: { organization: 'other' } }),
    path: 'spec.quay.organization',
  },
  {
    why: 'Quay URL',
    spec: quay,
    change: (s) => ({ ...s, quay: { organization: 'acme', url: 'https://quay.example.com' } }),
    path: 'spec.quay.url',
  },
];
