import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { programName, runCli } from './program.ts';
import { fakeIo } from './testing/fake-io.ts';

/** A kubeconfig with one context whose server refuses connections (a port just closed). */
const kubeconfig = join(mkdtempSync(join(tmpdir(), 'berth-cli-')), 'config');
let server = '';
beforeAll(async () => {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  server = `https://127.0.0.1:${port}`;
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: c, cluster: {server: "${server}"}}]`,
      'users: [{name: u, user: {token: t}}]',
      'contexts: [{name: only, context: {cluster: c, user: u, namespace: shop}}]',
      'current-context: only',
    ].join('\n'),
  );
});

const run = async (...args: string[]) => {
  const io = fakeIo();
  const code = await runCli(args, io, new AbortController().signal);
  return { code, out: io.stdout.join(''), err: io.stderr.join('') };
};

describe('the berth command line', () => {
  it.each([
    ['--help'],
    ['status', '--help'],
    ['rotate', '--help'],
    ['cleanup', '--help'],
    ['cleanup', 'run', '--help'],
    ['explain', '--help'],
    ['check', '--help'],
  ])('%s %s exits 0 with usage on stdout', async (...args) => {
    const { code, out } = await run(...args);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: berth/);
    expect(out).toContain('--kubeconfig');
  });

  it.each([
    [[], 'no command'],
    [['bogus'], "unknown command 'bogus'"],
    [['status', '--bogus'], "unknown option '--bogus'"],
    [['status', '-o', 'xml'], 'Allowed choices are json, yaml'],
    [['rotate'], "missing required argument 'token'"],
    [['rotate', 'x', '--timeout', '5q'], 'expected a duration'],
    [['explain', 'pod/x'], 'not a berth kind'],
    [['status', '--kubeconfig', '/nonexistent/kubeconfig'], 'no such file'],
    [
      ['status', '--kubeconfig', kubeconfig, '--context', 'nope'],
      'context "nope" is not in the kubeconfig (contexts: only)',
    ],
  ])('%j is a usage error (exit 2): %s', async (args, message) => {
    const { code, err, out } = await run(...args);
    expect(code).toBe(2);
    if (args.length > 0) expect(err).toContain(message);
    else expect(err || out).toContain('Usage: berth');
  });

  it('says so in one line when the API server cannot be reached (exit 1)', async () => {
    const { code, err } = await run('explain', 'x', '--kubeconfig', kubeconfig);
    expect(code).toBe(1);
    expect(err).toBe(`error: cannot reach the Kubernetes API server at ${server}: connection refused\n`);
  });

  it('prints its version', async () => {
    const { code, out } = await run('--version');
    expect(code).toBe(0);
    expect(out).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('calls itself kubectl berth when kubectl runs it as a plugin', () => {
    expect(programName('kubectl-berth')).toBe('kubectl berth');
    expect(programName('berth')).toBe('berth');
    expect(programName(undefined)).toBe('berth');
  });
});
