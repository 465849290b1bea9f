import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  tokenRegistry,
} from '../../../test/support/providers/selectel.ts';
import { ConnectionError } from '../http/errors.ts';

// Issue 19: creates go out once more after a pooled connection closed unanswered only where the
// provider refuses a second credential of the same name. CRaaS does not (token names need not be
// unique), so a second copy of a create it did act on would mint a second, unrecorded secret.

let bed: SelectelTestBed;
beforeAll(async () => {
  bed = await startSelectelTestBed();
});
afterAll(() => bed.stop());

describe('token create on a pooled connection CRaaS closed', () => {
  it('is not sent again: the error says so, and no token exists', async () => {
    const registry = tokenRegistry(bed.sim, bed.sim.addRegistry(TEST_PROJECT, 'shop'));
    const provider = bed.provider();
    await provider.tokens.listOwned(registry, 'berth-');
    await new Promise((r) => setTimeout(r, 20));
    bed.sim.server.faults.schedule({ kind: 'reset' }, { match: { method: 'POST', path: /\/v2\/tokens$/ } });
    const err = await provider.tokens
      .issue({ registry, name: 'berth-a', scopes: [{ repository: '*', actions: ['pull'] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(/closed the connection before answering .*not sent again/);
    expect(bed.sim.server.counts()['POST /api/v2/tokens']).toBe(1);
    expect(bed.sim.tokens()).toEqual([]);
  });
});
