// Step 4: a rotation on request while a probe pulls every second with whatever the Secret holds.
import { setTimeout as sleep } from 'node:timers/promises';
import { elapsed, say, show, step } from '../print.ts';
import { startProbe } from '../probe.ts';
import { DEMO_NAMESPACE, type DemoStack } from '../stack.ts';
import { craneWith, readPullSecret } from '../tools.ts';
import { kubectlShown } from './common.ts';
import { GRACE_PERIOD, type Images } from './tokens.ts';

const TOKEN = 'pull-ionos';

/**
 * Starts the probe on Secret pull-ionos, rotates the token with `berth rotate`, waits until the
 * registry refuses the replaced credential (after the grace period), then prints the probe's tally.
 */
export async function rotationStep(stack: DemoStack, images: Images): Promise<void> {
  step('A rotation on request, while a probe pulls every second');
  const image = images.ionos;
  const read = () => readPullSecret(stack.core, DEMO_NAMESPACE, TOKEN);
  say(`the probe reads Secret ${TOKEN} and pulls ${image} with it, once a second`);
  const probe = startProbe(read, image);
  while (probe.tally.pulls < 3) await sleep(100);
  const old = await read();

  const rotated = await stack.berth(['-n', DEMO_NAMESPACE, 'rotate', TOKEN]);
  show(`berth rotate -n ${DEMO_NAMESPACE} ${TOKEN}`, rotated.stdout);
  if (rotated.code !== 0) throw new Error(`berth rotate failed: ${rotated.stderr}`);
  const rotatedAt = Date.now();

  // The replaced credential works for the grace period, then berth revokes it at the provider.
  const refusal = await refusedAfter(old.dockerConfig, image, 60_000);
  const refusedIn = elapsed(rotatedAt);
  await sleep(1_000); // one more pull with the new credential alone
  const tally = await probe.stop();
  say(
    `probe: ${tally.pulls} pulls, ${tally.failures} failures, ${tally.credentials.length} credentials seen ` +
      `(${tally.credentials.join(' -> ')})${tally.firstError ? `; first failure: ${tally.firstError}` : ''}`,
  );
  say(
    `the replaced credential ${old.credential} was refused by the registry ${refusedIn} after the rotation ` +
      `(gracePeriod ${GRACE_PERIOD}): ${refusal}`,
  );
  await kubectlShown(stack, [
    'get',
    'events',
    '-n',
    DEMO_NAMESPACE,
    '--field-selector',
    `involvedObject.name=${TOKEN}`,
    '--sort-by=.metadata.creationTimestamp',
  ]);
}

/** Pulls with `dockerConfig` every second until the registry refuses it; returns why, in short. */
async function refusedAfter(dockerConfig: string, image: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await craneWith(dockerConfig, ['digest', image]);
    } catch (err) {
      const message = (err as Error).message;
      return /UNAUTHORIZED|DENIED|401|403/.exec(message)?.[0] ?? message.split('\n')[0] ?? 'refused';
    }
    await sleep(1_000);
  }
  throw new Error(`the replaced credential still pulled ${timeoutMs / 1000}s after the rotation`);
}
