// The fixtures of issue 22's end-to-end test against a real CNCF distribution registry: the graph
// is what it claims, a second client (crane) reads it the same way, and the pull checks fail when
// something is gone, so a cleanup test built on them can fail too.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/dev/ports.ts';
import {
  crane,
  type RunningRegistry,
  startRegistry,
  startRegistryWithTokenAuth,
} from '../../src/dev/registry.ts';
import { RegistryTokenService } from '../../src/simulators/token-service.ts';
import { pushImageGraph } from './image-graph.ts';
import { COSIGN_SIMPLESIGNING, DSSE_ENVELOPE } from './oci-content.ts';
import { canPull, deleteManifest, fetchManifest, listTags } from './pull-check.ts';
import { type RegistryLogin, RegistrySession } from './registry-http.ts';

describe('image graph on a real registry (htpasswd)', { timeout: 60_000 }, () => {
  let registry: RunningRegistry;
  let work: string;
  const login: RegistryLogin = { username: 'pusher', password: randomUUID() };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-image-graph-'));
    // bcrypt's lowest cost: the registry checks the hash on every request, and a graph is hundreds.
    const hash = bcrypt.hashSync(login.password, 4);
    await writeFile(join(work, 'htpasswd'), `${login.username}:${hash}\n`, { mode: 0o600 });
    registry = await startRegistry({ auth: { htpasswd: { realm: 'berth', path: join(work, 'htpasswd') } } });
    await crane(
      ['auth', 'login', registry.host, '-u', login.username, '-p', login.password],
      join(work, 'docker'),
    );
  });
  afterAll(async () => {
    await registry?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('pushes an index whose platforms pull, signed images, a referrer, older tags and untagged manifests', async () => {
    const { host } = registry;
    const g = await pushImageGraph(host, login, 'shop/graph');
    const repo = `${host}/${g.repository}`;

    expect(await listTags(host, login, g.repository)).toEqual(
      [
        'v1',
        'v2',
        'app-v3',
        g.app.signature.tag,
        g.app.attestation?.tag,
        g.app.referrersTag?.tag,
        'multi',
        g.multi.signature?.tag,
      ].sort(),
    );
    expect(g.app.signature.tag).toBe(`sha256-${g.app.digest.slice('sha256:'.length)}.sig`);
    for (const platform of ['linux/amd64', 'linux/arm64'])
      expect(await canPull(host, login, `${repo}:multi`, { platform })).toBe(true);
    expect(await canPull(host, login, `${repo}:multi`)).toBe(true);
    expect(await canPull(host, login, `${repo}:multi`, { platform: 'linux/s390x' })).toBe(false);
    for (const digest of [...Object.values(g.multi.platforms), ...g.untagged, g.app.digest])
      expect(await canPull(host, login, `${repo}@${digest}`)).toBe(true);

    const signature = await fetchManifest(host, login, `${repo}:${g.app.signature.tag}`);
    expect(signature?.digest).toBe(g.app.signature.digest);
    expect(signature?.json.layers?.[0]?.mediaType).toBe(COSIGN_SIMPLESIGNING);
    const attestation = await fetchManifest(host, login, `${repo}:${g.app.attestation?.tag}`);
    expect(attestation?.json.layers?.[0]?.mediaType).toBe(DSSE_ENVELOPE);
    expect(await canPull(host, login, `${repo}:${g.multi.signature?.tag}`)).toBe(true);

    const sbom = await fetchManifest(host, login, `${repo}@${g.app.referrer.digest}`);
    expect(sbom?.json.artifactType).toBe('application/spdx+json');
    expect(sbom?.json.subject?.digest).toBe(g.app.digest);
    expect(await canPull(host, login, `${repo}@${g.app.referrer.digest}`)).toBe(true);
    // Distribution serves no referrers API, so the referrer is listed under the fallback tag.
    expect(g.app.referrersTag?.tag).toBe(`sha256-${g.app.digest.slice('sha256:'.length)}`);
    const listing = await fetchManifest(host, login, `${repo}:${g.app.referrersTag?.tag}`);
    expect(listing?.json.manifests?.map((m) => [m.digest, m.artifactType])).toEqual([
      [g.app.referrer.digest, 'application/spdx+json'],
    ]);

    expect(new Set(g.pushOrder).size).toBe(g.pushOrder.length);
    expect(g.pushOrder.slice(0, 2)).toEqual(g.older.map((o) => o.digest));
    expect(g.pushOrder.at(-2)).toBe(g.multi.digest); // then only the index's signature

    // A second client reads the same graph: crane resolves the tag and each platform to our digests.
    const docker = join(work, 'docker');
    expect(await crane(['digest', `${repo}:multi`], docker)).toBe(g.multi.digest);
    for (const [platform, digest] of Object.entries(g.multi.platforms))
      expect(await crane(['digest', '--platform', platform, `${repo}:multi`], docker)).toBe(digest);
    await crane(['pull', '--platform', 'linux/arm64', `${repo}:multi`, join(work, 'arm64.tar')], docker);
  });

  it('never gives two graphs a common digest', async () => {
    const a = await pushImageGraph(registry.host, login, 'shop/twin', { olderTags: ['v1'], untagged: 1 });
    const b = await pushImageGraph(registry.host, login, 'shop/twin', { olderTags: ['v1'], untagged: 1 });
    expect(a.pushOrder.filter((d) => b.pushOrder.includes(d))).toEqual([]);
  });

  it('loses the tag with the index but keeps its platform manifests pullable by digest', async () => {
    const { host } = registry;
    const g = await pushImageGraph(host, login, 'shop/index-delete');
    const repo = `${host}/${g.repository}`;

    expect(await deleteManifest(host, login, g.repository, g.multi.digest)).toBe(true);

    expect(await canPull(host, login, `${repo}:multi`, { platform: 'linux/arm64' })).toBe(false);
    expect(await fetchManifest(host, login, `${repo}@${g.multi.digest}`)).toBeUndefined();
    expect(await listTags(host, login, g.repository)).not.toContain('multi');
    for (const digest of Object.values(g.multi.platforms))
      expect(await canPull(host, login, `${repo}@${digest}`)).toBe(true);
    expect(await deleteManifest(host, login, g.repository, g.multi.digest)).toBe(false);
  });

  it('says false once a manifest or one of its layers is gone', async () => {
    const { host } = registry;
    const g = await pushImageGraph(host, login, 'shop/gone');
    const repo = `${host}/${g.repository}`;
    const [v1] = g.older;
    if (!v1) throw new Error('no older image');

    expect(await deleteManifest(host, login, g.repository, v1.digest)).toBe(true);
    expect(await canPull(host, login, `${repo}:v1`)).toBe(false);
    expect(await canPull(host, login, `${repo}@${v1.digest}`)).toBe(false);
    expect(await canPull(host, login, `${repo}:v2`)).toBe(true);

    // The manifest is still there, its layer is not: a pull fails, and so must the check.
    const untagged = g.untagged[0] ?? '';
    const layer = (await fetchManifest(host, login, `${repo}@${untagged}`))?.json.layers?.[0]?.digest;
    const session = new RegistrySession(host, login);
    await session.expect([202], 'DELETE', g.repository, `blobs/${layer}`);
    expect(await fetchManifest(host, login, `${repo}@${untagged}`)).toBeDefined();
    expect(await canPull(host, login, `${repo}@${untagged}`)).toBe(false);
  });

  it('throws, never says false, when the login is refused or the registry is not there', async () => {
    const { host } = registry;
    const wrong = { username: login.username, password: `not-${login.password}` };
    const refused = canPull(host, wrong, `${host}/shop/graph:v1`);
    await expect(refused).rejects.toThrow(/HTTP 401/);
    await expect(refused).rejects.not.toThrow(wrong.password);
    await expect(canPull(host, undefined, `${host}/shop/graph:v1`)).rejects.toThrow(/HTTP 401/);
    const nowhere = `127.0.0.1:${await freePort()}`;
    await expect(canPull(nowhere, login, `${nowhere}/shop/graph:v1`)).rejects.toThrow();
  });
});

describe('image graph on a registry behind the simulators’ token service', { timeout: 60_000 }, () => {
  const tokens = new RegistryTokenService({
    verifiers: [
      {
        verify: (username, password) =>
          username === 'robot' && password === 'robot-secret'
            ? (repository) => (repository.startsWith('shop/') ? ['pull', 'push', 'delete'] : [])
            : undefined,
      },
    ],
  });
  let registry: RunningRegistry;

  beforeAll(async () => {
    await tokens.start();
    registry = await startRegistryWithTokenAuth({
      realm: tokens.realm,
      service: tokens.service,
      issuer: tokens.issuer,
      jwks: tokens.jwks,
    });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens.stop();
  });

  it('pushes, pulls and deletes with bearer tokens, and a refused scope throws', async () => {
    const { host } = registry;
    const login = { username: 'robot', password: 'robot-secret' };
    const g = await pushImageGraph(host, login, 'shop/tokens', { olderTags: ['v1'], untagged: 1 });
    expect(await canPull(host, login, `${host}/shop/tokens:multi`, { platform: 'linux/arm64' })).toBe(true);
    expect(await deleteManifest(host, login, g.repository, g.untagged[0] ?? '')).toBe(true);
    expect(await canPull(host, login, `${host}/shop/tokens@${g.untagged[0]}`)).toBe(false);
    await expect(canPull(host, login, `${host}/other/tokens:v1`)).rejects.toThrow(/HTTP 401/);
  });
});
