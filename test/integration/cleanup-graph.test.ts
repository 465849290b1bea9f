import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEANUP_POLICY } from '../../src/controllers/cleanup-policy/controller.ts';
import type { RunningRegistry } from '../../src/dev/registry.ts';
import type { RunningSimulators } from '../../src/simulators/all.ts';
import { type ImageGraph, pushImageGraph } from '../support/image-graph.ts';
import { canPull } from '../support/pull-check.ts';
import type { RegistryLogin } from '../support/registry-http.ts';
import { installBerthCrds } from './berth-crds.ts';
import { readyRegistryId, requestRun } from './cleanup-runs.ts';
import { adminKubeConfig, createNamespace } from './helpers.ts';
import { PROVIDERS, providerRegistries } from './provider-registries.ts';
import { type ProviderStack, startProviderStack } from './stack.ts';

// Issue 22's end-to-end proof: on the real registry behind each provider simulator (whose
// listings are a view of it), a CleanupPolicy with keepLast and `untagged: Delete` deletes the old
// tags and the unreferenced untagged manifests, and keeps a multi-arch image pullable on every
// platform with its signatures, attestation and OCI 1.1 referrer. Pulls are made with the test's
// own registry client (test/support), never with berth's.

const kc = adminKubeConfig();
const custom = kc.makeApiClient(CustomObjectsApi);
const core = kc.makeApiClient(CoreV1Api);
const HOUR = 3_600_000;
const PLATFORMS = ['linux/amd64', 'linux/arm64'];

interface RunItem {
  repository: string;
  tag?: string;
  tags?: string[];
  digest?: string;
  of?: string;
  action: string;
  reason: string;
}
type Policy = {
  status?: {
    lastHandledRunRequestAt?: string;
    lastRun?: { dryRun: boolean; deleted: number; failed: number; notEffective?: string };
    lastRunItems?: RunItem[];
  };
};

/** How one provider is set up: a pusher login, where images live, how to age them. */
interface GraphCase {
  /** A login that may push, pull and delete in the repository, and its path on the registry. */
  pusher(externalId: string): Promise<{ login: RegistryLogin; path: string }>;
  /** Ages a manifest (by digest, or by tag where the provider keeps times per tag). */
  age(
    externalId: string,
    graph: ImageGraph,
    digest: string,
    tag: string | undefined,
    at: number,
  ): Promise<void>;
  /** Whether the provider lists untagged manifests at all (Quay lists tags only). */
  listsUntagged: boolean;
  /** Whether a manifest item reported Deleted is gone from the registry, not only its tags (Quay keeps it for its GC). */
  removesManifests: boolean;
}

describe('CleanupPolicy keeps multi-arch images, signatures and referrers whole (real registry)', () => {
  let namespace: string;
  let sims: RunningSimulators;
  let registry: RunningRegistry;
  let stack: ProviderStack;

  const cases: Record<string, GraphCase> = {
    ionos: {
      async pusher(id) {
        const token = sims.ionos.addToken(id, {
          name: 'graph-pusher',
          scopes: [{ name: 'graph/*', type: 'repository', actions: ['pull', 'push', 'delete'] }],
        });
        return { login: { username: 'graph-pusher', password: token.password }, path: 'graph/app' };
      },
      age: (id, g, digest, _tag, at) => sims.ionos.setPushedAt(id, g.repository, digest, new Date(at)),
      listsUntagged: true,
      removesManifests: true,
    },
    selectel: {
      async pusher() {
        const projectId = sims.endpoints.selectel.projectId;
        const secret = `graph-${process.pid}-${Math.random().toString(36).slice(2)}`;
        // A v1 token: read/write on every registry of the project, as `docker login` to CRaaS uses.
        sims.selectel.state.tokensV1.set(secret, {
          secret,
          projectId,
          ttlMs: 24 * HOUR,
          expiresAt: Date.now() + 24 * HOUR,
          revoked: false,
        });
        return { login: { username: 'token', password: secret }, path: 'graph-selectel/app' };
      },
      // Selectel keeps no push time per image: ages follow the repository's last change, and
      // keepLast ranks by the image config's time, which the simulator takes from these.
      age: (id, _g, digest, _tag, at) => sims.selectel.setPushedAt(id, 'app', digest, new Date(at)),
      listsUntagged: true,
      removesManifests: true,
    },
    quay: {
      async pusher(org) {
        const robot = sims.quay.addRobot(org, 'pusher');
        sims.quay.addRepository(org, 'app').permissions.set(`${org}+pusher`, 'write');
        return { login: { username: `${org}+pusher`, password: robot.token }, path: `${org}/app` };
      },
      // Quay keeps a start time per tag: age each tag of the graph.
      age: async (org, _g, digest, tag, at) => {
        if (tag !== undefined) await sims.quay.setPushedAt(org, 'app', tag, at);
        else await sims.quay.setPushedAt(org, 'app', digest, at);
      },
      listsUntagged: false,
      removesManifests: false,
    },
  };

  const runNow = (name: string) => requestRun<Policy>(custom, namespace, name, 90_000);

  beforeAll(async () => {
    namespace = await createNamespace(kc, 'cgraph');
    await installBerthCrds(kc, namespace);
    stack = await startProviderStack(kc, namespace);
    ({ sims, registry } = stack);
  });
  afterAll(() => stack?.stop());

  describe.each(PROVIDERS)('%s', (provider) => {
    it('deletes old tags and unreferenced untagged manifests, and every kept image still pulls for every platform with its signature', {
      timeout: 240_000,
    }, async () => {
      const c = cases[provider] as GraphCase;
      const at = providerRegistries(sims.endpoints)[provider];
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: `api-${provider}` }, stringData: at.secret },
      });
      const regName = `graph-${provider}`;
      const id = await readyRegistryId(custom, namespace, regName, at.spec);
      const { login, path } = await c.pusher(id);
      const host = registry.host;
      const g = await pushImageGraph(host, login, path);
      // Push times, oldest first: every manifest is older than minAge, so only the rules decide.
      const tagOf = new Map(Object.entries(g.tags).map(([tag, digest]) => [digest, tag]));
      const ages = g.pushOrder.map((digest, i) => ({ digest, at: Date.now() - (10 * 24 - i) * HOUR }));
      for (const { digest, at } of ages) await c.age(id, g, digest, tagOf.get(digest), at);

      const name = `graph-${provider}`;
      await custom.createNamespacedCustomObject({
        ...CLEANUP_POLICY,
        namespace,
        body: {
          apiVersion: 'berth.dev/v1alpha1',
          kind: 'CleanupPolicy',
          metadata: { name },
          spec: {
            registryRef: { name: regName },
            schedule: '0 3 * * *',
            // Runs only when asked, whatever the hour.
            suspend: true,
            dryRun: false,
            repositories: { include: ['**'] },
            // Two images, not signatures: the index and app-v3 are the newest images.
            rules: { keepLast: 2, untagged: 'Delete', minAge: '1h' },
            maxDeletionsPerRun: 100,
          },
        },
      });
      const run = await runNow(name);
      const items = run.status?.lastRunItems ?? [];
      expect(run.status?.lastRun?.failed).toBe(0);
      expect(run.status?.lastRun?.notEffective).toBeUndefined();

      // What the report calls Deleted: exactly the old tags and (where listed) the untagged leftovers.
      const deleted = items.filter((i) => i.action === 'Deleted');
      const expected = [...g.older.map((o) => o.digest), ...(c.listsUntagged ? g.untagged : [])].sort();
      expect(deleted.map((i) => i.digest).sort()).toEqual(expected);
      // ... and it is gone: the tags no longer pull, nor (where the provider deletes manifests) the digests.
      for (const o of g.older) expect(await canPull(host, login, `${path}:${o.tag}`)).toBe(false);
      if (c.removesManifests) {
        for (const d of expected) expect(await canPull(host, login, `${path}@${d}`)).toBe(false);
      }

      // Every kept image pulls, for every platform, with its signature, attestation and referrer.
      for (const platform of PLATFORMS)
        expect(await canPull(host, login, `${path}:${g.multi.tag}`, { platform })).toBe(true);
      expect(await canPull(host, login, `${path}:${g.app.tag}`)).toBe(true);
      expect(await canPull(host, login, `${path}:${g.app.signature.tag}`)).toBe(true);
      if (g.app.attestation)
        expect(await canPull(host, login, `${path}:${g.app.attestation.tag}`)).toBe(true);
      if (g.multi.signature)
        expect(await canPull(host, login, `${path}:${g.multi.signature.tag}`)).toBe(true);
      expect(await canPull(host, login, `${path}@${g.app.referrer.digest}`)).toBe(true);
      if (g.app.referrersTag)
        expect(await canPull(host, login, `${path}:${g.app.referrersTag.tag}`)).toBe(true);

      // The report says why, grouped with the image each belongs to.
      const kept = (digest: string) => items.find((i) => i.action === 'Kept' && i.digest === digest);
      expect(kept(g.app.signature.digest)).toMatchObject({
        of: g.app.digest,
        reason: expect.stringMatching(/^signature of kept/),
      });
      if (c.listsUntagged) {
        for (const platform of PLATFORMS) {
          expect(kept(g.multi.platforms[platform] as string)).toMatchObject({
            of: g.multi.digest,
            reason: expect.stringMatching(/^platform manifest of kept index/),
          });
        }
        expect(kept(g.app.referrer.digest)).toMatchObject({
          of: g.app.digest,
          reason: expect.stringMatching(/^referrer of kept/),
        });
      }
      const appAt = items.findIndex((i) => i.digest === g.app.digest);
      const sigAt = items.findIndex((i) => i.digest === g.app.signature.digest);
      if (appAt >= 0) expect(sigAt).toBeGreaterThan(appAt);
    });
  });
});
