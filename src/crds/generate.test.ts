import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
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
  it.each(generatedFiles())('$path is up to date', (file) => {
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
});
