// The operator's entry point: configuration, then wiring; nothing else lives here.

import { registeredControllers } from './composition.ts';
import { ConfigError, parseConfig } from './config.ts';
import { startOperator } from './operator.ts';

async function main(): Promise<number> {
  let config: ReturnType<typeof parseConfig>;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`berth: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const operator = await startOperator(config, registeredControllers);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void operator.stop(signal));
  }
  return operator.done;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`berth: ${(err as Error).message}`);
    process.exit(1);
  },
);
