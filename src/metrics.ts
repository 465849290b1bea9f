import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The operator's metrics, named as controller-runtime names them with a `berth_` prefix so existing
 * dashboards and alerts translate directly. Documented in docs/metrics.md. Labels never carry
 * secrets or unbounded values (no object names).
 */
export interface OperatorMetrics {
  registry: Registry;
  reconcileTotal: Counter<'controller' | 'result'>;
  reconcileErrors: Counter<'controller'>;
  terminalReconcileErrors: Counter<'controller'>;
  staleCacheReads: Counter<'controller'>;
  reconcileTime: Histogram<'controller'>;
  activeWorkers: Gauge<'controller'>;
  maxConcurrentReconciles: Gauge<'controller'>;
  queueDepth: Gauge<'name'>;
  queueAdds: Counter<'name'>;
  queueRetries: Counter<'name'>;
  queueDuration: Histogram<'name'>;
  informerRestarts: Counter<'informer'>;
  informerLists: Counter<'informer'>;
  informerSynced: Gauge<'informer'>;
  leaderStatus: Gauge<'name'>;
  providerRequests: Counter<'provider' | 'operation' | 'code'>;
  tokenExpiry: Gauge<'namespace' | 'name'>;
  tokenRenewal: Gauge<'namespace' | 'name'>;
  objects: Gauge<'controller' | 'state'>;
  tokenRotations: Counter<'provider' | 'result'>;
  cleanupRuns: Counter<'provider' | 'result'>;
  cleanupDeletions: Counter<'provider'>;
  providerRequestDuration: Histogram<'provider' | 'operation'>;
  requestsThrottled: Counter<'controller' | 'kind' | 'scope'>;
  credentialCensusLists: Counter<'provider' | 'result'>;
  credentialCensusFindings: Counter<'provider' | 'kind'>;
}

const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Creates the metrics in a fresh registry (one per process; tests make their own). */
export function createMetrics(options: { defaultMetrics?: boolean } = {}): OperatorMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'berth_' });
  const registers = [registry];
  return {
    registry,
    reconcileTotal: new Counter({
      name: 'berth_controller_reconcile_total',
      help: 'Total number of reconciliations per controller, by result',
      labelNames: ['controller', 'result'],
      registers,
    }),
    reconcileErrors: new Counter({
      name: 'berth_controller_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    }),
    terminalReconcileErrors: new Counter({
      name: 'berth_controller_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors (Stalled, not retried) per controller',
      labelNames: ['controller'],
      registers,
    }),
    staleCacheReads: new Counter({
      name: 'berth_controller_stale_cache_reads_total',
      help: 'Reconciles that read their object from the API because the cache did not hold our last write yet',
      labelNames: ['controller'],
      registers,
    }),
    reconcileTime: new Histogram({
      name: 'berth_controller_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: RECONCILE_BUCKETS,
      registers,
    }),
    activeWorkers: new Gauge({
      name: 'berth_controller_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    }),
    maxConcurrentReconciles: new Gauge({
      name: 'berth_controller_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'berth_workqueue_depth',
      help: 'Current depth of the work queue',
      labelNames: ['name'],
      registers,
    }),
    queueAdds: new Counter({
      name: 'berth_workqueue_adds_total',
      help: 'Total number of adds handled by the work queue',
      labelNames: ['name'],
      registers,
    }),
    queueRetries: new Counter({
      name: 'berth_workqueue_retries_total',
      help: 'Total number of rate-limited retries handled by the work queue',
      labelNames: ['name'],
      registers,
    }),
    queueDuration: new Histogram({
      name: 'berth_workqueue_queue_duration_seconds',
      help: 'How long a key stays in the work queue before a worker takes it',
      labelNames: ['name'],
      buckets: RECONCILE_BUCKETS,
      registers,
    }),
    informerRestarts: new Counter({
      name: 'berth_informer_restarts_total',
      help: 'Times an informer was restarted after a watch error or a silent watch',
      labelNames: ['informer'],
      registers,
    }),
    informerLists: new Counter({
      name: 'berth_informer_lists_total',
      help: 'Full lists an informer made: one to start, then one per relist (a 410 or a restart)',
      labelNames: ['informer'],
      registers,
    }),
    informerSynced: new Gauge({
      name: 'berth_informer_synced',
      help: '1 once the informer has listed its resources, else 0',
      labelNames: ['informer'],
      registers,
    }),
    leaderStatus: new Gauge({
      name: 'berth_leader_election_master_status',
      help: '1 while this process is the leader, else 0',
      labelNames: ['name'],
      registers,
    }),
    providerRequests: new Counter({
      name: 'berth_provider_requests_total',
      help: 'Requests to provider APIs by provider, operation and HTTP status (or error kind)',
      labelNames: ['provider', 'operation', 'code'],
      registers,
    }),
    tokenExpiry: new Gauge({
      name: 'berth_registry_token_expiry_timestamp_seconds',
      help: 'When the current credential of a RegistryToken expires (Unix seconds); absent if it never does',
      labelNames: ['namespace', 'name'],
      registers,
    }),
    tokenRenewal: new Gauge({
      name: 'berth_registry_token_renewal_timestamp_seconds',
      help: 'When the current credential of a RegistryToken is due for renewal (status.renewAt, Unix seconds); absent if never',
      labelNames: ['namespace', 'name'],
      registers,
    }),
    objects: new Gauge({
      name: 'berth_controller_objects',
      help: 'Objects by the state their last reconcile left them in: ready, not_ready (in progress or retrying) or stalled; leader only',
      labelNames: ['controller', 'state'],
      registers,
    }),
    tokenRotations: new Counter({
      name: 'berth_registry_token_rotations_total',
      help: 'Credentials issued, rotated or extended, and failures, by provider',
      labelNames: ['provider', 'result'],
      registers,
    }),
    cleanupRuns: new Counter({
      name: 'berth_cleanup_runs_total',
      help: 'CleanupPolicy runs by provider and result (dry_run, succeeded, partial, stopped_at_limit)',
      labelNames: ['provider', 'result'],
      registers,
    }),
    cleanupDeletions: new Counter({
      name: 'berth_cleanup_deletions_total',
      help: 'Tags and manifests deleted by CleanupPolicies, by provider (not those already gone, nor those read back still there)',
      labelNames: ['provider'],
      registers,
    }),
    providerRequestDuration: new Histogram({
      name: 'berth_provider_request_duration_seconds',
      help: 'Latency of provider API requests, retries included',
      labelNames: ['provider', 'operation'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    // No namespace label: which tenant is throttled is in its objects' conditions and Events,
    // and a label per namespace would grow the series with the tenants.
    requestsThrottled: new Counter({
      name: 'berth_requests_throttled_total',
      help: 'Requests refused by a budget for work on request (rotations, cleanup runs), by the level that refused them',
      labelNames: ['controller', 'kind', 'scope'],
      registers,
    }),
    credentialCensusLists: new Counter({
      name: 'berth_credential_census_lists_total',
      help: "Lists of a registry's berth credentials at the provider (one serves every token of the registry), by result",
      labelNames: ['provider', 'result'],
      registers,
    }),
    credentialCensusFindings: new Counter({
      name: 'berth_credential_census_findings_total',
      help: 'What the credential census found: a current credential gone, disabled or expired, or an orphan',
      labelNames: ['provider', 'kind'],
      registers,
    }),
  };
}
