import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type QuayHarness, ROBOT_PUT, robotPath, startQuay } from '../../../test/support/providers/quay.ts';
import { ConflictError } from '../http/errors.ts';

// Issue 19: a self-hosted Quay behind gunicorn closes idle connections after 2 s; a robot create
// written to such a connection as it closed failed with "other side closed" and a Warning.

let h: QuayHarness;
beforeEach(async () => {
  h = await startQuay();
  h.sim.addOrganization('acme');
});
afterEach(() => h.close());

/**
 * Two calls at once, then a pause: the pool holds two idle connections to Quay. An issue reads
 * the repositories first, and undici sends the PUT that follows at once on another connection
 * than the one that just answered (it checks that one for a close first): here, the second.
 */
async function idleConnections(): Promise<void> {
  const list = () => h.provider.tokens.listOwned(h.registry('acme'), 'berth-');
  await Promise.all([list(), list()]);
  await new Promise((r) => setTimeout(r, 20));
}

describe('robot create on a pooled connection Quay closed', () => {
  it('issues the robot without an error: the PUT goes out once more, at once', async () => {
    await idleConnections();
    h.sim.server.faults.schedule({ kind: 'reset' }, { match: { method: 'PUT', path: robotPath } });
    const issued = await h.provider.tokens.issue({
      registry: h.registry('acme'),
      name: 'berth-ci-1',
      scopes: [],
    });
    expect(issued.login.username).toBe('acme+berth-ci-1');
    expect(h.sim.robot('acme', 'berth-ci-1')?.token).toBe(issued.login.password);
    expect(h.sim.server.counts()[ROBOT_PUT]).toBe(2);
    expect(h.delays).toEqual([]);
  });

  it('never makes a second robot: when Quay did act on the first PUT, the second is a conflict', async () => {
    await idleConnections();
    // Quay creates the robot and the connection closes before the answer.
    h.sim.server.faults.schedule({ kind: 'loseResponse' }, { match: { method: 'PUT', path: robotPath } });
    await expect(
      h.provider.tokens.issue({ registry: h.registry('acme'), name: 'berth-ci-1', scopes: [] }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(h.sim.server.counts()[ROBOT_PUT]).toBe(2);
    expect([...(h.sim.organization('acme')?.robots.keys() ?? [])]).toEqual(['berth-ci-1']);
  });
});
