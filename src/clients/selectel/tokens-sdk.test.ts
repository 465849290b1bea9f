import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type SelectelTestBed,
  startSelectelTestBed,
  tokenRegistry,
} from '../../../test/support/providers/selectel.ts';
import type { TokenRegistry } from '../provider.ts';
import type { SelectelProvider } from './adapter.ts';
import type { SelectelTokens } from './tokens.ts';

// berth's token calls against a server that answers as craas-go's own tests do: the fixture bodies
// (testdata/tokens-craas-go.json, with their paths and commit) and the SDK tests' status, 200 on
// creates where the reference and the simulator answer 201. Keystone is the simulator's.

interface Fixture {
  status?: number;
  body: Record<string, unknown>;
}
const fixtures = (
  JSON.parse(readFileSync(new URL('./testdata/tokens-craas-go.json', import.meta.url), 'utf8')) as {
    bodies: Record<string, Fixture>;
  }
).bodies;
const fixture = (name: string): Fixture => {
  const found = fixtures[name];
  if (!found) throw new Error(`no fixture ${name}`);
  return found;
};

/** Answers per `METHOD path` (path without query); records what arrived. */
interface Stub {
  answers: Map<string, Fixture>;
  received: { route: string; body: unknown }[];
}

let bed: SelectelTestBed;
let server: Server;
const stub: Stub = { answers: new Map(), received: [] };
// The fixtures' v1 expiry is 2022-10-24T20:48:53Z: berth's clock stands a day before it.
const NOW = Date.parse('2022-10-23T20:48:53Z');
const SDK_TOKEN = 'CRgAAAAAWiMnwN63eyASwQk8a3DBPRPirT9fWQTx';

function provider(tokenApi: 'v1' | 'v2'): SelectelProvider {
  const { port } = server.address() as AddressInfo;
  return bed.provider({ apiEndpoint: `http://127.0.0.1:${port}/api`, tokenApi, now: () => NOW });
}

function registry(): TokenRegistry {
  return tokenRegistry(bed.sim, bed.sim.addRegistry('0123456789abcdef0123456789abcdef', 'shop'));
}

beforeAll(async () => {
  bed = await startSelectelTestBed();
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => {
      raw += chunk.toString();
    });
    req.on('end', () => {
      const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
      stub.received.push({ route, body: raw ? JSON.parse(raw) : undefined });
      const answer = stub.answers.get(route);
      res.writeHead(answer?.status ?? 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer?.body ?? { error: 'not stubbed' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await bed.stop();
});
beforeEach(() => {
  stub.answers.clear();
  stub.received.length = 0;
  bed.sim.state.registries.clear();
});

describe('Selectel tokens against craas-go fixtures', () => {
  it('accepts a v2 create answered 200, as in the SDK tests (the reference says 201)', async () => {
    stub.answers.set('POST /api/v2/tokens', fixture('v2-create'));
    const tokens = provider('v2').tokens as SelectelTokens;
    const issued = await tokens.issue({
      registry: registry(),
      name: 'my-token',
      scopes: [{ repository: '*', actions: ['pull'] }],
      expiresAt: new Date('2030-01-01T00:00:00Z'),
    });
    expect(issued).toMatchObject({
      id: 'c29e3f63-0711-4772-a415-ad79973bdaef',
      login: { username: 'token', password: SDK_TOKEN },
      expiresAt: new Date('2030-01-01T00:00:00Z'),
    });
  });

  it('sends refresh with the expiry both wrapped (reference) and bare (SDK), the same in both', async () => {
    const answer = { ...fixture('v2-create').body };
    delete answer.token;
    stub.answers.set('POST /api/v2/tokens/c29e3f63-0711-4772-a415-ad79973bdaef/refresh', {
      status: 200,
      body: answer,
    });
    const tokens = provider('v2').tokens as SelectelTokens;
    await tokens.extend(registry(), 'c29e3f63-0711-4772-a415-ad79973bdaef', new Date('2030-01-01T00:00:00Z'));
    const sent = stub.received.at(-1)?.body as Record<string, unknown>;
    // What the SDK would marshal, field for field, at top level; and the reference's wrapper.
    const bare = fixture('v2-refresh-request').body;
    expect({ isSet: sent.isSet, expiresAt: sent.expiresAt }).toEqual(bare);
    expect(sent.expiration).toEqual(bare);
  });

  it('accepts a v1 create answered 200, and a v1 refresh answer without the token', async () => {
    stub.answers.set('POST /api/v1/token', fixture('v1-create'));
    stub.answers.set('GET /api/v1/token/CRgAAAAAWiMnwN63eyASwQk8a3DBPRPirT9fWQTx', fixture('v1-get'));
    const refreshed = { ...fixture('v1-refresh').body };
    delete refreshed.token;
    stub.answers.set('POST /api/v1/token/CRgAAAAAWiMnwN63eyASwQk8a3DBPRPirT9fWQTx/refresh', {
      status: 200,
      body: refreshed,
    });
    const v1 = provider('v1');
    const target = registry();
    const issued = await v1.tokens.issue({
      registry: target,
      name: 'berth-a',
      scopes: [{ repository: '*', actions: ['pull'] }],
    });
    expect(issued.login.password).toBe(SDK_TOKEN);
    expect(issued.expiresAt).toEqual(new Date(1666644533 * 1000));
    const extended = await v1.tokens.extend?.(target, issued.id, new Date(NOW + 3_600_000));
    expect(extended).toMatchObject({ id: issued.id, expiresAt: new Date(1666649999 * 1000), enabled: true });
    expect(await v1.api.tokens.refreshV1(SDK_TOKEN)).toMatchObject({
      token: SDK_TOKEN,
      expireAt: 1666649999,
    });
  });
});
