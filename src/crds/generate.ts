import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './render.ts';

/** The repository root, found from this file so the CLI works from any working directory. */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

for (const file of generatedFiles()) {
  const target = join(root, file.path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, file.content);
  process.stdout.write(`wrote ${file.path}\n`);
}
