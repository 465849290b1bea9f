import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { CleanupPolicySchema, ContainerRegistrySchema, RegistryTokenSchema } from '../../src/crds/index.ts';
import { toolDirs } from './kstatus-upstream.ts';

const exec = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const customizations = join(root, 'deploy', 'argocd', 'resource_customizations');
const group = 'berth.dev';
const gitopsDoc = join(root, 'docs', 'gitops.md');

const schemas: Record<string, z.ZodType> = {
  ContainerRegistry: ContainerRegistrySchema,
  RegistryToken: RegistryTokenSchema,
  CleanupPolicy: CleanupPolicySchema,
};
const kinds = Object.keys(schemas);

interface HealthCase {
  kind: string;
  inputPath: string;
  healthStatus: { status: string; message?: string };
}

/** Every case of every health_test.yaml under berth.dev/, in Argo CD's format. */
function healthCases(): HealthCase[] {
  return kinds.flatMap((kind) => {
    const suite = parse(readFileSync(join(customizations, group, kind, 'health_test.yaml'), 'utf8')) as {
      tests: Omit<HealthCase, 'kind'>[];
    };
    return suite.tests.map((t) => ({ kind, ...t }));
  });
}

const cases = healthCases();
const binaryPath = join(toolDirs().argoHealthBin, 'berth-argo-health');
const binary = existsSync(binaryPath) ? binaryPath : undefined;

/** Runs one health.lua on one object file, as Argo CD would from argocd-cm. */
async function health(lua: string, object: string, ...flags: string[]) {
  const { stdout } = await exec(binaryPath, ['run', ...flags, lua, object]);
  return JSON.parse(stdout) as { status?: string; message?: string };
}

/** Runs `berth-argo-health test` on a directory tree; never throws on a non-zero exit. */
async function testTree(dir: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await exec(binaryPath, ['test', dir]);
    return { code: 0, output: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('Argo CD health checks of berth kinds (deploy/argocd/resource_customizations)', () => {
  const scratch: string[] = [];
  afterAll(() => {
    for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  });

  it('has a health.lua and tests for every kind, and nothing else under berth.dev', () => {
    expect(readdirSync(join(customizations, group)).sort()).toEqual([...kinds].sort());
  });

  it.each(kinds)('%s: the tests reach every health status the script can report', (kind) => {
    const statuses = new Set(cases.filter((c) => c.kind === kind).map((c) => c.healthStatus.status));
    const expected = [
      'Progressing',
      'Healthy',
      'Degraded',
      ...(kind === 'CleanupPolicy' ? ['Suspended'] : []),
    ];
    expect([...statuses].sort()).toEqual(expected.sort());
  });

  it.each(cases)('$kind $inputPath is an object berth could serve', ({ kind, inputPath }) => {
    const object = parse(readFileSync(join(customizations, group, kind, inputPath), 'utf8'));
    expect(object.kind).toBe(kind);
    const parsed = (schemas[kind] as z.ZodType).safeParse(object);
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it.skipIf(!binary).each(cases)(
    '$kind $inputPath is $healthStatus.status',
    async ({ kind, inputPath, healthStatus }) => {
      const dir = join(customizations, group, kind);
      const want = {
        status: healthStatus.status,
        ...(healthStatus.message ? { message: healthStatus.message } : {}),
      };
      expect(await health(join(dir, 'health.lua'), join(dir, inputPath))).toEqual(want);
      // Argo CD's built-in checks run with the whole standard library: same answer.
      expect(await health(join(dir, 'health.lua'), join(dir, inputPath), '-open-libs')).toEqual(want);
    },
  );

  it.skipIf(!binary)(
    'passes the whole tree in the runner’s suite mode, the one CI and Argo CD’s test use',
    async () => {
      const { code, output } = await testTree(customizations);
      expect(output).toContain(`${cases.length * 2} cases, 0 failed`);
      expect(code).toBe(0);
    },
  );

  it.skipIf(!binary)('fails the suite when a script no longer gives the expected health', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-argo-health-'));
    scratch.push(dir);
    cpSync(join(customizations, group, 'RegistryToken'), join(dir, 'RegistryToken'), { recursive: true });
    const suite = join(dir, 'RegistryToken', 'health_test.yaml');
    writeFileSync(suite, readFileSync(suite, 'utf8').replace('status: Healthy', 'status: Degraded'));
    const { code, output } = await testTree(dir);
    expect(code).toBe(1);
    expect(output).toMatch(/FAIL RegistryToken testdata\/healthy\.yaml/);
  });

  it.skipIf(!binary)('rejects a script that needs a library argocd-cm checks do not get', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-argo-health-'));
    scratch.push(dir);
    const lua = join(dir, 'health.lua');
    writeFileSync(lua, 'return { status = "Healthy", message = string.upper(obj.kind) }\n');
    const object = join(customizations, group, 'RegistryToken', 'testdata', 'healthy.yaml');
    await expect(health(lua, object)).rejects.toThrow(/string/);
    expect(await health(lua, object, '-open-libs')).toEqual({ status: 'Healthy', message: 'REGISTRYTOKEN' });
  });
});

/** Markers around the generated argocd-cm snippet in docs/gitops.md. */
const BEGIN =
  '<!-- BEGIN argocd-cm: generated from deploy/argocd/resource_customizations by test/support/argo-health.test.ts -->';
const END = '<!-- END argocd-cm -->';

/** The argocd-cm snippet that installs every berth health check, built from the health.lua files. */
function argocdCmSnippet(): string {
  const lines = [
    '```yaml',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: argocd-cm',
    '  namespace: argocd',
    '  labels:',
    '    app.kubernetes.io/part-of: argocd',
    'data:',
  ];
  for (const kind of kinds) {
    lines.push(`  resource.customizations.health.${group}_${kind}: |`);
    const lua = readFileSync(join(customizations, group, kind, 'health.lua'), 'utf8').trimEnd();
    for (const line of lua.split('\n')) lines.push(line === '' ? '' : `    ${line}`);
  }
  lines.push('```');
  return `${BEGIN}\n${lines.join('\n')}\n${END}`;
}

describe('docs/gitops.md', () => {
  it('shows the argocd-cm snippet as generated from the health.lua files', () => {
    const doc = readFileSync(gitopsDoc, 'utf8');
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    expect(start, 'the generated block markers are missing').toBeGreaterThanOrEqual(0);
    const current = doc.slice(start, end + END.length);
    const want = argocdCmSnippet();
    if (current !== want && process.env.BERTH_UPDATE_DOCS === '1') {
      writeFileSync(
        gitopsDoc,
        doc.replace(current, () => want),
      );
      return;
    }
    expect(
      current,
      'stale: run BERTH_UPDATE_DOCS=1 npm run test:unit -- test/support/argo-health.test.ts',
    ).toBe(want);
  });

  it('the snippet is a ConfigMap whose keys carry each health.lua unchanged', () => {
    const yamlText = argocdCmSnippet().split('\n').slice(2, -2).join('\n');
    const cm = parse(yamlText) as { data: Record<string, string> };
    for (const kind of kinds) {
      const lua = readFileSync(join(customizations, group, kind, 'health.lua'), 'utf8');
      expect(cm.data[`resource.customizations.health.${group}_${kind}`]).toBe(lua);
    }
  });
});
