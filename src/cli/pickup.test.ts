import { describe, expect, it } from 'vitest';
import { pollRun } from './commands/cleanup.ts';
import { pollRotation } from './commands/rotate.ts';
import type { Kube } from './kube.ts';
import type { BerthObject } from './objects.ts';
import { notPickedUp, PICKUP_GRACE_MS } from './pickup.ts';
import { fakeIo } from './testing/fake-io.ts';
import { waitFor } from './wait.ts';

// Issue 20 item 4a: `berth cleanup run` and `berth rotate` said "not running?" on their very first
// look, before a running operator could have seen the request.
const NOT_RUNNING = 'not running? berth check';

/** A Kube whose get always answers `obj`, as the API server would while nothing answers the request. */
function kubeWith(obj: BerthObject): Kube {
  return { custom: { getNamespacedCustomObject: async () => structuredClone(obj) } } as unknown as Kube;
}

const policy: BerthObject = {
  apiVersion: 'berth.dev/v1alpha1',
  kind: 'CleanupPolicy',
  metadata: { name: 'retention', namespace: 'shop' },
  spec: {},
  status: { lastHandledRunRequestAt: 'an-older-request' },
};
const token: BerthObject = {
  apiVersion: 'berth.dev/v1alpha1',
  kind: 'RegistryToken',
  metadata: { name: 'pull', namespace: 'shop' },
  spec: {},
  status: { credentialId: 'cred-1' },
};

describe('a request the operator has not picked up yet', () => {
  it('is only waited for at first; "not running?" comes after the grace period', () => {
    expect(notPickedUp(0)).toBe('waiting for the operator to pick up the request');
    expect(notPickedUp(PICKUP_GRACE_MS - 1)).not.toContain(NOT_RUNNING);
    expect(notPickedUp(PICKUP_GRACE_MS)).toBe(
      `the operator has not picked up the request within 10s (${NOT_RUNNING})`,
    );
  });

  it('berth cleanup run: the first look does not say "not running?", a late one does', async () => {
    const kube = kubeWith(policy);
    const first = await pollRun(kube, policy, 'new-request', 0);
    expect(first).toEqual({
      waiting: 'running CleanupPolicy shop/retention: waiting for the operator to pick up the request',
    });
    const late = await pollRun(kube, policy, 'new-request', 12_000);
    expect(late).toMatchObject({ waiting: expect.stringContaining(NOT_RUNNING) });
  });

  it('berth rotate: the first look does not say "not running?", a late one does', async () => {
    const kube = kubeWith(token);
    const askedAt = Date.parse('2026-06-01T12:00:00Z');
    const req = { token, value: 'new-request', before: 'cred-1', beforeName: undefined, askedAt };
    const first = await pollRotation(kube, req, askedAt + 500);
    expect(first).toEqual({
      waiting:
        'rotating RegistryToken shop/pull: waiting for the operator to pick up the request; not looked at by the operator yet',
    });
    const late = await pollRotation(kube, req, askedAt + PICKUP_GRACE_MS);
    expect(late).toMatchObject({ waiting: expect.stringContaining(NOT_RUNNING) });
  });

  it('a whole wait on the injected clock: one line while waiting, one once it is late, each once', async () => {
    const io = fakeIo();
    const askedAt = io.now();
    await expect(
      waitFor(io, () => pollRun(kubeWith(policy), policy, 'new-request', io.now() - askedAt), {
        timeoutMs: 15_000,
        what: 'the run',
        signal: new AbortController().signal,
      }),
    ).rejects.toThrow(`timed out after 15s waiting for the run; last seen: running CleanupPolicy`);
    expect(io.stderr).toEqual([
      'running CleanupPolicy shop/retention: waiting for the operator to pick up the request\n',
      `running CleanupPolicy shop/retention: the operator has not picked up the request within 10s (${NOT_RUNNING})\n`,
    ]);
  });
});
