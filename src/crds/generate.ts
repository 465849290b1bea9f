import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GeneratedFile, generatedFiles } from './render.ts';

/** The repository root, found from this file so the CLI works from any working directory. */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the Helm chart carries the CRDs, as templates, relative to the repository root. */
export const CHART_CRD_DIR = 'deploy/helm/berth/templates/crds';

/**
 * A generated CRD as a chart template (cert-manager's contract): rendered only with
 * `crds.enabled`, annotated `helm.sh/resource-policy: keep` with `crds.keep`. Anything that reads
 * as a template action in the CRD (`{{`) is escaped so Helm prints it as it is.
 */
export function chartCrd(file: GeneratedFile): GeneratedFile {
  const metadata = /^metadata:\n {2}name: .*\n/m;
  if (!metadata.test(file.content) || /^ {2}annotations:/m.test(file.content))
    throw new Error(`${file.path}: expected metadata to start with name and to have no annotations`);
  const keep =
    '  {{- if .Values.crds.keep }}\n  annotations:\n    helm.sh/resource-policy: keep\n  {{- end }}\n';
  const body = file.content.replaceAll('{{', '{{ "{{" }}').replace(metadata, (m) => m + keep);
  return {
    path: `${CHART_CRD_DIR}/${basename(file.path)}`,
    content: `{{- if .Values.crds.enabled }}\n${body}{{- end }}\n`,
  };
}

/** Every file `npm run generate` writes: the CRDs and the chart's copies of them. */
export function allGeneratedFiles(): GeneratedFile[] {
  const crds = generatedFiles();
  return [...crds, ...crds.map(chartCrd)];
}

if (import.meta.main) {
  for (const file of allGeneratedFiles()) {
    const target = join(root, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content);
    process.stdout.write(`wrote ${file.path}\n`);
  }
}
