import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { DURATION_PATTERN, durationMs } from './crds/duration.ts';
import { parseHostPort } from './util/host.ts';

const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

const duration = (name: string) =>
  z
    .string()
    .regex(DURATION_PATTERN, `${name} must be a duration such as 15s, 2m or 1h`)
    .min(2, `${name} must be a duration such as 15s, 2m or 1h`)
    .transform((v) => durationMs(v));

const boolean = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);

/** Label selector syntax kube-apiserver accepts (equality and set-based), checked roughly up front. */
const LABEL_SELECTOR =
  /^[A-Za-z0-9./_-]+\s*(=|==|!=|\s+in\s+\([^)]*\)|\s+notin\s+\([^)]*\))?\s*[A-Za-z0-9._-]*(\s*,\s*!?[A-Za-z0-9./_-]+\s*(=|==|!=|\s+in\s+\([^)]*\)|\s+notin\s+\([^)]*\))?\s*[A-Za-z0-9._-]*)*$/;

/**
 * A budget of work done on request, per hour (src/controllers/shared/budgets.ts); 0 turns it off.
 * Digits only: an empty variable must not become 0 and quietly lift a limit.
 */
const perHour = (name: string) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, `${name} must be a whole number per hour, 0 for unlimited`)
    .transform(Number);

/** `:8080`, `127.0.0.1:0`, `[::1]:9090` or `localhost:8080`: an IP address (or none) and a port. */
function isListenAddress(value: string): boolean {
  const parsed = parseHostPort(value);
  if (parsed?.port === undefined) return false;
  return parsed.host === '' || parsed.host === 'localhost' || isIP(parsed.host) !== 0;
}

/** A comma-separated list flag (`a, b,c`), empty by default. */
const commaList = () =>
  z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );

const ConfigShape = z.object({
  namespaces: commaList().describe('Namespaces to watch, comma-separated; empty watches all'),
  distributionNamespaces: commaList().describe(
    'With --namespaces: more namespaces RegistryTokens may copy their Secret into, comma-separated, ' +
      'or * for any (which needs cluster-wide Secret and ServiceAccount rights); berth reads and writes ' +
      'no other namespace',
  ),
  workers: z.coerce.number().int().min(1).max(64).default(2).describe('Concurrent reconciles per controller'),
  kubeApiQps: z.coerce
    .number()
    .min(0)
    .max(10_000)
    .default(0)
    .describe(
      'Client-side requests per second to kube-apiserver; 0 (the default) leaves it to the API ' +
        "server's Priority and Fairness, as controller-runtime does",
    ),
  kubeApiBurst: z.coerce
    .number()
    .int()
    .min(1)
    .max(20_000)
    .default(100)
    .describe('Client-side burst to kube-apiserver (with --kube-api-qps above 0)'),
  logLevel: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])
    .default('info')
    .describe('Log level'),
  metricsAddr: z
    .string()
    .refine(isListenAddress, 'metrics-addr must be host:port, e.g. :8080 or 127.0.0.1:0')
    .default(':8080')
    .describe('Address of the HTTP server for /metrics, /healthz and /readyz'),
  leaderElect: boolean.default(true).describe('Use a Lease so only one replica reconciles'),
  leaderElectionNamespace: z
    .string()
    .min(1)
    .optional()
    .describe('Namespace of the Lease (default: the pod namespace)'),
  leaderElectionId: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'leader-election-id must be a DNS subdomain')
    .default('berth-operator'),
  leaseDuration: duration('lease-duration').default(15_000),
  renewDeadline: duration('renew-deadline').default(10_000),
  retryPeriod: duration('retry-period').default(2_000),
  shardSelector: z
    .string()
    .regex(LABEL_SELECTOR, 'shard-selector must be a label selector, e.g. berth.dev/shard=a')
    .optional(),
  identity: z
    .string()
    .min(1)
    .optional()
    .describe('This replica in the Lease (default: hostname and a random id)'),
  shutdownGracePeriod: duration('shutdown-grace-period').default(30_000),
  reconcileTimeout: duration('reconcile-timeout').default(60_000),
  providerQps: z.coerce
    .number()
    .min(0.1)
    .max(10000)
    .optional()
    .describe(
      'Requests per second to a provider API per credential (default: the provider’s published limit)',
    ),
  providerBurst: z.coerce
    .number()
    .int()
    .min(1)
    .max(20000)
    .optional()
    .describe('Burst of requests to a provider API per credential (default: the provider’s published limit)'),
  providerRegistryHost: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, 'provider-registry-host must be host or host:port')
    .optional()
    .describe('Docker server host reported for Selectel and Quay registries (simulators and tests only)'),
  budgetTokenRotationsPerHour: perHour('budget-token-rotations-per-hour')
    .default(6)
    .describe(
      'Rotations on request (annotation, Secret edited or deleted, scope change) per RegistryToken per hour',
    ),
  budgetNamespaceRotationsPerHour: perHour('budget-namespace-rotations-per-hour')
    .default(60)
    .describe('Rotations on request per namespace per hour, over all its RegistryTokens'),
  budgetPolicyRunsPerHour: perHour('budget-policy-runs-per-hour')
    .default(4)
    .describe("CleanupPolicy runs on request per policy per hour (a registry's grant may set its own)"),
  budgetNamespaceRunsPerHour: perHour('budget-namespace-runs-per-hour')
    .default(20)
    .describe('CleanupPolicy runs on request per namespace per hour, over all its policies'),
});

/** Every setting of the operator, from flags and environment, in one schema (the single place config is read). */
export const ConfigSchema = ConfigShape.refine((c) => c.renewDeadline < c.leaseDuration, {
  message: 'renew-deadline must be shorter than lease-duration',
  path: ['renewDeadline'],
}).refine((c) => c.retryPeriod < c.renewDeadline, {
  message: 'retry-period must be shorter than renew-deadline',
  path: ['retryPeriod'],
});

/** The parsed configuration; durations are milliseconds. */
export type OperatorConfig = z.infer<typeof ConfigSchema> & {
  leaderElectionNamespace: string;
  identity: string;
};

const KEYS = Object.keys(ConfigShape.shape);
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const envName = (key: string) => `BERTH_${kebab(key).replace(/-/g, '_').toUpperCase()}`;

/** A configuration problem, with every offending flag named. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses flags (`--workers=4`) over environment (`BERTH_WORKERS=4`) over defaults; throws a {@link ConfigError}. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): OperatorConfig {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: Object.fromEntries(KEYS.map((k) => [kebab(k), { type: 'string' as const }])),
    }).values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\nflags: ${KEYS.map((k) => `--${kebab(k)}`).join(' ')}`);
  }
  const raw: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = flags[kebab(key)] ?? env[envName(key)];
    if (value !== undefined) raw[key] = value;
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      return `  --${kebab(key)} (${envName(key)}): ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${problems.join('\n')}`);
  }
  return {
    ...parsed.data,
    leaderElectionNamespace: parsed.data.leaderElectionNamespace ?? defaultNamespace(env),
    identity: parsed.data.identity ?? `${hostname()}_${randomUUID().slice(0, 8)}`,
  };
}

/** The pod's namespace (downward API or the ServiceAccount mount), else `default` outside a cluster. */
function defaultNamespace(env: NodeJS.ProcessEnv): string {
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  if (existsSync(SERVICE_ACCOUNT_NAMESPACE_FILE))
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, 'utf8').trim();
  return 'default';
}
