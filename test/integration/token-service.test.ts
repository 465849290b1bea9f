import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScopeAction } from '../../src/clients/provider.ts';
import { crane, type RunningRegistry, startRegistryWithTokenAuth } from '../../src/dev/registry.ts';
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

// The real CNCF registry trusts the simulators' token service: this is how later tests prove that
// a credential issued through a simulator really pulls, and stops pulling once revoked.
describe('the registry token service in front of a real distribution registry', () => {
  const table = new TableVerifier();
  const tokens = new RegistryTokenService({ verifiers: [table], tokenTtlSeconds: 30 });
  let registry: RunningRegistry;
  let work: string;
  let layer: string;

  beforeAll(async () => {
    await tokens.start();
    registry = await startRegistryWithTokenAuth({ ...tokens, realm: tokens.realm, jwks: tokens.jwks });
    work = await mkdtemp(join(tmpdir(), 'berth-token-'));
    await writeFile(join(work, 'f.txt'), 'layer\n');
    layer = join(work, 'layer.tar');
    await execFileAsync('tar', ['-cf', layer, '-C', work, 'f.txt']);
    table.logins.set('pusher', {
      password: 'push-secret-1',
      scopes: [{ repository: 'shop/*', actions: ['pull', 'push'] }],
    });
    table.logins.set('puller', {
      password: 'pull-secret-1',
      scopes: [{ repository: 'shop/*', actions: ['pull'] }],
    });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens.stop();
  });

  const as = async (user: string, password: string) => {
    const dir = join(work, user);
    await crane(['auth', 'login', registry.host, '-u', user, '-p', password], dir);
    return (args: string[]) => crane(args, dir);
  };

  it('lets a push-scoped credential push and a pull-scoped one pull, but not push', async () => {
    const image = `${registry.host}/shop/app:v1`;
    const pusher = await as('pusher', 'push-secret-1');
    await pusher(['append', '-f', layer, '-t', image]);
    const puller = await as('puller', 'pull-secret-1');
    expect(await puller(['digest', image])).toMatch(/^sha256:/);
    // crane's wording depends on where the refusal lands (a 401 challenge, or a manifest PUT whose
    // retry has no body): what matters is that the push fails and the tag does not appear.
    await expect(puller(['append', '-f', layer, '-t', `${registry.host}/shop/app:v2`])).rejects.toThrow();
    expect((await pusher(['ls', `${registry.host}/shop/app`])).split('\n')).toEqual(['v1']);
    expect(
      tokens.log.some((l) => l.username === 'puller' && l.granted.some((g) => g.actions.includes('pull'))),
    ).toBe(true);
  });

  it('grants nothing outside the credential scopes', async () => {
    const pusher = await as('pusher', 'push-secret-1');
    await expect(pusher(['append', '-f', layer, '-t', `${registry.host}/other/app:v1`])).rejects.toThrow();
    await expect(pusher(['digest', `${registry.host}/other/app:v1`])).rejects.toThrow();
  });

  it('refuses a wrong password and, once revoked, a credential that worked', async () => {
    const image = `${registry.host}/shop/app:v1`;
    const wrong = await as('puller', 'not-the-password');
    await expect(wrong(['digest', image])).rejects.toThrow(/UNAUTHORIZED|401/);
    const puller = await as('puller', 'pull-secret-1');
    expect(await puller(['digest', image])).toMatch(/^sha256:/);
    table.logins.delete('puller');
    await expect(puller(['digest', image])).rejects.toThrow(/UNAUTHORIZED|401/);
  });
});
