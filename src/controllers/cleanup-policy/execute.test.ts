import { afterEach, describe, expect, it } from 'vitest';
import {
  type IonosHarness,
  seededTokenRegistry,
  startIonosHarness,
} from '../../../test/support/providers/ionos.ts';
import type { IssueRequest, Provider } from '../../clients/provider.ts';
import { execute } from './execute.ts';
import { plainImage } from './plan.fixtures.ts';
import type { Plan } from './plan.ts';
import { RUN_CREDENTIAL_LIFETIME_MS } from './run-access.ts';

let h: IonosHarness | undefined;
afterEach(() => h?.close());

// IONOS: "The DCD docs say expiry must be ≥1 h in the future" (shared/providers/ionos.md). The
// simulator keeps that real minimum here.
describe('IONOS minimum expiry (issue #12 item 5): the cleanup run credential', () => {
  it('asks for its expiry when it is issued, an hour and a margin ahead, however long the run took to get there', async () => {
    h = await startIonosHarness();
    const sim = h.sim;
    expect(sim.minTokenLifetimeMs).toBe(3_600_000);
    const registry = seededTokenRegistry(sim, 'shop');
    const digest = sim.pushArtifact(registry.externalId, 'app', { tags: ['old'] });
    const asked: { request: IssueRequest; at: number }[] = [];
    const tokens = h.provider.tokens;
    // The real adapter (no delete endpoints, so the OCI path), watched: what execute asks for, and when.
    const provider: Provider = Object.assign(Object.create(h.provider) as Provider, {
      tokens: Object.assign(Object.create(tokens) as typeof tokens, {
        issue: (request: IssueRequest) => {
          asked.push({ request, at: Date.now() });
          return tokens.issue(request);
        },
      }),
    });
    const deleted: string[] = [];
    const plan: Plan = {
      deletions: [
        { action: 'delete-manifest', repository: 'app', digest, tags: ['old'], reason: 'older than 1d' },
      ],
      keeps: [],
      evaluated: 1,
      stoppedAtLimit: false,
      bytesFreed: 0,
    };
    const { items } = await execute(
      {
        provider,
        registry,
        credentialsSecret: 'api',
        oci: () => ({
          deleteManifest: async (_repo, d) => {
            deleted.push(d);
            return 'deleted';
          },
          exists: async () => false,
          facts: plainImage,
        }),
        cleanupCredentialName: 'berth-cleanup-p-1',
        cleanupCredentialPrefix: 'berth-cleanup-p-',
        // The run started ten minutes ago: listing a large registry takes a while.
        now: Date.now() - 10 * 60_000,
        // The clock the simulator measures the expiry on.
        clock: () => Date.now(),
      },
      plan,
    );
    expect(items.map((i) => i.action)).toEqual(['Deleted']);
    expect(deleted).toEqual([digest]);
    const [first] = asked;
    expect(first?.request.expiresAt?.getTime()).toBeGreaterThanOrEqual(
      (first?.at ?? 0) + RUN_CREDENTIAL_LIFETIME_MS,
    );
    expect(RUN_CREDENTIAL_LIFETIME_MS).toBeGreaterThan(3_600_000);
    // Revoked after the run anyway.
    expect(sim.registry(registry.externalId).tokens.size).toBe(0);
  });
});
