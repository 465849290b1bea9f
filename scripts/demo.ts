// The README's demo: berth's whole story on the embedded default, no cloud account. A local
// control plane, the IONOS, Selectel and Quay simulators with a real registry behind them, and the
// operator; then registries, tokens that pull, distribution, a rotation under a pull probe, a
// cleanup run, and the overview. `--keep` leaves it all running. The pieces are in scripts/demo/.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../src/dev/binaries.ts';
import { elapsed, say } from './demo/print.ts';
import { DEMO_NAMESPACE, startDemoStack } from './demo/stack.ts';
import { cleanupStep } from './demo/story/cleanup.ts';
import { distributionStep } from './demo/story/distribution.ts';
import { overviewStep } from './demo/story/overview.ts';
import { registriesStep } from './demo/story/registries.ts';
import { rotationStep } from './demo/story/rotation.ts';
import { tokensStep } from './demo/story/tokens.ts';

const { values } = parseArgs({ options: { keep: { type: 'boolean' } }, strict: true });

say('berth end to end on this machine: local control plane, provider simulators, a real registry');
const stack = await startDemoStack();
try {
  const endpoints = await registriesStep(stack);
  const images = await tokensStep(stack, endpoints);
  await distributionStep(stack, images);
  await rotationStep(stack, images);
  await cleanupStep(stack);
  await overviewStep(stack);
} catch (err) {
  console.error(`[demo] failed: ${(err as Error).message}`);
  await stack.stop();
  process.exit(1);
}
console.log('');
say(`the whole story took ${elapsed()}`);

if (values.keep) {
  say('still running (Ctrl-C stops everything). In another shell:');
  console.log(`export KUBECONFIG=${stack.kubeconfig}`);
  console.log(`export PATH="${stack.kubectlDir}:${join(repoRoot, 'bin')}:$PATH"`);
  console.log('berth status -A');
  console.log(`berth explain -n ${DEMO_NAMESPACE} rtok/pull-ionos`);
  console.log(`berth rotate -n ${DEMO_NAMESPACE} pull-quay`);
  console.log(`berth cleanup run -n ${DEMO_NAMESPACE} web-retention --dry-run`);
  console.log('kubectl get berth -A');
  const stop = () =>
    void stack.stop().then(() => {
      say('stopped everything');
      process.exit(0);
    });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} else {
  await stack.stop();
  say('stopped everything');
}
