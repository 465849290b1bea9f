import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';
import { repoRoot } from '../../src/dev/binaries.ts';

const execFileAsync = promisify(execFile);
const SHOP_NAMESPACES = ['shop-dev', 'shop-staging', 'shop-prod'];

// The README's first command must stay true: run the demo as a user would (minus the set-up,
// which the test command already did) and check the story it tells, fact by fact.
describe.skipIf(inject('clusterKind') !== 'local')('the demo (README)', () => {
  it("tells berth's story on its own control plane: registries, pulls, distribution, rotation, cleanup", {
    timeout: 240_000,
  }, async () => {
    const { stdout, stderr } = await execFileAsync(process.execPath, [join(repoRoot, 'scripts/demo.ts')], {
      maxBuffer: 4 * 1024 * 1024,
      timeout: 230_000,
    });
    const lines = (re: RegExp) => stdout.split('\n').filter((l) => re.test(l));

    // 1. Three registries Ready.
    for (const name of ['demo-ionos', 'demo-selectel', 'demo-quay'])
      expect(stdout).toMatch(new RegExp(`^${name}\\s+\\S+\\s+\\S+\\s+True\\s+Succeeded`, 'm'));

    // 2. Each provider's pull Secret pulled the image pushed with its push Secret.
    const pulls = lines(/^\[demo\] pulled \S+ with Secret pull-(ionos|selectel|quay): sha256:[0-9a-f]{64}$/);
    expect(pulls).toHaveLength(3);

    // 3. Three namespaces served: a copy, the default ServiceAccount lists it, and it pulls.
    for (const ns of SHOP_NAMESPACES) {
      expect(stdout).toMatch(new RegExp(`^${ns}\\s+shop-pull\\s+kubernetes\\.io/dockerconfigjson`, 'm'));
      expect(stdout).toMatch(new RegExp(`^${ns}\\s+default\\s+shop-pull\\s*$`, 'm'));
      expect(stdout).toMatch(
        new RegExp(`^\\[demo\\] ${ns}: its copy of Secret shop-pull pulls .*sha256:`, 'm'),
      );
    }

    // 4. The rotation: no failed pull, old and new credentials seen, the old one refused later.
    const probe = /^\[demo\] probe: (\d+) pulls, (\d+) failures, (\d+) credentials seen/m.exec(stdout);
    expect(probe, 'the probe tally line').not.toBeNull();
    const [, pullCount, failures, credentials] = (probe ?? []).map(Number);
    expect(failures).toBe(0);
    expect(credentials).toBeGreaterThanOrEqual(2);
    expect(pullCount).toBeGreaterThanOrEqual(3);
    expect(stdout).toMatch(/^\[demo\] the replaced credential \S+ was refused by the registry/m);
    expect(stdout).toMatch(/Revoked\s+registrytoken\/pull-ionos/);

    // 5. The cleanup: a dry-run list, then the same deletions for real.
    const wouldDelete = lines(/^WouldDelete\s+web\s/);
    const deleted = lines(/^Deleted\s+web\s/);
    expect(wouldDelete.length).toBeGreaterThan(0);
    // Each row names the tags that go (issue 20: they were blank for whole manifests).
    expect(wouldDelete.map((l) => l.split(/\s+/)[2])).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    expect(deleted.map((l) => l.replace(/^Deleted/, ''))).toEqual(
      wouldDelete.map((l) => l.replace(/^WouldDelete/, '')),
    );
    expect(stdout).toMatch(/^\[demo\] after the dry run, still all there: v1 /m);

    // 6. The final table and berth status.
    expect(stdout).toContain('$ kubectl get berth -A');
    for (const name of [
      'containerregistry.berth.dev/demo-quay',
      'registrytoken.berth.dev/pull-ionos',
      'registrytoken.berth.dev/shop-pull',
      'cleanuppolicy.berth.dev/web-retention',
    ])
      expect(stdout).toMatch(
        new RegExp(`^berth-demo\\s+${name.replaceAll('.', '\\.')}\\s.*True\\s+Succeeded`, 'm'),
      );
    expect(stdout).toMatch(/^CleanupPolicy\s+berth-demo\s+web-retention\s+True/m);

    // A normal run is quiet: no operator line at warn level or above, no kubectl warnings.
    expect(`${stdout}\n${stderr}`).not.toMatch(/"level":"(warn|error|fatal)"/);
    expect(`${stdout}\n${stderr}`).not.toMatch(/^Warning:/m);
    expect(stdout).toMatch(/^\[demo\] the whole story took \d+\.\ds$/m);
    expect(stdout).toContain('[demo] stopped everything');
  });
});
