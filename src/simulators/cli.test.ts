import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fetch } from 'undici';
import { describe, expect, it } from 'vitest';
import type { SimulatorEndpoints } from './all.ts';

// `npm run simulators` is how a person (or the demo) gets the fake providers: prove that what it
// prints is enough to talk to each of them.
describe('npm run simulators', () => {
  it('prints working endpoints and credentials as JSON and stops on SIGTERM', {
    timeout: 30_000,
  }, async () => {
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, 'cli.ts'), '--registry-host=127.0.0.1:5999'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    const endpoints = await new Promise<SimulatorEndpoints>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        try {
          resolve(JSON.parse(out) as SimulatorEndpoints);
        } catch {
          // not complete yet
        }
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}`)));
    });
    try {
      expect(endpoints.registryHost).toBe('127.0.0.1:5999');
      const ionos = await fetch(`${endpoints.ionos.baseUrl}/locations`, {
        headers: { authorization: `Bearer ${endpoints.ionos.token}` },
      });
      expect(ionos.status).toBe(200);
      const ionosDenied = await fetch(`${endpoints.ionos.baseUrl}/locations`);
      expect(ionosDenied.status).toBe(401);

      const { selectel } = endpoints;
      const login = await fetch(`${selectel.identityEndpoint}/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: {
              methods: ['password'],
              password: {
                user: {
                  name: selectel.username,
                  domain: { name: selectel.accountId },
                  password: selectel.password,
                },
              },
            },
            scope: { project: { id: selectel.projectId } },
          },
        }),
      });
      expect(login.status).toBe(201);
      expect(login.headers.get('x-subject-token')).toBeTruthy();

      const quay = await fetch(`${endpoints.quay.url}/api/v1/user/`, {
        headers: { authorization: `Bearer ${endpoints.quay.token}` },
      });
      expect(quay.status).toBe(200);

      const realm = endpoints.tokenService.realm.replace('//localhost:', '//127.0.0.1:');
      expect((await fetch(`${realm}?service=x&scope=repository:a:pull`)).status).toBe(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
  });
});
