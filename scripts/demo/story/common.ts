// What the story's steps share: the providers as the demo uses them, and applying objects.
import { stringify } from 'yaml';
import { show } from '../print.ts';
import { DEMO_NAMESPACE, type DemoStack } from '../stack.ts';

/** The three providers as the demo uses them: registry name, image repository, token scope. */
export const PROVIDERS = {
  ionos: { registry: 'demo-ionos', repository: 'shop/app', scope: 'shop/*' },
  selectel: { registry: 'demo-selectel', repository: 'app', scope: '*' },
  quay: { registry: 'demo-quay', repository: 'app', scope: 'app' },
} as const;

/** One of {@link PROVIDERS}' keys. */
export type Provider = keyof typeof PROVIDERS;

/** Where each provider's registry serves images (`status.endpoint`), by provider. */
export type Endpoints = Record<Provider, string>;

/** Labels of the namespaces that may use the Quay registry (its allowedNamespaces selector). */
export const SHOP_LABELS = { team: 'shop' };

/** Applies `objects` with `kubectl apply -f -` as one multi-document YAML, showing what kubectl said. */
export async function apply(stack: DemoStack, objects: object[]): Promise<void> {
  const yaml = objects.map((o) => stringify(o)).join('---\n');
  show(
    `kubectl apply -n ${DEMO_NAMESPACE} -f -`,
    await stack.kubectl(['apply', '-n', DEMO_NAMESPACE, '-f', '-'], yaml),
  );
}

/** A berth object of `kind` with `name` and `spec`. */
export const berthObject = (kind: string, name: string, spec: object) => ({
  apiVersion: 'berth.dev/v1alpha1',
  kind,
  metadata: { name },
  spec,
});

/** Runs `kubectl ARGS` and shows it as typed in a shell, with what it printed. */
export async function kubectlShown(stack: DemoStack, args: string[]): Promise<void> {
  show(`kubectl ${args.map(shellQuote).join(' ')}`, await stack.kubectl(args));
}

/** Waits with `kubectl wait` until the given objects (`rtok/x`, or `creg --all`) are Ready. */
export async function waitReady(stack: DemoStack, targets: string[]): Promise<void> {
  await stack.kubectl(['wait', '--for=condition=Ready', '--timeout=60s', '-n', DEMO_NAMESPACE, ...targets]);
}

/** Quotes an argument for display the way a shell user would type it. */
const shellQuote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg}'`);
