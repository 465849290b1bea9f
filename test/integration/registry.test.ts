import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crane, type RunningRegistry, startRegistry, writeHtpasswd } from '../../src/dev/registry.ts';

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
