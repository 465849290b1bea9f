import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import pino from 'pino';
import { registeredControllers } from '../../src/composition.ts';
import { parseConfig } from '../../src/config.ts';
import { startSimulatorsWithRegistry } from '../../src/dev/providers.ts';
import type { RunningRegistry } from '../../src/dev/registry.ts';
import { type RunningOperator, startOperator } from '../../src/operator.ts';
import type { RunningSimulators } from '../../src/simulators/all.ts';

/** The provider simulators, a real registry behind their token service, and the operator. */
export interface ProviderStack {
  sims: RunningSimulators;
  registry: RunningRegistry;
  operator: RunningOperator;
  stop(): Promise<void>;
}

/**
 * Starts what the controller tests share: simulators that report the real registry's host, that
 * registry trusting the simulators' token service, and the operator (all controllers, in-process,
 * no leader election) watching one namespace, through `operatorKubeConfig` when given. `BERTH_TEST_LOG=debug` (any pino level) writes the
 * operator's log to `$TMPDIR/berth-operator-<namespace>.log` for a failing test.
 */
export async function startProviderStack(
  kc: KubeConfig,
  namespace: string,
  options: { operatorKubeConfig?: KubeConfig; operatorArgs?: string[] } = {},
): Promise<ProviderStack> {
  const { sims, registry } = await startSimulatorsWithRegistry({ processMs: 200 });
  const operator = await startOperator(
    parseConfig(
      [
        `--namespaces=${namespace}`,
        '--leader-elect=false',
        '--metrics-addr=127.0.0.1:0',
        '--workers=4',
        `--provider-registry-host=${registry.host}`,
        // The tests distribute into namespaces they create as they go.
        '--distribution-namespaces=*',
        ...(options.operatorArgs ?? []),
      ],
      {},
    ),
    registeredControllers,
    {
      kubeConfig: options.operatorKubeConfig ?? kc,
      logger: process.env.BERTH_TEST_LOG
        ? pino(
            { level: process.env.BERTH_TEST_LOG },
            pino.destination(join(tmpdir(), `berth-operator-${namespace}.log`)),
          )
        : pino({ level: 'silent' }),
    },
  );
  return {
    sims,
    registry,
    operator,
    async stop() {
      await operator.stop('test done');
      await registry.stop();
      await sims.stop();
    },
  };
}
