import { execFileSync } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../src/dev/binaries.ts';

/** Where every benchmark run leaves its figures. */
export const RESULTS = join(repoRoot, 'bench', 'RESULTS.md');

/** A benchmark's figures: a title and rows of (figure, value[, value...]). */
export interface Report {
  title: string;
  columns: string[];
  rows: (string | number)[][];
  notes?: string[];
}

/** The date, machine and commit a result belongs to. */
export function provenance(): string {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    }).trim();
    if (dirty) commit += '+changes';
  } catch {
    // not a git checkout
  }
  const cores = cpus().length;
  const mem = Math.round(totalmem() / 2 ** 30);
  return `${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, ${cores} cores, ${mem} GiB, Node ${process.version}, commit ${commit}`;
}

/** A Markdown table of the report. */
export function render(report: Report): string {
  const head = `| ${report.columns.join(' | ')} |\n| ${report.columns.map(() => '---').join(' | ')} |`;
  const body = report.rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
  const notes = (report.notes ?? []).map((n) => `- ${n}`).join('\n');
  return `### ${report.title}\n\n${provenance()}\n\n${head}\n${body}\n${notes ? `\n${notes}\n` : ''}`;
}

/** Prints the report and appends it to bench/RESULTS.md. */
export async function publish(report: Report): Promise<void> {
  const text = render(report);
  process.stdout.write(`\n${text}\n`);
  const existing = await readFile(RESULTS, 'utf8').catch(() => '');
  if (!existing)
    await writeFile(RESULTS, '# Benchmark results\n\nAppended by `npm run bench`; newest last.\n');
  await appendFile(RESULTS, `\n${text}`);
  // The lint step checks Markdown formatting too: leave the file as the formatter would.
  try {
    execFileSync(join(repoRoot, 'node_modules', '.bin', 'biome'), ['format', '--write', RESULTS], {
      stdio: 'ignore',
    });
  } catch {
    // formatting is a nicety; the figures are written
  }
}
