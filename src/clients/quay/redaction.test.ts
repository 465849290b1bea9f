import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type QuayHarness, startQuay } from '../../../test/support/providers/quay.ts';
import { createLogger } from '../../log.ts';
import type { IssueRequest } from '../provider.ts';

let h: QuayHarness | undefined;
afterEach(() => h?.close());

describe('secrets never reach logs or errors', () => {
  it('keeps the API token and every robot token out of all log lines and error messages', async () => {
    let logs = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs += String(chunk);
        done();
      },
    });
    const logger = createLogger('trace', sink);
    h = await startQuay({}, { logger });
    const { sim, provider, connect } = h;
    const registry = h.registry('acme');
    const secrets = new Set<string>([sim.token]);
    const errors: string[] = [];
    const attempt = async (fn: () => Promise<unknown>) => {
      try {
        return await fn();
      } catch (err) {
        const e = err as Error;
        errors.push(e.message, String(e), e.stack ?? '');
        errors.push(JSON.stringify(e), JSON.stringify((e as { context?: unknown }).context));
        return undefined;
      } finally {
        sim.server.faults.clear();
      }
    };
    const request = (name: string): IssueRequest => ({
      registry,
      name,
      scopes: [{ repository: 'api', actions: ['pull', 'push'] }],
    });

    await provider.registries.create(h.desired('acme', { timeMachineExpiration: '1w' }));
    const issued = await provider.tokens.issue(request('ci'));
    secrets.add(issued.login.password);
    const renewed = await provider.tokens.regenerate(registry, issued.id);
    secrets.add(renewed.login.password);
    sim.server.faults.schedule({ kind: 'rateLimit', retryAfter: '1' }, { times: 2 });
    logger.debug({ observed: await provider.tokens.observe(registry, issued.id) }, 'observed');
    logger.debug({ owned: await provider.tokens.listOwned(registry, '') }, 'owned');

    // Failures of every kind, with the secrets known to the client.
    await attempt(() => provider.tokens.issue(request('ci')));
    sim.server.faults.schedule({ kind: 'loseResponse' }, { match: { method: 'PUT', path: /robots\/lost$/ } });
    await attempt(() => provider.tokens.issue(request('lost')));
    secrets.add(sim.robot('acme', 'lost')?.token ?? '');
    sim.server.faults.schedule({ kind: 'serverError', status: 503 }, { times: 10 });
    await attempt(() => provider.tokens.observe(registry, issued.id));
    sim.server.faults.schedule({ kind: 'malformed' });
    await attempt(() => provider.tokens.listOwned(registry, ''));
    await attempt(() => connect({ token: 'another-wrong-token', logger }).tokens.listOwned(registry, ''));
    // A hostile echo: Quay puts the user name (from the path) into its error, here a robot token.
    await attempt(() => provider.api.setUserPermission('acme', 'api', renewed.login.password, 'read'));
    await attempt(() => provider.tokens.regenerate(registry, 'acme+nobody'));
    await provider.tokens.revoke(registry, issued.id);

    expect(errors.length).toBeGreaterThan(10);
    expect(logs.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toContain('[redacted]');
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10);
      expect(logs).not.toContain(secret);
      for (const message of errors) expect(message).not.toContain(secret);
    }
  });
});
