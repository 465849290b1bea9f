// Step 6: everything berth manages, as kubectl and the berth CLI show it.
import { show, step } from '../print.ts';
import type { DemoStack } from '../stack.ts';
import { kubectlShown } from './common.ts';

/** Shows `kubectl get berth -A` and `berth status -A`. */
export async function overviewStep(stack: DemoStack): Promise<void> {
  step('Everything at a glance');
  await kubectlShown(stack, ['get', 'berth', '-A']);
  const status = await stack.berth(['status', '-A']);
  show('berth status -A', status.stdout);
  if (status.code !== 0) throw new Error(`berth status found a problem: ${status.stderr}`);
}
