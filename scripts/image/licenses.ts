// Writes the licence texts of every npm package that ended up in the image's bundle to stdout.
// Bundling drops each package's own LICENSE file, yet most of these licences (MIT, Apache-2.0, ISC)
// ask that the notice travel with the code; the Dockerfile ships this output beside the bundle.
// Usage (build stage of the Dockerfile): node scripts/image/licenses.ts <esbuild metafile>
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Metafile {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

interface PackageJson {
  name?: string;
  version?: string;
  license?: string;
}

const LICENSE_FILE = /^(licen[cs]e|copying|notice)([.-].*)?$/i;

/** The package directory of a bundled input such as `node_modules/@scope/name/dist/x.js`, if it is one. */
function packageDir(input: string): string | undefined {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const scoped = parts[at + 1]?.startsWith('@') ?? false;
  const end = at + (scoped ? 3 : 2);
  return parts.length > end ? parts.slice(0, end).join('/') : undefined;
}

/** Package directories with at least one byte in some output, sorted so the file is stable. */
function bundledPackages(meta: Metafile): string[] {
  const dirs = new Set<string>();
  for (const output of Object.values(meta.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const dir = bytesInOutput > 0 ? packageDir(input) : undefined;
      if (dir) dirs.add(dir);
    }
  }
  return [...dirs].sort();
}

/** `name@version (licence)` and the package's licence texts; nested copies of one version say the same. */
function notice(dir: string): [id: string, text: string] {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
  const files = readdirSync(dir)
    .filter((f) => LICENSE_FILE.test(f))
    .sort();
  const texts = files.map((f) => readFileSync(join(dir, f), 'utf8').trim());
  // A package without a licence file still gets its declared licence named, so the gap is visible.
  const body =
    texts.length > 0 ? texts.join('\n\n') : `(no licence file; package.json declares ${pkg.license})`;
  const id = `${pkg.name}@${pkg.version}`;
  return [id, `${id} (${pkg.license ?? 'no licence declared'})\n\n${body}\n`];
}

if (import.meta.main) {
  const metafile = process.argv[2];
  if (!metafile) {
    console.error('usage: node scripts/image/licenses.ts <esbuild metafile>');
    process.exit(2);
  }
  const meta = JSON.parse(readFileSync(metafile, 'utf8')) as Metafile;
  const rule = `\n${'-'.repeat(78)}\n\n`;
  process.stdout.write(
    `Third-party software bundled into berth's /app/main.mjs, with its licences.\n${rule}` +
      [...new Map(bundledPackages(meta).map(notice)).values()].join(rule),
  );
}
