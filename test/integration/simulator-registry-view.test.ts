import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimulatorsWithRegistry, startSimulatorsWithRegistry } from '../../src/dev/providers.ts';
import { crane } from '../../src/dev/registry.ts';
import { RegistryClient, sha256 } from '../../src/simulators/core/registry-client.ts';

const execFileAsync = promisify(execFile);
const HOUR = 3_600_000;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';

/**
 * The simulators' listings are a view of the real registry behind them: what is pushed shows with
 * its digest, tags and type; what a provider API deletes stops pulling; a moved tag shows moved.
 */
describe('simulator listings view the real registry', () => {
  let stack: SimulatorsWithRegistry;
  let work: string;
  let host: string;
  /** The simulators' own all-powerful client, to push what crane cannot (an OCI 1.1 referrer). */
  let internal: RegistryClient;

  beforeAll(async () => {
    stack = await startSimulatorsWithRegistry({ processMs: 50 });
    host = stack.registry.host;
    work = await mkdtemp(join(tmpdir(), 'berth-view-'));
    internal = new RegistryClient(host, (access) => stack.sims.tokenService.issueInternal(access));
    stack.sims.quay.setRateLimits(false);
  });
  afterAll(() => stack?.stop());

  /** A crane bound to one docker login. */
  const loggedIn = async (name: string, username: string, password: string) => {
    const dir = join(work, name);
    await crane(['auth', 'login', host, '-u', username, '-p', password], dir);
    return (args: string[]) => crane(args, dir);
  };
  /** Pushes a one-layer image with unique content; resolves its digest. */
  const pushImage = async (run: (a: string[]) => Promise<string>, ref: string, content: string) => {
    const dir = await mkdtemp(join(work, 'layer-'));
    await writeFile(join(dir, 'f.txt'), content);
    await execFileAsync('tar', ['-cf', join(dir, 'l.tar'), '-C', dir, 'f.txt']);
    await run(['append', '-f', join(dir, 'l.tar'), '-t', ref]);
    return run(['digest', ref]);
  };
  /**
   * Pushes a two-platform index tagged `tag`, its platform manifests untagged by digest as a
   * multi-arch build pushes them (built in `scratch`, so nothing else lands in `repo`).
   */
  const pushIndex = async (
    run: (a: string[]) => Promise<string>,
    scratch: string,
    repo: string,
    tag: string,
  ) => {
    const platforms: string[] = [];
    for (const arch of ['amd64', 'arm64']) {
      await pushImage(run, `${scratch}:${arch}`, `${repo} ${arch}`);
      const pushed = await run([
        'mutate',
        '--set-platform',
        `linux/${arch}`,
        '--repo',
        repo,
        `${scratch}:${arch}`,
      ]);
      platforms.push(pushed.slice(pushed.lastIndexOf('@') + 1));
    }
    await run([
      'index',
      'append',
      ...platforms.flatMap((d) => ['-m', `${repo}@${d}`]),
      '-t',
      `${repo}:${tag}`,
    ]);
    return { index: await run(['digest', `${repo}:${tag}`]), platforms };
  };
  const pulls = (run: (a: string[]) => Promise<string>, ref: string) =>
    run(['digest', ref]).then(
      () => true,
      () => false,
    );
  /** A GET of a simulator route as JSON. */
  const get = async (url: string, headers: Record<string, string>) => {
    const res = await fetch(url, { headers });
    expect(res.status, url).toBe(200);
    return res.json() as Promise<Record<string, unknown>>;
  };

  it('IONOS lists pushed manifests, index platforms and referrers as artifacts, and follows deletes and moved tags', async () => {
    const { ionos } = stack.sims;
    const registry = ionos.addRegistry({ name: 'viewionos' });
    const token = ionos.addToken(registry.id, {
      name: 'pusher',
      scopes: [{ name: 'team/*', type: 'repository', actions: ['pull', 'push', 'delete'] }],
    });
    const run = await loggedIn('ionos', 'pusher', token.password);
    const repo = `${host}/team/app`;
    const a = await pushImage(run, `${repo}:v1`, 'ionos a');
    await run(['tag', `${repo}:v1`, 'v2']);
    const b = await pushImage(run, `${repo}:other`, 'ionos b');
    const multi = await pushIndex(run, `${host}/team/scratch`, repo, 'multi');
    const referrer = await pushReferrer(internal, 'team/app', a);
    ionos.pushArtifact(registry.id, 'team/seeded', { tags: ['only-seeded'] });

    const auth = { authorization: `Bearer ${ionos.apiToken}` };
    const artifacts = async () => {
      const body = await get(
        `${ionos.url}/registries/${registry.id}/repositories/${encodeURIComponent('team/app')}/artifacts?limit=1000`,
        auth,
      );
      const items = body.items as {
        properties: { digest: string; tags: string[]; mediaType: string };
        metadata: { lastPushedAt: string };
      }[];
      return new Map(
        items.map((i) => [i.properties.digest, { ...i.properties, pushedAt: i.metadata.lastPushedAt }]),
      );
    };
    let listed = await artifacts();
    expect(listed.get(a)).toMatchObject({ tags: ['v1', 'v2'], mediaType: DOCKER_MANIFEST });
    expect(listed.get(b)?.tags).toEqual(['other']);
    expect(listed.get(multi.index)).toMatchObject({ tags: ['multi'], mediaType: INDEX });
    // IONOS lists the platform manifests of an index as untagged artifacts of their own.
    for (const p of multi.platforms) expect(listed.get(p)?.tags).toEqual([]);
    expect(listed.get(referrer)).toMatchObject({ tags: [], mediaType: OCI_MANIFEST });
    expect(listed.size).toBe(6);

    // Its repositories: the paths its token pushed to, and the seeded one.
    const repositories = await get(`${ionos.url}/registries/${registry.id}/repositories`, auth);
    expect((repositories.items as { id: string }[]).map((r) => r.id).sort()).toEqual([
      'team/app',
      'team/scratch',
      'team/seeded',
    ]);

    // An older image: the registry records no push time, a test sets one.
    const old = new Date(Date.now() - 48 * HOUR);
    await ionos.setPushedAt(registry.id, 'team/app', b, old);
    expect((await artifacts()).get(b)?.pushedAt).toBe(old.toISOString().replace(/\.\d{3}Z$/, 'Z'));

    // A tag moved in the registry shows on its new digest at once.
    await run(['tag', `${repo}@${b}`, 'v2']);
    listed = await artifacts();
    expect(listed.get(a)?.tags).toEqual(['v1']);
    expect(listed.get(b)?.tags).toEqual(['other', 'v2']);

    // IONOS deletes through the OCI API: the listing follows.
    await run(['delete', `${repo}@${a}`]);
    expect(await pulls(run, `${repo}:v1`)).toBe(false);
    listed = await artifacts();
    expect(listed.has(a)).toBe(false);
    expect(listed.has(b)).toBe(true);

    // Deleting the repository through the API deletes its manifests in the registry.
    const gone = await fetch(
      `${ionos.url}/registries/${registry.id}/repositories/${encodeURIComponent('team/app')}`,
      { method: 'DELETE', headers: auth },
    );
    expect(gone.status).toBe(204);
    expect(await pulls(run, `${repo}:other`)).toBe(false);
    expect(await pulls(run, `${repo}:multi`)).toBe(false);
  });

  it('Quay lists the registry tags, and a tag DELETE removes just that tag from the registry', async () => {
    const { quay } = stack.sims;
    quay.addOrganization('viewquay');
    const robot = quay.addRobot('viewquay', 'pusher');
    for (const name of ['app', 'scratch'])
      quay.addRepository('viewquay', name).permissions.set('viewquay+pusher', 'write');
    const run = await loggedIn('quay', 'viewquay+pusher', robot.token);
    const repo = `${host}/viewquay/app`;
    const a = await pushImage(run, `${repo}:keep`, 'quay a');
    await run(['tag', `${repo}:keep`, 'drop']);
    const b = await pushImage(run, `${repo}:moving`, 'quay b');
    const multi = await pushIndex(run, `${host}/viewquay/scratch`, repo, 'multi');
    quay.pushTag('viewquay', 'app', 'seeded-only', { pushedAt: Date.now() - HOUR });
    // A seeded row on a real tag's digest is bound to it and keeps its push time.
    quay.pushTag('viewquay', 'app', 'keep', { digest: a, pushedAt: Date.now() - 3 * HOUR });

    const auth = { authorization: `Bearer ${quay.token}` };
    const tags = async (activeOnly = true) => {
      const body = await get(
        `${quay.url}/api/v1/repository/viewquay/app/tag/?limit=100&onlyActiveTags=${activeOnly}`,
        auth,
      );
      return body.tags as {
        name: string;
        manifest_digest: string;
        is_manifest_list: boolean;
        size: number | null;
        end_ts?: number;
        start_ts: number;
      }[];
    };
    const active = async () => new Map((await tags()).map((t) => [t.name, t]));
    let listed = await active();
    expect([...listed.keys()].sort()).toEqual(['drop', 'keep', 'moving', 'multi', 'seeded-only']);
    expect(listed.get('keep')).toMatchObject({ manifest_digest: a, is_manifest_list: false });
    expect(listed.get('keep')?.size).toBeGreaterThan(0);
    expect(listed.get('keep')?.start_ts).toBeLessThan(Date.now() / 1000 - 2 * 3600);
    expect(listed.get('multi')).toMatchObject({
      manifest_digest: multi.index,
      is_manifest_list: true,
      size: null,
    });

    await quay.setPushedAt('viewquay', 'app', 'moving', Date.now() - 5 * HOUR);
    expect((await active()).get('moving')?.start_ts).toBeLessThan(Date.now() / 1000 - 4 * 3600);

    const deleted = await fetch(`${quay.url}/api/v1/repository/viewquay/app/tag/drop`, {
      method: 'DELETE',
      headers: auth,
    });
    expect(deleted.status).toBe(204);
    expect(await pulls(run, `${repo}:drop`)).toBe(false);
    // Quay keeps the manifest while another tag names it.
    expect(await pulls(run, `${repo}:keep`)).toBe(true);
    listed = await active();
    expect(listed.has('drop')).toBe(false);
    expect(listed.get('keep')?.manifest_digest).toBe(a);

    // Moved in the registry: the active row is on the new digest, the old one ended in the history.
    await run(['tag', `${repo}@${a}`, 'moving']);
    expect((await active()).get('moving')?.manifest_digest).toBe(a);
    const history = (await tags(false)).filter((t) => t.name === 'moving');
    expect(history.find((t) => t.manifest_digest === b)?.end_ts).toBeDefined();

    // A tag that expires in Quay is gone from the registry once Quay's clock passes its expiration.
    const soon = Math.floor(Date.now() / 1000) + 60;
    const expire = await fetch(`${quay.url}/api/v1/repository/viewquay/app/tag/keep`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ expiration: soon }),
    });
    expect(expire.status).toBe(201);
    expect((await active()).has('keep')).toBe(true);
    quay.setClock(() => Date.now() + 120_000);
    try {
      expect((await active()).has('keep')).toBe(false);
      expect(await pulls(run, `${repo}:keep`)).toBe(false);
      expect(await pulls(run, `${repo}:moving`)).toBe(true);
    } finally {
      quay.setClock(Date.now);
    }
  });

  it('Selectel lists images with their layers and platform, refuses an index child, and cleanup deletes in the registry', async () => {
    const { selectel } = stack.sims;
    const projectId = stack.sims.endpoints.selectel.projectId;
    const registry = selectel.addRegistry(projectId, 'viewsel');
    const secret = `view-${Date.now()}`;
    selectel.state.tokensV1.set(secret, {
      secret,
      projectId,
      ttlMs: HOUR,
      expiresAt: Date.now() + HOUR,
      revoked: false,
    });
    const run = await loggedIn('selectel', 'token', secret);
    const repo = `${host}/viewsel/app`;
    const a = await pushImage(run, `${repo}:old`, 'selectel a');
    const b = await pushImage(run, `${repo}:new`, 'selectel b');
    const multi = await pushIndex(run, `${host}/viewsel/scratch`, repo, 'multi');
    selectel.addImage(registry.id, 'app', { tags: ['seeded-only'] });

    const auth = { 'x-auth-token': selectel.issueIamToken(projectId) };
    const base = `${selectel.apiEndpoint}/v1/registries/${registry.id}/repositories`;
    const images = async () => {
      const body = await get(
        `${selectel.apiEndpoint}/v2/registries/${registry.id}/repositories/app/images?limit=100`,
        auth,
      );
      const list = body.images as {
        digest: string;
        tags: string[];
        mediaType: string;
        size: number;
        layers: { size: number }[];
        architecture: string;
        os: string;
      }[];
      return new Map(list.map((i) => [i.digest, i]));
    };
    const listed = await images();
    expect(listed.get(a)).toMatchObject({ tags: ['old'], mediaType: DOCKER_MANIFEST });
    expect(listed.get(a)?.size).toBe(listed.get(a)?.layers.reduce((n, l) => n + l.size, 0));
    expect(listed.get(multi.index)).toMatchObject({ tags: ['multi'], mediaType: INDEX });
    expect(listed.get(multi.platforms[1] as string)).toMatchObject({
      tags: [],
      architecture: 'arm64',
      os: 'linux',
    });
    expect(listed.size).toBe(6); // a, b, the index, its two platforms, the seeded image
    const repos = await fetch(`${base}`, { headers: auth }).then(
      (r) => r.json() as Promise<{ name: string }[]>,
    );
    expect(repos.map((r) => r.name)).toEqual(['app', 'scratch']);

    const cleanup = await fetch(`${base}/app/cleanup`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ tags: ['old'], digests: [multi.platforms[0]], disable_gc: true }),
    });
    expect(await cleanup.json()).toEqual({
      deleted: [{ digest: a, tags: ['old'] }],
      failed: [{ digest: multi.platforms[0], error: 'Image is referenced by another manifest', tags: [] }],
    });
    expect(await pulls(run, `${repo}:old`)).toBe(false);
    expect(await pulls(run, `${repo}:new`)).toBe(true);
    expect(await pulls(run, `${repo}@${multi.platforms[0]}`)).toBe(true);
    const after = await images();
    expect(after.has(a)).toBe(false);
    expect(after.has(b)).toBe(true);

    // Selectel shows no push time per image, only the repository's last change, which follows a
    // push time a test sets to age an image.
    const aged = await pushImage(run, `${host}/viewsel/aged:v1`, 'selectel aged');
    const monthAgo = new Date(Date.now() - 30 * 24 * HOUR);
    await selectel.setPushedAt(registry.id, 'aged', aged, monthAgo);
    const repository = await get(`${base}/aged`, auth);
    // Times carry fractional seconds, as the real service sends them (craas-go fixtures).
    expect(Date.parse(repository.updatedAt as string)).toBe(monthAgo.getTime());
  });
});

/** Pushes an untagged OCI 1.1 artifact whose `subject` is `subject` (as `oras attach` would). */
async function pushReferrer(client: RegistryClient, repository: string, subject: string): Promise<string> {
  const empty = Buffer.from('{}');
  const emptyDigest = await client.putBlob(repository, empty);
  const target = await client.manifest(repository, subject);
  if (!target) throw new Error(`no ${subject} in ${repository}`);
  const descriptor = {
    mediaType: 'application/vnd.oci.empty.v1+json',
    digest: emptyDigest,
    size: empty.length,
  };
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.example.sbom',
      config: descriptor,
      layers: [descriptor],
      subject: { mediaType: target.mediaType, digest: subject, size: target.bytes.length },
    }),
  );
  return client.putManifest(repository, sha256(manifest), manifest, OCI_MANIFEST);
}
