import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { OperatorConfig } from './config.ts';
import { type Clock, systemClock } from './controllers/runtime/clock.ts';
import type { Controller } from './controllers/runtime/controller.ts';
import { type EventRecorder, KubeEventRecorder } from './controllers/runtime/events.ts';
import { LeaderElector } from './controllers/runtime/leader-election.ts';
import { RequestBudgets } from './controllers/shared/budgets.ts';
import { type HealthServer, startHealthServer } from './health.ts';
import { createKubeClients, type KubeClients } from './kube/clients.ts';
import { createLogger } from './log.ts';
import { createMetrics, type OperatorMetrics } from './metrics.ts';

/** What a controller factory gets to build its controllers with. */
export interface OperatorDeps {
  config: OperatorConfig;
  logger: Logger;
  metrics: OperatorMetrics;
  clients: KubeClients;
  /** An event recorder reporting as `berth.dev/<controller>`. */
  eventsFor(controller: string): EventRecorder;
  /**
   * The operator's clock: what every controller, budget, event and the Lease read the time from
   * (the wall clock in production; tests may pass another to {@link startOperator}).
   */
  clock: Clock;
  /**
   * Budgets for work on request (rotations, cleanup runs) from the `--budget-*` flags: one instance
   * per operator, which every controller shares.
   */
  budgets: RequestBudgets;
}

/** Builds the controllers to run; main.ts passes the real ones, tests their own. */
export type ControllerFactory = (deps: OperatorDeps) => Controller[];

/** A started operator. */
export interface RunningOperator {
  health: HealthServer;
  logger: Logger;
  /** Graceful stop: stop taking work, finish what runs, release the Lease. Resolves to the exit code. */
  stop(reason: string): Promise<number>;
  /** Resolves with the exit code once the operator stopped (by {@link stop} or by losing leadership). */
  done: Promise<number>;
}

/**
 * Wires logger, metrics, Kubernetes clients, the health server, leader election and the
 * controllers. Informers start at once on every replica; workers start only on the leader.
 */
export async function startOperator(
  config: OperatorConfig,
  factory: ControllerFactory,
  options: { kubeConfig?: KubeConfig; logger?: Logger; clock?: Clock } = {},
): Promise<RunningOperator> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const clock = options.clock ?? systemClock;
  const kubeConfig = options.kubeConfig ?? loadDefaultKubeConfig();
  const clients = createKubeClients(kubeConfig, { qps: config.kubeApiQps, burst: config.kubeApiBurst });
  const eventsFor = (controller: string) =>
    new KubeEventRecorder({
      api: clients.events,
      controller: `berth.dev/${controller}`,
      instance: config.identity,
      logger,
      clock,
    });
  // In memory, so a new leader starts with full budgets (docs/configuration.md says so).
  const budgets = new RequestBudgets(config, clock, metrics);
  const controllers = factory({ config, logger, metrics, clients, eventsFor, budgets, clock });

  const health = await startHealthServer(config.metricsAddr, metrics.registry, {
    live: () => true,
    ready: () => controllers.every((c) => c.synced),
  });
  logger.info(
    { address: health.address, identity: config.identity, controllers: controllers.length },
    'operator starting',
  );

  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let stopping: Promise<number> | undefined;
  const informersSynced = Promise.all(controllers.map((c) => c.startInformers()));
  const startWorkers = async () => {
    await informersSynced;
    if (stopping) return;
    for (const c of controllers) c.startWorkers();
    logger.info('caches synced; reconciling');
  };

  const leaseName = config.leaderElectionId;
  let elector: LeaderElector | undefined;
  const stop = (reason: string, code = 0): Promise<number> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'operator stopping');
      await Promise.all(controllers.map((c) => c.stop(config.shutdownGracePeriod)));
      await elector?.stop();
      await health.close();
      logger.info('operator stopped');
      finish(code);
      return code;
    })();
    return stopping;
  };
  elector = config.leaderElect
    ? new LeaderElector({
        api: clients.coordination,
        namespace: config.leaderElectionNamespace,
        name: leaseName,
        identity: config.identity,
        leaseDurationMs: config.leaseDuration,
        renewDeadlineMs: config.renewDeadline,
        retryPeriodMs: config.retryPeriod,
        logger,
        clock,
        onStartedLeading: () => {
          metrics.leaderStatus.set({ name: leaseName }, 1);
          void startWorkers();
        },
        onStoppedLeading: () => {
          metrics.leaderStatus.set({ name: leaseName }, 0);
          // Another replica may already reconcile: stop at once rather than race it (as controller-runtime exits).
          void stop('lost leadership', 1);
        },
      })
    : undefined;
  if (elector) {
    metrics.leaderStatus.set({ name: leaseName }, 0);
    void elector.run();
  } else {
    void startWorkers();
  }
  return { health, logger, stop, done };
}

/** KUBECONFIG, ~/.kube/config, or the in-cluster ServiceAccount, as kubectl would pick. */
function loadDefaultKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromDefault();
  if (!kc.getCurrentCluster()) {
    throw new Error('no Kubernetes configuration found: set KUBECONFIG or run inside a cluster');
  }
  return kc;
}
