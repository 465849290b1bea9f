import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorsWithRegistry } from '../../src/dev/providers.ts';
import {
  crane,
  PortInUseError,
  type RunningRegistry,
  startRegistry,
  writeHtpasswd,
} from '../../src/dev/registry.ts';

const execFileAsync = promisify(execFile);

// The harness later issues prove credentials with: a real CNCF distribution registry and crane.
describe('distribution registry and crane from the build cache', () => {
  let registry: RunningRegistry;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'berth-crane-'));
    const htpasswd = join(work, 'htpasswd');
    await writeHtpasswd(htpasswd, { pusher: 'correct-horse' });
    registry = await startRegistry({ auth: { htpasswd: { realm: 'berth-test', path: htpasswd } } });
    await writeFile(join(work, 'hello.txt'), 'hello from berth\n');
    await execFileAsync('tar', ['-cf', join(work, 'layer.tar'), '-C', work, 'hello.txt']);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('pushes and pulls with the right password and refuses the wrong one', async () => {
    const good = join(work, 'good');
    const bad = join(work, 'bad');
    const image = `${registry.host}/demo/app:v1`;
    await crane(['auth', 'login', registry.host, '-u', 'pusher', '-p', 'correct-horse'], good);
    await crane(['append', '-f', join(work, 'layer.tar'), '-t', image], good);

    const digest = await crane(['digest', image], good);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await crane(['ls', `${registry.host}/demo/app`], good)).toBe('v1');
    const exported = await crane(['export', image, '-'], good);
    expect(exported).toContain('hello from berth');

    await crane(['auth', 'login', registry.host, '-u', 'pusher', '-p', 'wrong'], bad);
    await expect(crane(['digest', image], bad)).rejects.toThrow(/UNAUTHORIZED|401/);
  });

  it('deletes a manifest by digest', async () => {
    const good = join(work, 'good');
    const image = `${registry.host}/demo/app:v1`;
    const digest = await crane(['digest', image], good);
    await crane(['delete', `${registry.host}/demo/app@${digest}`], good);
    await expect(crane(['digest', image], good)).rejects.toThrow(/MANIFEST_UNKNOWN|404|not found/i);
  });
});

describe('a registry whose port was taken meanwhile', () => {
  // Ports are chosen free and bound a moment later; a test file starting beside this one can take
  // the port in between. That must be recognisable, so that the caller starts again elsewhere.
  it('fails with PortInUseError, and the simulators with their registry still start', async () => {
    const taken = createServer((socket) => socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      await expect(startRegistry({ port })).rejects.toBeInstanceOf(PortInUseError);
    } finally {
      taken.close();
    }
    const providers = await startSimulatorsWithRegistry({ processMs: 50 });
    try {
      expect(providers.sims.endpoints.ionos.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+/);
      expect((await fetch(`http://${providers.registry.host}/v2/`)).status).toBe(401);
    } finally {
      await providers.stop();
    }
  });
});
