// `npm run simulators`: the three provider simulators and the registry token service, standalone.
// Prints their endpoints and simulator credentials as one JSON document, then runs until stopped.
import { parseArgs } from 'node:util';
import { startSimulators } from './all.ts';

const { values } = parseArgs({
  options: { 'registry-host': { type: 'string' }, 'process-ms': { type: 'string' } },
  strict: true,
});
const processMs = values['process-ms'] === undefined ? undefined : Number(values['process-ms']);
if (processMs !== undefined && !(processMs >= 0)) {
  console.error('--process-ms must be a number of milliseconds');
  process.exit(2);
}
const sims = await startSimulators({
  ...(values['registry-host'] ? { registryHost: values['registry-host'] } : {}),
  ...(processMs !== undefined ? { processMs } : {}),
});
process.stdout.write(`${JSON.stringify(sims.endpoints, null, 2)}\n`);
const stop = async () => {
  await sims.stop();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
