import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  TEST_USER,
} from '../../../test/support/providers/selectel.ts';
import { createProviderFactory } from '../../clients/factory.ts';
import { CleanupPolicySchema } from '../../crds/cleanup-policy.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import { policyRequest } from './fake-request.ts';
import { plainImage } from './plan.fixtures.ts';
import { type CleanupDeps, CleanupPolicyReconciler } from './reconcile.ts';

// The reconciler with an injected clock, against the Selectel simulator: runs happen at the
// scheduled wall-clock time of the policy's time zone, and missed slots collapse into one run.
describe('CleanupPolicy scheduling with an injected clock', () => {
  let bed: SelectelTestBed;
  let registry: ContainerRegistry;
  const HOUR = 3_600_000;
  // The simulator follows the injected clock: a run issues a read credential that must not be
  // born expired on the provider's clock.
  let simNow = Date.UTC(2026, 5, 1);

  beforeAll(async () => {
    bed = await startSelectelTestBed({ now: () => simNow });
    const reg = bed.sim.addRegistry(TEST_PROJECT, 'sched');
    for (let i = 0; i < 12; i++) {
      bed.sim.addImage(reg.id, 'app', {
        tags: [`t${i}`],
        pushedAt: new Date(Date.UTC(2026, 5, 1) - i * 24 * HOUR),
      });
    }
    registry = {
      apiVersion: 'berth.dev/v1alpha1',
      kind: 'ContainerRegistry',
      metadata: { name: 'sched', namespace: 'ns' },
      spec: {
        provider: 'selectel',
        credentialsRef: { name: 'creds' },
        selectel: {
          projectId: TEST_PROJECT,
          apiEndpoint: bed.sim.apiEndpoint,
          identityEndpoint: bed.sim.identityEndpoint,
        },
        deletionPolicy: 'Retain',
        adoptionPolicy: 'Never',
        allowedNamespaces: { from: 'Same' },
        observeInterval: '10m',
      },
      status: {
        externalId: reg.id,
        server: bed.sim.registryHost,
        registryName: 'sched',
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Succeeded',
            message: '',
            lastTransitionTime: '2026-06-01T00:00:00Z',
          },
        ],
      },
    } as unknown as ContainerRegistry;
  });
  afterAll(() => bed?.stop());

  const reconciler = (extra: Partial<CleanupDeps> = {}) =>
    new CleanupPolicyReconciler({
      providers: createProviderFactory({ registryHost: '127.0.0.1:5000' }),
      readCredentials: async () => ({
        username: TEST_USER.username,
        password: TEST_USER.password,
        accountId: TEST_USER.accountId,
      }),
      getRegistry: async () => registry,
      namespaceLabels: async () => ({}),
      oci: () => ({
        deleteManifest: async () => 'deleted' as const,
        exists: async () => false,
        facts: plainImage,
      }),
      ...extra,
    });
  const policy = CleanupPolicySchema.parse({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'CleanupPolicy',
    metadata: {
      name: 'p',
      namespace: 'ns',
      uid: 'u-1',
      creationTimestamp: '2026-06-01T12:00:00Z',
      generation: 1,
    },
    spec: {
      registryRef: { name: 'sched' },
      schedule: '0 3 * * *',
      timeZone: 'Europe/Berlin',
      dryRun: true,
      repositories: { include: ['**'] },
      rules: { keepLast: 5 },
    },
  });
  const request = (now: number, status: Record<string, unknown>) => {
    simNow = now;
    return policyRequest(policy, status, () => now);
  };

  it('runs at 03:00 Berlin time (01:00Z in summer), not before, and requeues for the next slot', async () => {
    const status: Record<string, unknown> = {};
    const before = await reconciler().reconcile(request(Date.UTC(2026, 5, 2, 0, 59), status));
    expect(status.lastRunAt).toBeUndefined();
    expect(status.nextRunAt).toBe('2026-06-02T01:00:00Z');
    expect(before.requeueAfterMs).toBe(60_000);

    await reconciler().reconcile(request(Date.UTC(2026, 5, 2, 1, 0, 5), status));
    expect(status.lastRunAt).toBe('2026-06-02T01:00:05Z');
    expect((status.lastRun as { deleted: number }).deleted).toBe(7);
    expect(status.nextRunAt).toBe('2026-06-03T01:00:00Z');
  });

  it('in winter the same schedule runs at 02:00Z', async () => {
    const status: Record<string, unknown> = { lastRunAt: '2026-12-01T02:00:00Z' };
    await reconciler().reconcile(request(Date.UTC(2026, 11, 2, 1, 59), status));
    expect(status.lastRunAt).toBe('2026-12-01T02:00:00Z');
    await reconciler().reconcile(request(Date.UTC(2026, 11, 2, 2, 0, 1), status));
    expect(status.lastRunAt).toBe('2026-12-02T02:00:01Z');
  });

  it('runs once for slots missed while the operator was down, then waits for the next slot', async () => {
    const status: Record<string, unknown> = { lastRunAt: '2026-06-02T01:00:00Z' };
    // Down for three days: three slots missed.
    const back = Date.UTC(2026, 5, 5, 9, 30);
    await reconciler().reconcile(request(back, status));
    expect(status.lastRunAt).toBe('2026-06-05T09:30:00Z');
    const again = await reconciler().reconcile(request(back + 60_000, status));
    expect(status.lastRunAt).toBe('2026-06-05T09:30:00Z');
    expect(status.nextRunAt).toBe('2026-06-06T01:00:00Z');
    expect(again.requeueAfterMs).toBe(Date.UTC(2026, 5, 6, 1, 0) - (back + 60_000));
  });

  it("runs at the next slot when the API server's clock is ahead of the operator's", async () => {
    // Created at 12:00Z by the API server's clock while the operator's reads 09:00Z: the 10:30Z
    // slot it advertises in status.nextRunAt (12:30 in Berlin) is the one it runs.
    const ahead = { ...policy, spec: { ...policy.spec, schedule: '30 12 * * *' } };
    const status: Record<string, unknown> = {};
    await reconciler().reconcile({ ...request(Date.UTC(2026, 5, 1, 9, 0), status), object: ahead });
    expect(status.lastRunAt).toBeUndefined();
    expect(status.nextRunAt).toBe('2026-06-01T10:30:00Z');
    await reconciler().reconcile({ ...request(Date.UTC(2026, 5, 1, 10, 30, 2), status), object: ahead });
    expect(status.lastRunAt).toBe('2026-06-01T10:30:02Z');
    expect(status.nextRunAt).toBe('2026-06-02T10:30:00Z');
  });

  it('charges a run asked of a suspended policy to the budget, also after a slot it skipped', async () => {
    const taken: string[] = [];
    const budgets = {
      take: (_kind: string, _ns: string, key: string) => {
        taken.push(key);
        return {
          allowed: false as const,
          scope: 'object' as const,
          retryAfterMs: 60_000,
          message: 'throttled',
        };
      },
    };
    const suspended = {
      ...policy,
      metadata: { ...policy.metadata, annotations: { 'berth.dev/run-requested-at': '2026-06-05T09:00:00Z' } },
      spec: { ...policy.spec, suspend: true },
    };
    // Last run three days ago: the 01:00Z slots since then passed while suspended.
    const status: Record<string, unknown> = { lastRunAt: '2026-06-02T01:00:00Z' };
    await expect(
      reconciler({ budgets }).reconcile({
        ...request(Date.UTC(2026, 5, 5, 9, 0, 1), status),
        object: suspended,
      }),
    ).rejects.toMatchObject({ name: 'WaitingError', reason: 'Throttled' });
    expect(taken).toEqual(['ns/p']);
    expect(status.lastRunAt).toBe('2026-06-02T01:00:00Z');
  });

  it('answers a run request once: a dry run asked for, then dryRun: false, deletes nothing unasked', async () => {
    const asked = {
      ...policy.metadata.annotations,
      'berth.dev/run-requested-at': '2026-06-02T10:00:00.400Z',
    };
    const dry = { ...policy, metadata: { ...policy.metadata, annotations: asked } };
    const real = { ...dry, spec: { ...dry.spec, dryRun: false } };
    const status: Record<string, unknown> = { lastRunAt: '2026-06-02T01:00:00Z' };
    const at = Date.UTC(2026, 5, 2, 10, 0, 0, 600); // the same second as the request
    await reconciler().reconcile({ ...request(at, status), object: dry });
    expect(status.lastRun).toMatchObject({ dryRun: true, deleted: 7 });
    expect(status.lastHandledRunRequestAt).toBe('2026-06-02T10:00:00.400Z');
    // The edit to dryRun: false reconciles the policy again, within the same second.
    await reconciler().reconcile({ ...request(at + 300, status), object: real });
    expect(status.lastRun).toMatchObject({ dryRun: true });
    expect(bed.sim.registry(registry.status?.externalId ?? '')?.repositories.get('app')?.images).toHaveLength(
      12,
    );
  });

  it('resumes a run that failed half way: nothing recorded, the next attempt deletes the rest exactly once', async () => {
    const reg = bed.sim.addRegistry(TEST_PROJECT, 'resume');
    for (const repo of ['one', 'two']) {
      for (let i = 0; i < 6; i++) {
        bed.sim.addImage(reg.id, repo, {
          tags: [`t${i}`],
          pushedAt: new Date(Date.UTC(2026, 5, 1) - i * 24 * HOUR),
        });
      }
    }
    const saved = registry;
    registry = {
      ...registry,
      status: { ...registry.status, externalId: reg.id, registryName: 'resume' },
    } as ContainerRegistry;
    try {
      const real = {
        ...policy,
        spec: { ...policy.spec, dryRun: false, rules: { ...policy.spec.rules, keepLast: 2 } },
      };
      const status: Record<string, unknown> = {};
      const at = Date.UTC(2026, 5, 2, 1, 0, 5);
      // The second repository's cleanup keeps failing (more often than the client retries): the run
      // stops with an error and records nothing.
      bed.sim.server.faults.schedule(
        { kind: 'serverError', status: 503 },
        { times: 4, match: { method: 'POST', path: /repositories\/two\/cleanup$/ } },
      );
      await expect(reconciler().reconcile({ ...request(at, status), object: real })).rejects.toThrow();
      expect(status.lastRunAt).toBeUndefined();
      const left = () =>
        [...(bed.sim.registry(reg.id)?.repositories.values() ?? [])]
          .map((r) => `${r.name}:${r.images.length}`)
          .sort();
      expect(left()).toEqual(['one:2', 'two:6']);
      // The retry plans again from what is left and finishes the job.
      await reconciler().reconcile({ ...request(at + 2_000, status), object: real });
      expect(left()).toEqual(['one:2', 'two:2']);
      expect((status.lastRun as { deleted: number; failed: number }).deleted).toBe(4);
      expect(status.lastRunAt).toBe('2026-06-02T01:00:07Z');
    } finally {
      registry = saved;
    }
  });
});
