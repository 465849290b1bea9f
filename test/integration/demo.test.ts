import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../src/dev/binaries.ts';

const execFileAsync = promisify(execFile);

// The README's first command must stay true: run the demo as a user would (minus the set-up,
// which the test command already did) and check what it shows.
describe.skipIf(inject('clusterKind') !== 'local')('the demo (README)', () => {
  it('brings one registry per provider to Ready on its own control plane and cleans up', {
    timeout: 180_000,
  }, async () => {
    const { stdout } = await execFileAsync(process.execPath, [join(repoRoot, 'scripts/demo.ts')], {
      maxBuffer: 4 * 1024 * 1024,
      timeout: 170_000,
    });
    for (const name of ['demo-ionos', 'demo-selectel', 'demo-quay']) {
      expect(stdout).toMatch(
        new RegExp(`containerregistry.berth.dev/${name}\\s+\\S+\\s+\\S+\\s+True\\s+Succeeded`),
      );
    }
    expect(stdout).toContain('[demo] all registries Ready');
    expect(stdout).toContain('[demo] stopped everything');
  });
});
