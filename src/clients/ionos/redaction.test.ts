import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  desiredIonos,
  type IonosHarness,
  seededTokenRegistry,
  startIonosHarness,
} from '../../../test/support/providers/ionos.ts';
import { createLogger } from '../../log.ts';
import { createIonosProvider } from './adapter.ts';

let harnesses: IonosHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((x) => x.close()));
  harnesses = [];
});

/** Everything a failure could show: message, context, cause chain. */
function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  while (current) {
    parts.push(
      String(current),
      JSON.stringify(current),
      JSON.stringify((current as { context?: unknown }).context),
    );
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join('\n');
}

describe('IONOS secrets never leak', () => {
  it('keeps issued passwords and API credentials out of every log line and error', async () => {
    let logs = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        logs += String(chunk);
        done();
      },
    });
    const logger = createLogger('debug', stream);
    const errors: string[] = [];
    const capture = async (work: Promise<unknown>) => {
      try {
        await work;
      } catch (err) {
        errors.push(describeError(err));
      }
    };

    for (const auth of ['basic', 'token'] as const) {
      const h = await startIonosHarness({ auth, provider: { logger } });
      harnesses.push(h);
      const { sim, provider } = h;
      const registry = seededTokenRegistry(sim, `shop-${auth}`);
      const passwords: string[] = [];
      const scopes = [{ repository: '*', actions: ['pull' as const] }];
      for (const name of ['tok-a', 'tok-b'])
        passwords.push((await provider.tokens.issue({ registry, name, scopes })).login.password);
      // A duplicate, faults on the create and on reads, retries that log, malformed bodies.
      await capture(provider.tokens.issue({ registry, name: 'tok-a', scopes }));
      for (const kind of ['reset', 'loseResponse', 'malformed'] as const) {
        sim.server.faults.schedule({ kind }, { match: { method: 'POST' } });
        await capture(provider.tokens.issue({ registry, name: `f-${kind}`, scopes }));
      }
      sim.server.faults.schedule(
        { kind: 'serverError', status: 503 },
        { match: { method: 'GET' }, times: 10 },
      );
      await capture(provider.tokens.listOwned(registry, ''));
      sim.server.faults.schedule({ kind: 'rateLimit', retryAfter: '1' }, { match: { method: 'GET' } });
      await capture(provider.registries.observe({ name: `shop-${auth}` }, desiredIonos(`shop-${auth}`)));
      await capture(provider.tokens.extend(registry, 'not-a-uuid', new Date()));
      for (const token of await provider.tokens.listOwned(registry, ''))
        await provider.tokens.revoke(registry, token.id);
      // The same API with wrong credentials of each kind.
      for (const credentials of [
        { token: `${sim.apiToken}x` },
        { ...sim.basicCredentials, password: 'nope-nope' },
      ]) {
        const wrong = createIonosProvider({ baseUrl: sim.url, credentials, logger, redactor: h.redactor });
        await capture(wrong.verifyCredentials());
      }

      const secrets = [
        ...passwords,
        sim.apiToken,
        sim.basicCredentials.password,
        Buffer.from(`${sim.basicCredentials.username}:${sim.basicCredentials.password}`).toString('base64'),
      ];
      for (const secret of secrets) {
        expect(logs).not.toContain(secret);
        for (const error of errors) expect(error).not.toContain(secret);
      }
    }
    // Not vacuous: the adapter logged issues and retries, and failures were captured.
    expect(logs).toContain('issued ionos token');
    expect(logs).toContain('retrying provider request');
    expect(errors.length).toBeGreaterThanOrEqual(14);
  });
});
