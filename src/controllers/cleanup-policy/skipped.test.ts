import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
  TEST_USER,
} from '../../../test/support/providers/selectel.ts';
import { createProviderFactory } from '../../clients/factory.ts';
import { type CleanupPolicy, CleanupPolicySchema } from '../../crds/cleanup-policy.ts';
import type { ContainerRegistry } from '../../crds/container-registry.ts';
import type { SimRegistry } from '../../simulators/selectel/state.ts';
import type { ReconcileRequest } from '../runtime/controller.ts';
import type { EventInput } from '../runtime/events.ts';
import { plainImage } from './plan.fixtures.ts';
import { CleanupPolicyReconciler } from './reconcile.ts';

// Issue 22: one repository whose images cannot be listed is skipped and named, the others are
// still cleaned; the run is partial. Driven through the reconciler against the Selectel simulator,
// whose fault injector answers one repository's image listing with a body of the wrong shape.

const DAY = 86_400_000;
let bed: SelectelTestBed;
let reg: SimRegistry;

beforeAll(async () => {
  bed = await startSelectelTestBed();
});
afterAll(() => bed?.stop());
beforeEach(() => {
  bed.sim.state.registries.clear();
  reg = bed.sim.addRegistry(TEST_PROJECT, 'shop');
  const pushedAt = new Date(bed.sim.state.now() - 40 * DAY);
  for (const repository of ['app', 'broken', 'web'])
    bed.sim.addImage(reg.id, repository, { tags: ['old'], pushedAt });
});
afterEach(() => bed.sim.server.faults.clear());

/** The image listing of these repositories answers 200 with a body of the wrong shape. */
function breakListing(pattern: RegExp): void {
  bed.sim.server.faults.schedule({ kind: 'malformed' }, { times: 10, match: { path: pattern } });
}

function registry(): ContainerRegistry {
  return {
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'ContainerRegistry',
    metadata: { name: 'shop', namespace: 'ns' },
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
      registryName: 'shop',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Succeeded',
          message: '',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  } as unknown as ContainerRegistry;
}

function policy(dryRun: boolean): CleanupPolicy {
  return CleanupPolicySchema.parse({
    apiVersion: 'berth.dev/v1alpha1',
    kind: 'CleanupPolicy',
    metadata: {
      name: 'p',
      namespace: 'ns',
      uid: 'u-1',
      generation: 1,
      creationTimestamp: new Date(bed.sim.state.now()).toISOString(),
      annotations: { 'berth.dev/run-requested-at': new Date(bed.sim.state.now()).toISOString() },
    },
    spec: {
      registryRef: { name: 'shop' },
      schedule: '0 3 * * *',
      dryRun,
      repositories: { include: ['**'] },
      rules: { olderThan: '720h' },
    },
  });
}

/** One run on request; the status it wrote, its message, events and the runs metric's results. */
async function run(dryRun = false) {
  const results: string[] = [];
  const events: EventInput[] = [];
  const status: Record<string, unknown> = {};
  const reconciler = new CleanupPolicyReconciler({
    providers: createProviderFactory({ registryHost: bed.sim.registryHost }),
    readCredentials: async () => ({
      username: TEST_USER.username,
      password: TEST_USER.password,
      accountId: TEST_USER.accountId,
    }),
    getRegistry: async () => registry(),
    namespaceLabels: async () => ({}),
    oci: () => ({
      deleteManifest: async () => 'deleted' as const,
      exists: async () => false,
      facts: plainImage,
    }),
    observe: { run: (_provider, result) => results.push(result), deleted: () => undefined },
  });
  const request: ReconcileRequest<CleanupPolicy> = {
    object: policy(dryRun),
    status,
    logger: pino({ level: 'silent' }),
    recordEvent: async (e) => {
      events.push(e);
    },
    signal: new AbortController().signal,
    now: () => bed.sim.state.now(),
    deleting: false,
    ensureFinalizer: async () => false,
    removeFinalizer: async () => false,
    persistStatus: async () => undefined,
    recordIntent: async () => undefined,
    waitShared: (work) => work,
  };
  const { message } = await reconciler.reconcile(request);
  return { status: status as { lastRun?: Record<string, unknown> }, message, events, results };
}

describe('CleanupPolicy: a repository whose images cannot be listed', () => {
  it('is skipped and named; the other repositories are still cleaned and the run is partial', async () => {
    breakListing(/\/repositories\/broken\/images$/);
    const { status, message, events, results } = await run();

    expect(status.lastRun).toMatchObject({
      deleted: 2,
      repositories: 2,
      repositoriesSkipped: 1,
      skippedRepositories: [
        { repository: 'broken', reason: expect.stringMatching(/^selectel images\.list: /) },
      ],
    });
    const skipped = 'skipped 1 repository whose images could not be listed: broken';
    expect(message).toContain(skipped);
    expect(events).toEqual([expect.objectContaining({ type: 'Warning', reason: 'RunFailedPartly' })]);
    expect(events[0]?.note).toContain(skipped);
    expect(results).toEqual(['partial']);
    const left = bed.sim.state.registries.get(reg.id)?.repositories;
    expect([...(left?.keys() ?? [])].filter((r) => (left?.get(r)?.images.length ?? 0) > 0)).toEqual([
      'broken',
    ]);
  });

  it('fails the run as before when the repositories themselves cannot be listed', async () => {
    breakListing(/\/registries\/[^/]+\/repositories$/);
    await expect(run()).rejects.toThrow(/selectel repositories\.list/);
  });

  it('fails the run when no covered repository could be listed at all', async () => {
    breakListing(/\/images$/);
    await expect(run(true)).rejects.toThrow(/selectel images\.list/);
  });
});
