// The `berth` command (and `kubectl berth`): bin/berth runs this file with the project's Node 24.
import { processIo } from './io.ts';
import { programName, runCli } from './program.ts';

// `berth status | head`: a reader that went away is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const abort = new AbortController();
// Ctrl-C: stop waiting, let commands remove what they created (a dry-run copy), then exit 130.
process.once('SIGINT', () => abort.abort(new Error('interrupted')));
process.once('SIGTERM', () => abort.abort(new Error('terminated')));

process.exitCode = await runCli(
  process.argv.slice(2),
  processIo(),
  abort.signal,
  programName(process.env.BERTH_PROGRAM_NAME),
);
