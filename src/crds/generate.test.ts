import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { allGeneratedFiles, CHART_CRD_DIR, chartCrd } from './generate.ts';
import { generatedFiles } from './render.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function checkedIn(path: string): string | undefined {
  try {
    return readFileSync(join(root, path), 'utf8');
  } catch {
    return undefined;
  }
}

describe('generated CRDs', () => {
  it.each(allGeneratedFiles())('$path is up to date', (file) => {
    const current = checkedIn(file.path);
    if (current !== file.content) {
      expect.fail(
        current === undefined
          ? `${file.path} is missing: run \`npm run generate\` and commit the result`
          : `${file.path} differs from what src/crds/ generates: run \`npm run generate\` and commit the result`,
      );
    }
  });

  it('renders the same bytes every time', () => {
    expect(generatedFiles()).toEqual(generatedFiles());
  });

  it('renders YAML that reads back as the CRD', () => {
    for (const file of generatedFiles()) {
      const crd = parse(file.content) as { kind: string; spec: { names: { categories: string[] } } };
      expect(crd.kind).toBe('CustomResourceDefinition');
      expect(crd.spec.names.categories).toEqual(['berth']);
    }
  });

  it('puts every CRD into the Helm chart, behind crds.enabled and with keep behind crds.keep', () => {
    for (const file of generatedFiles()) {
      const chart = chartCrd(file);
      expect(chart.path.startsWith(`${CHART_CRD_DIR}/`)).toBe(true);
      const lines = chart.content.split('\n');
      expect(lines[0]).toBe('{{- if .Values.crds.enabled }}');
      expect(lines.at(-2)).toBe('{{- end }}');
      expect(chart.content).toContain(
        '  {{- if .Values.crds.keep }}\n  annotations:\n    helm.sh/resource-policy: keep\n  {{- end }}\n',
      );
      // Without the template lines it is the CRD, byte for byte.
      const stripped = lines
        .filter(
          (l) => !/^\s*\{\{-/.test(l) && !/^ {2}annotations:$|^ {4}helm\.sh\/resource-policy: keep$/.test(l),
        )
        .join('\n');
      expect(stripped).toBe(file.content.replaceAll('{{', '{{ "{{" }}'));
    }
  });

  it('escapes template actions in a CRD so that Helm prints them as they are', () => {
    const file = { path: 'deploy/crds/x.yaml', content: 'metadata:\n  name: x\nspec:\n  d: "a {{ b }}"\n' };
    expect(chartCrd(file).content).toContain('d: "a {{ "{{" }} b }}"');
  });
});
