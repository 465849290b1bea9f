// Step 3: one token copied into the team's namespaces and attached to their default ServiceAccounts.
import { setTimeout as sleep } from 'node:timers/promises';
import { say, step } from '../print.ts';
import { DEMO_NAMESPACE, type DemoStack, SHOP_NAMESPACES } from '../stack.ts';
import { craneWith, readPullSecret } from '../tools.ts';
import { apply, berthObject, kubectlShown, PROVIDERS, SHOP_LABELS, waitReady } from './common.ts';
import type { Images } from './tokens.ts';

const SECRET = 'shop-pull';

/**
 * Creates the three labelled namespaces and a Quay pull token distributed to them; waits until
 * their default ServiceAccounts list the Secret, shows the copies, and pulls with each one.
 */
export async function distributionStep(stack: DemoStack, images: Images): Promise<void> {
  step('One token distributed to three namespaces and their default ServiceAccounts');
  await apply(stack, [
    // Each team namespace consents (ADR 015): copies from the demo namespace, on `default`.
    ...SHOP_NAMESPACES.map((name) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name,
        labels: SHOP_LABELS,
        annotations: {
          'berth.dev/accept-copies-from': DEMO_NAMESPACE,
          'berth.dev/accept-service-accounts': 'default',
        },
      },
    })),
    berthObject('RegistryToken', SECRET, {
      registryRef: { name: PROVIDERS.quay.registry },
      scopes: [{ repository: PROVIDERS.quay.scope, actions: ['pull'] }],
      distribute: { namespaceSelector: { matchLabels: SHOP_LABELS }, serviceAccounts: ['default'] },
    }),
  ]);
  say('berth copies the Secret into every namespace labelled team=shop that accepts copies from');
  say(
    `${DEMO_NAMESPACE} (annotation berth.dev/accept-copies-from; demo-quay admits them there) and adds it to`,
  );
  say(
    "their default ServiceAccounts' imagePullSecrets (berth.dev/accept-service-accounts): Pods pull without naming it",
  );
  await waitAttached(stack);
  await kubectlShown(stack, ['get', 'secrets', '-A', '--field-selector', `metadata.name=${SECRET}`]);
  const columns =
    'NAMESPACE:.metadata.namespace,NAME:.metadata.name,IMAGE PULL SECRETS:.imagePullSecrets[*].name';
  await kubectlShown(stack, [
    'get',
    'serviceaccounts',
    '-A',
    '--field-selector',
    'metadata.name=default',
    '-o',
    `custom-columns=${columns}`,
  ]);
  const served = await Promise.all(
    SHOP_NAMESPACES.map(async (namespace) => {
      const { dockerConfig } = await readPullSecret(stack.core, namespace, SECRET);
      return { namespace, digest: await craneWith(dockerConfig, ['digest', images.quay]) };
    }),
  );
  for (const { namespace, digest } of served)
    say(`${namespace}: its copy of Secret ${SECRET} pulls ${images.quay}: ${digest}`);
}

/** Waits until the token is Ready and every team namespace's default ServiceAccount lists the Secret. */
async function waitAttached(stack: DemoStack): Promise<void> {
  await waitReady(stack, [`rtok/${SECRET}`]);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const lists = await Promise.all(
      SHOP_NAMESPACES.map((namespace) =>
        stack.core
          .readNamespacedServiceAccount({ namespace, name: 'default' })
          .then((sa) => (sa.imagePullSecrets ?? []).some((s) => s.name === SECRET))
          .catch(() => false),
      ),
    );
    if (lists.every(Boolean)) return;
    if (Date.now() > deadline)
      throw new Error(`the default ServiceAccounts did not list ${SECRET} within 60s`);
    await sleep(250);
  }
}
