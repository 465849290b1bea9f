// Step 5: a CleanupPolicy previewed with a dry run over seeded tags, then run for real.
import { createHash } from 'node:crypto';
import { say, show, step } from '../print.ts';
import { DEMO_NAMESPACE, type DemoStack } from '../stack.ts';
import { apply, berthObject, PROVIDERS } from './common.ts';

const POLICY = 'web-retention';
const ORG = 'demo';
const REPOSITORY = 'web';
const DAY = 86_400_000;

/**
 * Seeds eight daily builds (and `latest`) in the Quay repository demo/web through the simulator,
 * applies a keep-the-newest-three policy, shows `berth cleanup run --dry-run`, then the real run.
 */
export async function cleanupStep(stack: DemoStack): Promise<void> {
  step('A CleanupPolicy: dry run, then the real run');
  const quay = stack.sims.quay;
  for (let n = 1; n <= 8; n++) {
    const digest = `sha256:${createHash('sha256').update(`web:v${n}`).digest('hex')}`;
    const pushedAt = Date.now() - (9 - n) * DAY;
    quay.pushTag(ORG, REPOSITORY, `v${n}`, { digest, pushedAt, size: 40_000_000 });
    if (n === 8) quay.pushTag(ORG, REPOSITORY, 'latest', { digest, pushedAt, size: 40_000_000 });
  }
  say(`seeded ${ORG}/${REPOSITORY} at Quay with a build a day for 8 days: ${tags(stack)}`);
  await apply(stack, [
    berthObject('CleanupPolicy', POLICY, {
      registryRef: { name: PROVIDERS.quay.registry },
      schedule: '0 3 * * *',
      timeZone: 'Europe/Berlin',
      // Runs only when asked in this demo; without it, berth runs it every night at 03:00 Berlin time.
      suspend: true,
      repositories: { include: [REPOSITORY] },
      rules: { keepLast: 3, keepTags: ['latest'] },
    }),
  ]);
  say('the policy deletes (dryRun is false); --dry-run previews it on a temporary copy that cannot delete');
  const preview = await stack.berth(['-n', DEMO_NAMESPACE, 'cleanup', 'run', POLICY, '--dry-run']);
  show(`berth cleanup run -n ${DEMO_NAMESPACE} ${POLICY} --dry-run`, preview.stdout);
  if (preview.code !== 0) throw new Error(`berth cleanup run --dry-run failed: ${preview.stderr}`);
  say(`after the dry run, still all there: ${tags(stack)}`);
  const real = await stack.berth(['-n', DEMO_NAMESPACE, 'cleanup', 'run', POLICY]);
  show(`berth cleanup run -n ${DEMO_NAMESPACE} ${POLICY}`, real.stdout);
  if (real.code !== 0) throw new Error(`berth cleanup run failed: ${real.stderr}`);
  say(`after the real run, left at Quay: ${tags(stack)}`);
}

/** The active tags of demo/web at the Quay simulator, oldest first. */
function tags(stack: DemoStack): string {
  return stack.sims.quay.activeTags(ORG, REPOSITORY).join(' ');
}
