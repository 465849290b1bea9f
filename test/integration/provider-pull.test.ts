import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCredential, Provider, TokenRegistry } from '../../src/clients/provider.ts';
import { crane, type RunningRegistry, startRegistryWithTokenAuth } from '../../src/dev/registry.ts';
import type { RegistryAccessVerifier } from '../../src/simulators/core/registry-access.ts';
import { RegistryTokenService } from '../../src/simulators/token-service.ts';
import { desiredIonos, startIonosHarness, tokenRegistryOf } from '../support/providers/ionos.ts';
import { startQuay } from '../support/providers/quay.ts';
import { desiredRegistry, startSelectelTestBed } from '../support/providers/selectel.ts';
import { eventually } from './helpers.ts';

const execFileAsync = promisify(execFile);

/** One provider wired for the test: its adapter, the registry as issued against, and the image path. */
interface Wired {
  provider: Provider;
  registry: TokenRegistry;
  /** Repository path on the registry for an image the credential may push, e.g. `shop/app`. */
  repository: string;
  /** Repository pattern for the credential's scope, as that provider names repositories. */
  scope: string;
  verifier: RegistryAccessVerifier;
  /** Moves the simulator's clock, for expiry; absent where credentials never expire (Quay robots). */
  advance?: (ms: number) => void;
  stop(): Promise<void>;
}

type Wiring = (registryHost: string) => Promise<Wired>;

// Each provider's adapter creates the registry (or organization) at its simulator and issues a
// credential there; the credential then goes to a real CNCF registry through the token service.
const providers: Record<string, Wiring> = {
  ionos: async (registryHost) => {
    const h = await startIonosHarness({ sim: { registryHost } });
    const desired = desiredIonos('berth-shop');
    await h.provider.registries.create(desired);
    const ready = await eventually(
      async () => {
        const seen = await h.provider.registries.observe({ name: 'berth-shop' }, desired);
        return seen?.ready ? seen : undefined;
      },
      { what: 'IONOS registry Running' },
    );
    return {
      provider: h.provider,
      registry: tokenRegistryOf(ready, desired),
      repository: 'shop/app',
      scope: 'shop/*',
      verifier: h.sim.registryAccess,
      advance: (ms) => h.sim.advance(ms),
      stop: h.close,
    };
  },
  selectel: async (registryHost) => {
    const bed = await startSelectelTestBed({ registryHost });
    const provider = bed.provider();
    const desired = desiredRegistry('shop');
    await provider.registries.create(desired);
    const ready = await eventually(
      async () => {
        const seen = await provider.registries.observe({ name: 'shop' }, desired);
        return seen?.ready ? seen : undefined;
      },
      { what: 'Selectel registry ACTIVE' },
    );
    return {
      provider,
      registry: {
        externalId: ready.externalId,
        name: ready.name,
        server: ready.server ?? registryHost,
        desired,
      },
      repository: 'shop/app',
      scope: '*',
      verifier: bed.sim.registryAccess,
      advance: (ms) => bed.sim.advance(ms),
      stop: bed.stop,
    };
  },
  quay: async (registryHost) => {
    const q = await startQuay({ registryHost });
    const desired = q.desired('acme');
    const created = await q.provider.registries.create(desired);
    return {
      provider: q.provider,
      registry: {
        externalId: created.externalId,
        name: created.name,
        server: created.server ?? registryHost,
        desired,
      },
      repository: 'acme/app',
      scope: 'app',
      verifier: q.sim.registryAccess,
      stop: q.close,
    };
  },
};

describe.each(Object.entries(providers))('%s: a credential issued through the simulator', (_, wire) => {
  const verifiers: RegistryAccessVerifier[] = [];
  const tokens = new RegistryTokenService({ verifiers, tokenTtlSeconds: 30 });
  let registry: RunningRegistry;
  let wired: Wired;
  let work: string;
  // The credential and the pushed image the later tests use, made once by whichever test runs
  // first, so each test also runs on its own (`-t`).
  let pushed: Promise<{ issued: IssuedCredential; digest: string }> | undefined;
  const issueAndPush = () => {
    pushed ??= (async () => {
      const issued = await wired.provider.tokens.issue({
        registry: wired.registry,
        name: 'berth-test-1',
        scopes: [{ repository: wired.scope, actions: ['pull', 'push'] }],
        expiresAt: new Date(Date.now() + 2 * 3_600_000),
      });
      const config = join(work, 'docker');
      await crane(
        ['auth', 'login', issued.login.server, '-u', issued.login.username, '-p', issued.login.password],
        config,
      );
      const image = `${registry.host}/${wired.repository}:v1`;
      await crane(['append', '-f', join(work, 'layer.tar'), '-t', image], config);
      return { issued, digest: await crane(['digest', image], config) };
    })();
    return pushed;
  };

  beforeAll(async () => {
    await tokens.start();
    registry = await startRegistryWithTokenAuth({ ...tokens, realm: tokens.realm, jwks: tokens.jwks });
    wired = await wire(registry.host);
    verifiers.push(wired.verifier);
    work = await mkdtemp(join(tmpdir(), 'berth-pull-'));
    await writeFile(join(work, 'f.txt'), 'hello\n');
    await execFileAsync('tar', ['-cf', join(work, 'layer.tar'), '-C', work, 'f.txt']);
  });
  afterAll(async () => {
    await wired?.stop();
    await registry?.stop();
    await tokens.stop();
  });

  it('logs in to the real registry, pushes and pulls', async () => {
    const { issued, digest } = await issueAndPush();
    expect(issued.login.server).toBe(registry.host);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('is refused by the registry once expired, where credentials expire', async (ctx) => {
    if (!wired.advance) return ctx.skip();
    await issueAndPush();
    // A minute is asked for; IONOS grants at least its hour (plus berth's margin): the expiry the
    // adapter reports is what the provider granted, and it is what runs out.
    const shortLived = await wired.provider.tokens.issue({
      registry: wired.registry,
      name: 'berth-test-short',
      scopes: [{ repository: wired.scope, actions: ['pull'] }],
      expiresAt: new Date(Date.now() + 60_000),
    });
    const granted = shortLived.expiresAt?.getTime() ?? 0;
    expect(granted).toBeGreaterThanOrEqual(Date.now() + 50_000);
    const config = join(work, 'docker-short');
    const { server, username, password } = shortLived.login;
    await crane(['auth', 'login', server, '-u', username, '-p', password], config);
    const image = `${registry.host}/${wired.repository}:v1`;
    expect(await crane(['digest', image], config)).toMatch(/^sha256:/);
    wired.advance(granted - Date.now() + 60_000);
    await expect(crane(['digest', image], config)).rejects.toThrow(/UNAUTHORIZED|401/);
  });

  it('is refused by the registry once revoked', async () => {
    const { issued } = await issueAndPush();
    await wired.provider.tokens.revoke(wired.registry, issued.id);
    const config = join(work, 'docker');
    await expect(crane(['digest', `${registry.host}/${wired.repository}:v1`], config)).rejects.toThrow(
      /UNAUTHORIZED|401/,
    );
    expect(await wired.provider.tokens.observe(wired.registry, issued.id)).toBeUndefined();
  });
});
