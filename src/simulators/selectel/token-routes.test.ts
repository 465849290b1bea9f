import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  TEST_PROJECT,
} from '../../../test/support/providers/selectel.ts';

// Token routes against both of Selectel's own descriptions: seed 003 (the API reference,
// /work/shared/seeds/003_c68852f9de1c298a.txt) and craas-go's fixtures and request code, copied to
// src/clients/selectel/testdata/tokens-craas-go.json with their paths and commit.

const testdata = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../clients/selectel/testdata/${name}.json`, import.meta.url), 'utf8'));
const sdk = (name: string): unknown =>
  (testdata('tokens-craas-go') as { bodies: Record<string, { body: unknown }> }).bodies[name]?.body;

/** The structure of a JSON value: key sets and value types. */
function shapeOf(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return typeof value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, shapeOf((value as Record<string, unknown>)[k])]),
  );
}

let bed: SelectelTestBed;
let iam: string;
const HOUR = 3_600_000;
// A fixed clock: the fixtures' expiry dates (2029, 2030) must stay in the future whatever today is.
const NOW = Date.parse('2026-01-01T00:00:00Z');

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(bed.sim.url + path, {
    method,
    headers: { 'x-auth-token': iam, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

interface TokenJson {
  id: string;
  token: string;
  expiration: { isSet: boolean; expiresAt: string };
}

/** A v2 token expiring in an hour, made through the API. */
async function createToken(): Promise<TokenJson> {
  const registry = bed.sim.addRegistry(TEST_PROJECT, `shop-${bed.sim.state.registries.size}`);
  const created = await call('POST', '/api/v2/tokens', {
    name: 'pull',
    scope: { allRegistries: false, modeRW: false, registryIds: [registry.id] },
    expiration: { isSet: true, expiresAt: new Date(bed.sim.state.now() + HOUR).toISOString() },
  });
  expect(created.status).toBe(201);
  return created.body as unknown as TokenJson;
}

beforeAll(async () => {
  bed = await startSelectelTestBed({ now: () => NOW });
});
afterAll(() => bed.stop());
beforeEach(() => {
  bed.sim.state.registries.clear();
  bed.sim.state.tokensV2.clear();
  bed.sim.state.tokensV1.clear();
  bed.sim.state.expirationReading = 'either';
  bed.sim.state.v1TokenFormat = 'CRgAAAAA';
  iam = bed.sim.issueIamToken(TEST_PROJECT);
});

describe('Selectel simulator: refresh and regenerate bodies', () => {
  // The reference's request sample (testdata token-v2-refresh-request.json) wraps the expiry; the
  // SDK marshals the bare Expiration. Both are 2029/2030 dates: the simulator's clock is today's.
  const wrapped = testdata('token-v2-refresh-request') as { expiration: { expiresAt: string } };
  const bare = sdk('v2-refresh-request') as { expiresAt: string };

  it('accepts the reference wrapped form and the SDK bare form on refresh and regenerate', async () => {
    for (const action of ['refresh', 'regenerate']) {
      const token = await createToken();
      const byReference = await call('POST', `/api/v2/tokens/${token.id}/${action}`, wrapped);
      expect(byReference.status).toBe(200);
      expect(byReference.body.expiration).toEqual({ isSet: true, expiresAt: wrapped.expiration.expiresAt });
      const bySdk = await call('POST', `/api/v2/tokens/${token.id}/${action}`, bare);
      expect(bySdk.status).toBe(200);
      expect(bySdk.body.expiration).toEqual({ isSet: true, expiresAt: bare.expiresAt });
    }
  });

  it("reads the SDK's never-expiring body (isSet false with Go's zero time) as no expiry", async () => {
    const token = await createToken();
    const res = await call('POST', `/api/v2/tokens/${token.id}/refresh`, sdk('v2-refresh-request-never'));
    expect(res.status).toBe(200);
    expect(res.body.expiration).toEqual({ isSet: false, expiresAt: '0001-01-01T00:00:00Z' });
  });

  it('refuses a body with neither form, and one whose two forms disagree', async () => {
    const token = await createToken();
    expect((await call('POST', `/api/v2/tokens/${token.id}/refresh`, {})).status).toBe(400);
    expect((await call('POST', `/api/v2/tokens/${token.id}/regenerate`, { name: 'x' })).status).toBe(400);
    const mixed = { ...wrapped, ...bare };
    expect((await call('POST', `/api/v2/tokens/${token.id}/refresh`, mixed)).status).toBe(400);
    const both = { ...wrapped, ...wrapped.expiration, isSet: true };
    expect((await call('POST', `/api/v2/tokens/${token.id}/refresh`, both)).status).toBe(200);
  });

  it('can read only one form, the bare one as leniently as Go: a wrapped-only body then never expires', async () => {
    const token = await createToken();
    bed.sim.state.expirationReading = 'bare';
    const res = await call('POST', `/api/v2/tokens/${token.id}/refresh`, wrapped);
    expect(res.body.expiration).toMatchObject({ isSet: false });
    bed.sim.state.expirationReading = 'wrapped';
    expect((await call('POST', `/api/v2/tokens/${token.id}/refresh`, bare)).status).toBe(400);
  });
});

describe('Selectel simulator: v1 tokens', () => {
  it('serves UUID tokens as the reference shows them, with the shapes of the SDK fixtures', async () => {
    bed.sim.state.v1TokenFormat = 'uuid';
    const created = await call('POST', '/api/v1/token?ttl=12h');
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(shapeOf(created.body)).toEqual(shapeOf(sdk('v1-create')));
    expect(shapeOf((await call('GET', `/api/v1/token/${token}`)).body)).toEqual(shapeOf(sdk('v1-get')));
    const refreshed = await call('POST', `/api/v1/token/${token}/refresh`);
    expect(refreshed.status).toBe(200);
    expect(shapeOf(refreshed.body)).toEqual(shapeOf(sdk('v1-refresh')));
    expect(refreshed.body.token).toBe(token);
    expect((await call('DELETE', `/api/v1/token/${token}`)).status).toBe(204);
    expect((await call('GET', `/api/v1/token/${token}`)).status).toBe(404);
  });

  it('answers 404 for an unknown well-formed token and 400 for a malformed one', async () => {
    expect((await call('GET', '/api/v1/token/44d570a1-21a7-404f-bbda-3a99872e2776')).status).toBe(404);
    expect((await call('GET', '/api/v1/token/CRgAAAAAWiMnwN63eyASwQk8a3DBPRPirT9fWQTx')).status).toBe(404);
    expect((await call('DELETE', '/api/v1/token/not%20a%20token!')).status).toBe(400);
    expect((await call('GET', '/api/v1/token/not-a-token')).status).toBe(400);
  });
});

describe('Selectel simulator: token times', () => {
  it('writes clock times with microseconds and echoes the expiry as sent', async () => {
    bed.sim.state.advance(123);
    try {
      const token = await createToken();
      const read = (await call('GET', `/api/v2/tokens/${token.id}`)).body as { createdAt: string };
      expect(read.createdAt).toMatch(/^2026-01-01T00:00:00\.123\d{3}Z$/);
      expect(token.expiration.expiresAt).toBe('2026-01-01T01:00:00.123Z');
    } finally {
      bed.sim.state.advance(-123);
    }
  });
});
