import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Agent, type Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionError,
  ForbiddenError,
  NotFoundError,
  ProviderError,
  UnauthorizedError,
} from '../../src/clients/http/errors.ts';
import { createOciClient, type OciClient } from '../../src/clients/oci/client.ts';
import { DeletesDisabledError } from '../../src/clients/oci/errors.ts';
import {
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
  OCI_INDEX,
  OCI_MANIFEST,
} from '../../src/clients/oci/schemas.ts';
import type { ScopeAction } from '../../src/clients/provider.ts';
import {
  crane,
  type RunningRegistry,
  startRegistry,
  startRegistryWithTokenAuth,
  writeHtpasswd,
} from '../../src/dev/registry.ts';
import { type RegistryAccessVerifier, repositoryMatches } from '../../src/simulators/core/registry-access.ts';
import { RegistryTokenService } from '../../src/simulators/token-service.ts';

const execFileAsync = promisify(execFile);

/** A credential table standing in for a provider simulator's state. */
class TableVerifier implements RegistryAccessVerifier {
  readonly logins = new Map<
    string,
    { password: string; scopes: { repository: string; actions: ScopeAction[] }[] }
  >();
  verify(username: string, password: string) {
    const login = this.logins.get(username);
    if (!login || login.password !== password) return undefined;
    return (repository: string) =>
      login.scopes.filter((s) => repositoryMatches(s.repository, repository)).flatMap((s) => s.actions);
  }
}

/** An undici agent that records every request it dispatches (path and Authorization header). */
function recordingAgent() {
  const agent = new Agent();
  const seen: { method: string; path: string; authorization: string | undefined }[] = [];
  const dispatcher = agent.compose(
    (dispatch: Dispatcher['dispatch']) => (opts: Dispatcher.DispatchOptions, handler) => {
      const headers = (opts.headers ?? {}) as Record<string, string>;
      seen.push({ method: opts.method, path: opts.path, authorization: headers.authorization });
      return dispatch(opts, handler);
    },
  );
  return { agent, dispatcher, seen };
}

/** Apparent bytes below `dir` (files and directories), as `du -sb` reports them. */
async function diskBytes(dir: string): Promise<number> {
  const { stdout } = await execFileAsync('du', ['-sb', dir]);
  return Number(stdout.split('\t')[0]);
}

async function collect(items: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

const PUSH_PASSWORD = 'push-secret-oci-1';
const PULL_PASSWORD = 'pull-secret-oci-1';
const BASIC_PASSWORD = 'basic-secret-oci-1';

describe('the OCI client against a real distribution registry', () => {
  const table = new TableVerifier();
  const tokens = new RegistryTokenService({ verifiers: [table], tokenTtlSeconds: 30 });
  const recorder = recordingAgent();
  let registry: RunningRegistry;
  let basicRegistry: RunningRegistry;
  let work: string;
  const layers: Record<string, string> = {};
  const digests: Record<string, string> = {};
  /** crane, logged in as the pusher of the token registry. */
  let push: (args: string[]) => Promise<string>;
  let pusher: OciClient;
  let puller: OciClient;
  /** Every error a client threw in this file, checked for leaked secrets at the end. */
  const thrown: ProviderError[] = [];

  const cli = async (host: string, user: string, password: string) => {
    const dir = join(work, `docker-${host.replace(/\W/g, '_')}-${user}`);
    await crane(['auth', 'login', host, '-u', user, '-p', password], dir);
    return (args: string[]) => crane(args, dir);
  };
  const client = (baseHost: string, username: string, password: string, pageSize = 2) =>
    createOciClient({
      baseUrl: `http://${baseHost}`,
      provider: 'ionos',
      credentials: { username, password },
      dispatcher: recorder.dispatcher,
      pageSize,
      retry: { retries: 1, baseDelayMs: 50 },
    });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-oci-'));
    // Incompressible layers of distinct content, so garbage collection has measurable bytes to free.
    for (const [name, bytes] of [
      ['a', 64 * 1024],
      ['b', 64 * 1024],
      ['c', 64 * 1024],
      ['d', 1024 * 1024],
      ['e', 16 * 1024],
    ] as const) {
      const dir = join(work, `layer-${name}`);
      await execFileAsync('mkdir', ['-p', dir]);
      await writeFile(join(dir, `${name}.bin`), randomBytes(bytes));
      layers[name] = join(work, `layer-${name}.tar`);
      await execFileAsync('tar', ['-cf', layers[name], '-C', dir, `${name}.bin`]);
    }
    table.logins.set('pusher', {
      password: PUSH_PASSWORD,
      scopes: [{ repository: 'shop/*', actions: ['pull', 'push', 'delete'] }],
    });
    table.logins.set('puller', {
      password: PULL_PASSWORD,
      scopes: [{ repository: 'shop/*', actions: ['pull'] }],
    });
    await tokens.start();
    registry = await startRegistryWithTokenAuth({ ...tokens, realm: tokens.realm, jwks: tokens.jwks });

    push = await cli(registry.host, 'pusher', PUSH_PASSWORD);
    const repo = `${registry.host}/shop/app`;
    await push(['append', '-f', layers.a as string, '-t', `${repo}:a`]);
    await push(['tag', `${repo}:a`, 'a-alias']);
    await push(['append', '-f', layers.b as string, '-t', `${repo}:b`]);
    await push(['append', '--oci-empty-base', '-f', layers.c as string, '-t', `${repo}:c`]);
    await push(['append', '-f', layers.d as string, '-t', `${repo}:d`]);
    for (const tag of ['a', 'b', 'c', 'd']) digests[tag] = await push(['digest', `${repo}:${tag}`]);
    await push([
      'index',
      'append',
      '-m',
      `${repo}@${digests.c}`,
      '-m',
      `${repo}@${digests.b}`,
      '-t',
      `${repo}:multi`,
    ]);
    await push([
      'index',
      'append',
      '--docker-empty-base',
      '-m',
      `${repo}@${digests.a}`,
      '-m',
      `${repo}@${digests.b}`,
      '-t',
      `${repo}:list`,
    ]);
    for (const tag of ['multi', 'list']) digests[tag] = await push(['digest', `${repo}:${tag}`]);

    const htpasswd = join(work, 'htpasswd');
    await writeHtpasswd(htpasswd, { robot: BASIC_PASSWORD });
    basicRegistry = await startRegistry({ auth: { htpasswd: { realm: 'berth', path: htpasswd } } });
    const basicPush = await cli(basicRegistry.host, 'robot', BASIC_PASSWORD);
    for (const name of ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'])
      await basicPush(['append', '-f', layers.e as string, '-t', `${basicRegistry.host}/lib/${name}:v1`]);

    pusher = client(registry.host, 'pusher', PUSH_PASSWORD);
    puller = client(registry.host, 'puller', PULL_PASSWORD);
  });
  afterAll(async () => {
    await pusher?.close();
    await puller?.close();
    await recorder.agent.close();
    await registry?.stop();
    await basicRegistry?.stop();
    await tokens.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('pages through tags with Link headers behind the bearer challenge', async () => {
    const before = recorder.seen.length;
    const tags = await collect(puller.tags('shop/app'));
    expect(tags.sort()).toEqual(['a', 'a-alias', 'b', 'c', 'd', 'list', 'multi']);
    const pages = recorder.seen.slice(before).filter((r) => r.path.startsWith('/v2/shop/app/tags/list'));
    // 7 tags at n=2: 4 pages, plus the first page's unauthenticated attempt that earned the challenge.
    expect(new Set(pages.map((p) => p.path)).size).toBeGreaterThanOrEqual(4);
    expect(pages.at(-1)?.authorization).toMatch(/^Bearer /);
    expect(tokens.log.some((l) => l.username === 'puller' && l.status === 200)).toBe(true);
  });

  it('reads image manifests, an OCI index and a Docker manifest list with their digests', async () => {
    const cases = [
      ['a', DOCKER_MANIFEST, 'image'],
      ['c', OCI_MANIFEST, 'image'],
      ['multi', OCI_INDEX, 'index'],
      ['list', DOCKER_MANIFEST_LIST, 'index'],
    ] as const;
    for (const [tag, mediaType, kind] of cases) {
      const head = await puller.headManifest('shop/app', tag);
      const got = await puller.getManifest('shop/app', tag);
      const raw = await push(['manifest', `${registry.host}/shop/app:${tag}`]);
      expect(head).toEqual({ digest: digests[tag], mediaType, size: Buffer.byteLength(raw) });
      expect(got).toMatchObject({ digest: digests[tag], mediaType, size: head?.size, manifest: { kind } });
      // By digest, too: the digest a HEAD reports names the same bytes.
      expect((await puller.getManifest('shop/app', got.digest)).digest).toBe(got.digest);
      if (got.manifest.kind === 'image') {
        const layer = got.manifest.layers[0];
        expect(got.manifest.layers).toHaveLength(1);
        expect(got.imageSize).toBe(got.manifest.config.size + (layer?.size ?? 0));
        expect(layer?.size).toBeGreaterThan(64 * 1024);
      } else {
        expect(got.imageSize).toBeUndefined();
      }
    }
    const multi = await puller.getManifest('shop/app', 'multi');
    expect(multi.manifest.kind === 'index' && multi.manifest.manifests.map((m) => m.digest)).toEqual([
      digests.c,
      digests.b,
    ]);
    expect(await puller.headManifest('shop/app', 'no-such-tag')).toBeUndefined();
    const missing = await failure(puller.getManifest('shop/app', 'no-such-tag'));
    expect(missing).toBeInstanceOf(NotFoundError);
    thrown.push(missing);
  });

  it('refuses a delete with a pull-only credential, and the manifest stays', async () => {
    const err = await failure(puller.deleteManifest('shop/app', digests.d as string));
    expect(err instanceof UnauthorizedError || err instanceof ForbiddenError).toBe(true);
    expect(err.message).not.toContain(PULL_PASSWORD);
    thrown.push(err);
    expect(await push(['digest', `${registry.host}/shop/app:d`])).toBe(digests.d);
  });

  it('deletes manifests by digest, idempotently, and garbage collection then frees their blobs', async () => {
    const d = await pusher.getManifest('shop/app', 'd');
    const storage = join(registry.dir, 'storage');
    const before = await diskBytes(storage);

    await pusher.deleteManifest('shop/app', digests.d as string);
    await pusher.deleteManifest('shop/app', digests.multi as string);
    await pusher.deleteManifest('shop/app', digests.d as string); // again: 404, not an error
    await expect(push(['digest', `${registry.host}/shop/app:d`])).rejects.toThrow();
    await expect(push(['digest', `${registry.host}/shop/app:multi`])).rejects.toThrow();
    expect(await pusher.headManifest('shop/app', digests.d as string)).toBeUndefined();
    // Other digests and their tags stay, including the index's children (they are tagged themselves).
    for (const tag of ['a', 'a-alias', 'b', 'c', 'list'])
      expect(await push(['digest', `${registry.host}/shop/app:${tag}`])).toBe(
        digests[tag === 'a-alias' ? 'a' : tag],
      );
    expect((await collect(pusher.tags('shop/app'))).sort()).toEqual(['a', 'a-alias', 'b', 'c', 'list']);

    // Deleting a manifest only unlinks it; the bytes go when the registry collects garbage. The
    // registry is idle (nothing pushes), which is what distribution asks of an online collection.
    const unlinked = await diskBytes(storage);
    await registry.garbageCollect({ deleteUntagged: true });
    const after = await diskBytes(storage);
    console.warn(
      `[oci-client] registry storage: ${before} bytes before deleting, ${unlinked} after deleting, ` +
        `${after} after garbage collection (${before - after} bytes freed; image d declared ${d.imageSize})`,
    );
    expect(after).toBeLessThan(before);
    expect(before - after).toBeGreaterThanOrEqual(d.imageSize ?? Number.POSITIVE_INFINITY);
    // What is still tagged is whole: every blob of it (and of the list's children) is still there.
    for (const tag of ['a', 'b', 'c', 'list'])
      await push(['validate', '--remote', `${registry.host}/shop/app:${tag}`]);
  });

  it('pages through the catalog and deletes with Basic auth on an htpasswd registry', async () => {
    const robot = client(basicRegistry.host, 'robot', BASIC_PASSWORD);
    try {
      const before = recorder.seen.length;
      const repositories = await collect(robot.catalog());
      expect(repositories).toEqual(['lib/r1', 'lib/r2', 'lib/r3', 'lib/r4', 'lib/r5', 'lib/r6']);
      const pages = recorder.seen.slice(before).filter((r) => r.path.startsWith('/v2/_catalog'));
      expect(new Set(pages.map((p) => p.path)).size).toBeGreaterThanOrEqual(3);
      expect(pages.at(-1)?.authorization).toMatch(/^Basic /);

      const basic = await cli(basicRegistry.host, 'robot', BASIC_PASSWORD);
      const digest = await basic(['digest', `${basicRegistry.host}/lib/r1:v1`]);
      expect(await robot.headManifest('lib/r1', 'v1')).toMatchObject({ digest, mediaType: DOCKER_MANIFEST });
      expect(await collect(robot.tags('lib/r1'))).toEqual(['v1']);
      await robot.deleteManifest('lib/r1', digest);
      await robot.deleteManifest('lib/r1', digest);
      expect(await robot.headManifest('lib/r1', 'v1')).toBeUndefined();
      // r2 shares the layer and config but is its own repository: untouched.
      expect(await robot.headManifest('lib/r2', 'v1')).toMatchObject({ digest });
    } finally {
      await robot.close();
    }
  });

  it('names no credential or token in any error it throws', async () => {
    const wrongBearer = client(registry.host, 'puller', 'wrong-password-oci');
    const wrongBasic = client(basicRegistry.host, 'robot', 'wrong-basic-oci-pw');
    const unreachable = createOciClient({
      baseUrl: 'http://127.0.0.1:1',
      provider: 'ionos',
      credentials: { username: 'robot', password: BASIC_PASSWORD },
      retry: { retries: 0 },
    });
    try {
      const cases = [
        [() => wrongBearer.headManifest('shop/app', 'a'), UnauthorizedError],
        [() => wrongBasic.getManifest('lib/r2', 'v1'), UnauthorizedError],
        [() => collect(wrongBasic.catalog()), UnauthorizedError],
        [() => puller.deleteManifest('shop/app', digests.a as string), UnauthorizedError],
        [() => pusher.getManifest('other/app', 'v1'), UnauthorizedError],
        [() => collect(pusher.catalog()), UnauthorizedError], // the token service grants no catalog scope
        [() => unreachable.headManifest('lib/r2', 'v1'), ConnectionError],
      ] as const;
      // Called one at a time, so a failed expectation leaves no rejection unhandled.
      for (const [call, type] of cases) {
        const err = await failure(call());
        expect(err).toBeInstanceOf(type);
        thrown.push(err);
      }
    } finally {
      await wrongBearer.close();
      await wrongBasic.close();
      await unreachable.close();
    }
    const secrets = new Set<string>([PUSH_PASSWORD, PULL_PASSWORD, BASIC_PASSWORD, 'wrong-password-oci']);
    for (const { authorization } of recorder.seen) {
      if (!authorization) continue;
      const value = authorization.replace(/^(Bearer|Basic) /, '');
      secrets.add(value);
      if (authorization.startsWith('Bearer ')) for (const part of value.split('.')) secrets.add(part);
    }
    expect([...secrets].some((s) => s.startsWith('ey'))).toBe(true); // real bearer tokens were seen
    expect(thrown.length).toBeGreaterThanOrEqual(9);
    for (const err of thrown) {
      const text = `${err.message}\n${JSON.stringify(err.context)}\n${err.stack}\n${String(err.cause ?? '')}`;
      for (const secret of secrets) expect(text, `${err.name}: ${err.message}`).not.toContain(secret);
    }
  });

  it('reports disabled deletes (405) as DeletesDisabledError', async () => {
    // startRegistry always enables deletes; this stand-in answers as distribution does without them.
    const server = createServer((_req, res) => {
      res.writeHead(405, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ errors: [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }] }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const oci = createOciClient({ baseUrl: `http://127.0.0.1:${port}`, provider: 'quay' });
    try {
      const err = await failure(oci.deleteManifest('shop/app', digests.a as string));
      expect(err).toBeInstanceOf(DeletesDisabledError);
      expect(err.message).toMatch(/deletes are disabled.*UNSUPPORTED/);
      expect(err.status).toBe(405);
    } finally {
      await oci.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
