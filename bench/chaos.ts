// `npm run bench:chaos -- --tokens 1000 [--provider ionos|selectel|quay|all] [--seed N] [--kill-every S]`:
// N RegistryTokens issued and then all rotated while the provider simulator injects faults, the
// operator is SIGKILLed every few seconds and kube-apiserver restarts once per phase; then faults
// off, a settle period, and an audit against the simulator's own state (bench/README.md). Appends
// one report per provider to bench/RESULTS.md; exits 1 when any run fails its audit.
import { parseArgs } from 'node:util';
import { DEFAULT_FAULTS } from './lib/chaos-faults.ts';
import { chaosReport } from './lib/chaos-report.ts';
import { runChaos } from './lib/chaos-run.ts';
import { CHAOS_PROVIDERS, type ChaosProvider } from './lib/chaos-world.ts';
import { operatorEntry } from './lib/operator.ts';
import { publish } from './lib/results.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '1000' },
    // One provider, or all three in turn (each in a world of its own).
    provider: { type: 'string', default: 'all' },
    // Seeds the fault injector; a random one when not given. Recorded in the report.
    seed: { type: 'string' },
    'kill-every': { type: 'string', default: '7' },
    'server-errors': { type: 'string', default: String(DEFAULT_FAULTS.serverError) },
    resets: { type: 'string', default: String(DEFAULT_FAULTS.reset) },
    'rate-limits': { type: 'string', default: String(DEFAULT_FAULTS.rateLimit) },
    'retry-after': { type: 'string', default: DEFAULT_FAULTS.retryAfter ?? '' },
    'lost-creates': { type: 'string', default: String(DEFAULT_FAULTS.loseCreateResponse) },
    'latency-ms': { type: 'string', default: String(DEFAULT_FAULTS.latencyMs) },
    // Seconds kube-apiserver stays down when it is restarted (once per faulty phase).
    'apiserver-downtime': { type: 'string', default: '3' },
    workers: { type: 'string', default: '8' },
    // The simulators have no rate limit; the providers' published ones (berth's default) would
    // make the run minutes longer without testing anything more.
    'provider-qps': { type: 'string', default: '100' },
    'grace-period': { type: 'string', default: '5s' },
    // Seconds each faulty phase (issue, rotate) and the settle period may take before the run moves on.
    'phase-cap': { type: 'string', default: '900' },
    'settle-cap': { type: 'string', default: '300' },
    // What runs: src/main.ts with type stripping (default) or the image's bundle.
    entry: { type: 'string', default: 'source' },
    // Goes into the report's title, e.g. "before the fix".
    label: { type: 'string', default: '' },
  },
  strict: true,
});

const number = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number, not ${values[name]}`);
  return n;
};
const providers: ChaosProvider[] =
  values.provider === 'all'
    ? [...CHAOS_PROVIDERS]
    : CHAOS_PROVIDERS.includes(values.provider as ChaosProvider)
      ? [values.provider as ChaosProvider]
      : (() => {
          throw new Error(`--provider must be one of ${CHAOS_PROVIDERS.join(', ')} or all`);
        })();
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : number('seed');
const say = (line: string) => console.warn(`[chaos] ${line}`);
const entry = operatorEntry(values.entry === 'bundle' ? 'bundle' : 'source');

let failed = false;
for (const provider of providers) {
  say(`${provider}: ${values.tokens} tokens, seed ${seed}`);
  const result = await runChaos({
    provider,
    tokens: number('tokens'),
    seed,
    killEveryMs: number('kill-every') * 1000,
    faults: {
      serverError: number('server-errors'),
      reset: number('resets'),
      rateLimit: number('rate-limits'),
      retryAfter: values['retry-after'] || undefined,
      malformed: 0,
      loseCreateResponse: number('lost-creates'),
      latencyMs: number('latency-ms'),
    },
    workers: number('workers'),
    providerQps: number('provider-qps'),
    gracePeriod: values['grace-period'],
    phaseCapMs: number('phase-cap') * 1000,
    settleCapMs: number('settle-cap') * 1000,
    apiserverDowntimeMs: number('apiserver-downtime') * 1000,
    entry,
    say,
  });
  await publish(chaosReport(result, values.label));
  if (result.failures.length > 0) failed = true;
}
process.exit(failed ? 1 : 0);
