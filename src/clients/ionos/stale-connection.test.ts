import { afterEach, describe, expect, it } from 'vitest';
import {
  type IonosHarness,
  seededTokenRegistry,
  startIonosHarness,
} from '../../../test/support/providers/ionos.ts';
import { ConflictError } from '../http/errors.ts';

// Issue 19: a server that closes idle connections sooner than berth made a token create fail with
// "other side closed" and a Warning. IONOS token names are unique per registry (409), so the
// create may go out once more after a pooled connection closed unanswered.

let h: IonosHarness;
afterEach(() => h?.close());

const POST_TOKENS = 'POST /containerregistries/registries/:registryId/tokens';
const pull = [{ repository: 'shop/*', actions: ['pull' as const] }];
const posts = () => h.sim.server.log.filter((e) => e.route === POST_TOKENS).length;

async function setup() {
  const frozen = Date.now();
  h = await startIonosHarness({ sim: { now: () => frozen } });
  const registry = seededTokenRegistry(h.sim, 'shop');
  // A call, then a pause: berth's shared pool holds an idle connection to the API.
  await h.provider.tokens.listOwned(registry, 'berth-');
  await new Promise((r) => setTimeout(r, 20));
  return registry;
}

describe('token create on a pooled connection IONOS closed', () => {
  it('issues the token without an error: the POST goes out once more, at once', async () => {
    const registry = await setup();
    h.sim.server.faults.schedule({ kind: 'reset' }, { match: { method: 'POST' } });
    const issued = await h.provider.tokens.issue({ registry, name: 'berth-x-1', scopes: pull });
    expect(h.sim.registryAccess.verify(issued.login.username, issued.login.password)).toBeDefined();
    expect(posts()).toBe(2);
    expect([...h.sim.registry(registry.externalId).tokens.values()].map((t) => t.name)).toEqual([
      'berth-x-1',
    ]);
    expect(h.sleeps).toEqual([]);
  });

  it('never makes a second token: when IONOS did act on the first POST, the second is a 409', async () => {
    const registry = await setup();
    h.sim.server.faults.schedule({ kind: 'loseResponse' }, { match: { method: 'POST' } });
    await expect(
      h.provider.tokens.issue({ registry, name: 'berth-x-1', scopes: pull }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(posts()).toBe(2);
    expect([...h.sim.registry(registry.externalId).tokens.values()].map((t) => t.name)).toEqual([
      'berth-x-1',
    ]);
  });
});
