// The README's demo: berth end to end on an embedded default, no cloud account. Starts a local
// control plane and the provider simulators, installs the CRDs, runs the operator, applies one
// ContainerRegistry per provider and shows them becoming Ready. `--keep` leaves it all running.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { registeredControllers } from '../src/composition.ts';
import { parseConfig } from '../src/config.ts';
import { CONTAINER_REGISTRY } from '../src/controllers/shared/resources.ts';
import { binaryPaths, repoRoot } from '../src/dev/binaries.ts';
import { ControlPlane } from '../src/dev/control-plane.ts';
import { loadKubeConfig } from '../src/dev/kubeconfig.ts';
import { createLogger } from '../src/log.ts';
import { startOperator } from '../src/operator.ts';
import { startSimulators } from '../src/simulators/all.ts';

const execFileAsync = promisify(execFile);
const { values } = parseArgs({ options: { keep: { type: 'boolean' } }, strict: true });
const say = (line: string) => console.log(`[demo] ${line}`);
const namespace = 'berth-demo';

const started = Date.now();
const plane = await ControlPlane.start();
const { kubectl } = await binaryPaths();
const k = (...args: string[]) => execFileAsync(kubectl, ['--kubeconfig', plane.kubeconfig, ...args]);
say(`control plane ready at ${plane.state.server}`);
await k('apply', '-f', join(repoRoot, 'deploy', 'crds'));
await k(
  'wait',
  '--for=condition=Established',
  '--timeout=60s',
  'crd',
  '-l',
  'app.kubernetes.io/part-of=berth',
).catch(() => k('wait', '--for=condition=Established', '--timeout=60s', '--all', 'crd'));
const sims = await startSimulators({ processMs: 1_500 });
say(
  `simulators: IONOS ${sims.endpoints.ionos.baseUrl}, Selectel ${sims.endpoints.selectel.apiEndpoint}, Quay ${sims.endpoints.quay.url}`,
);

const kc = loadKubeConfig(plane.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
await core.createNamespace({ body: { metadata: { name: namespace } } });
const secrets: Record<string, Record<string, string>> = {
  'ionos-api': { token: sims.endpoints.ionos.token },
  'selectel-api': {
    username: sims.endpoints.selectel.username,
    password: sims.endpoints.selectel.password,
    accountId: sims.endpoints.selectel.accountId,
  },
  'quay-api': { token: sims.endpoints.quay.token },
};
for (const [name, stringData] of Object.entries(secrets)) {
  await core.createNamespacedSecret({ namespace, body: { metadata: { name }, stringData } });
}

const operator = await startOperator(
  parseConfig(
    [
      `--namespaces=${namespace}`,
      '--leader-elect=false',
      '--metrics-addr=127.0.0.1:0',
      `--provider-registry-host=${sims.endpoints.registryHost}`,
    ],
    {},
  ),
  registeredControllers,
  { kubeConfig: kc, logger: createLogger('warn') },
);
say(`operator running; metrics at http://${operator.health.address}/metrics`);

const registries = {
  'demo-ionos': {
    provider: 'ionos',
    credentialsRef: { name: 'ionos-api' },
    ionos: {
      location: 'de/fra',
      garbageCollection: { days: ['Sunday'] },
      apiEndpoint: sims.endpoints.ionos.baseUrl,
    },
  },
  'demo-selectel': {
    provider: 'selectel',
    credentialsRef: { name: 'selectel-api' },
    selectel: {
      projectId: sims.endpoints.selectel.projectId,
      apiEndpoint: sims.endpoints.selectel.apiEndpoint,
      identityEndpoint: sims.endpoints.selectel.identityEndpoint,
    },
  },
  'demo-quay': {
    provider: 'quay',
    credentialsRef: { name: 'quay-api' },
    quay: { url: sims.endpoints.quay.url, organization: 'demo', email: 'ops@demo.example' },
  },
};
for (const [name, spec] of Object.entries(registries)) {
  await custom.createNamespacedCustomObject({
    ...CONTAINER_REGISTRY,
    namespace,
    body: { apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerRegistry', metadata: { name }, spec },
  });
}
say('applied 3 ContainerRegistries; waiting for Ready');
await k('wait', '--for=condition=Ready', '--timeout=120s', '-n', namespace, 'containerregistries', '--all');
console.log((await k('get', 'berth', '-n', namespace)).stdout);
console.log(
  (
    await k(
      'get',
      'events',
      '-n',
      namespace,
      '--field-selector',
      'reportingComponent=berth.dev/container-registry',
    )
  ).stdout.trim() || (await k('get', 'events', '-n', namespace)).stdout,
);
say(`all registries Ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);

const stop = async () => {
  await operator.stop('demo done');
  await sims.stop();
  await plane.stop();
};
if (values.keep) {
  say('still running (Ctrl-C stops everything). In another shell:');
  console.log(`export KUBECONFIG=${plane.kubeconfig}`);
  process.once('SIGINT', () => void stop().then(() => process.exit(0)));
  process.once('SIGTERM', () => void stop().then(() => process.exit(0)));
} else {
  await stop();
  say('stopped everything');
}
