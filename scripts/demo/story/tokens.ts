// Step 2: one pull RegistryToken per provider whose Secret really pulls an image from the registry.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { say, step } from '../print.ts';
import { DEMO_NAMESPACE, type DemoStack } from '../stack.ts';
import { craneWith, readPullSecret } from '../tools.ts';
import {
  apply,
  berthObject,
  type Endpoints,
  kubectlShown,
  PROVIDERS,
  type Provider,
  waitReady,
} from './common.ts';

const execFileAsync = promisify(execFile);
const providers = Object.keys(PROVIDERS) as Provider[];

/** The image the demo pushed for each provider, as `HOST/REPOSITORY:v1`. */
export type Images = Record<Provider, string>;

/** The grace period of the pull tokens: how long a replaced credential keeps working (step 4). */
export const GRACE_PERIOD = '5s';

/**
 * CI's side first: a push token per provider, and a one-layer image pushed with each push Secret.
 * Then the cluster's side: a pull token per provider, whose Secret alone pulls that image.
 */
export async function tokensStep(stack: DemoStack, endpoints: Endpoints): Promise<Images> {
  step('One RegistryToken per provider, whose Secret pulls from the registry');
  const images = Object.fromEntries(
    providers.map((p) => [p, `${endpoints[p]}/${PROVIDERS[p].repository}:v1`]),
  ) as Images;
  say('CI first: a push token per provider (on Quay, berth also creates the repository it names)');
  await applyTokens(stack, 'push', ['pull', 'push'], {});
  const work = await mkdtemp(join(tmpdir(), 'berth-demo-image-'));
  try {
    await Promise.all(providers.map((p) => push(stack, work, p, images[p])));
    say(`pushed ${providers.map((p) => images[p]).join(', ')}, each with its push-* Secret`);

    say(
      'then the cluster: a pull-only token per provider, renewed before it expires, 5s overlap on rotation',
    );
    await applyTokens(stack, 'pull', ['pull'], { gracePeriod: GRACE_PERIOD });
    await kubectlShown(stack, ['get', 'registrytokens', '-n', DEMO_NAMESPACE]);
    say(
      'each pull-* Secret is a kubernetes.io/dockerconfigjson; crane logs in with it alone, as kubelet would:',
    );
    const pulled = await Promise.all(providers.map((p) => pull(stack, work, p, images[p])));
    for (const { p, digest } of pulled) say(`pulled ${images[p]} with Secret pull-${p}: ${digest}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return images;
}

/** Applies `<prefix>-<provider>` tokens with the given actions and waits until all are Ready. */
async function applyTokens(
  stack: DemoStack,
  prefix: string,
  actions: string[],
  extra: Record<string, unknown>,
): Promise<void> {
  const names = providers.map((p) => `${prefix}-${p}`);
  await apply(
    stack,
    providers.map((p) =>
      berthObject('RegistryToken', `${prefix}-${p}`, {
        registryRef: { name: PROVIDERS[p].registry },
        scopes: [{ repository: PROVIDERS[p].scope, actions }],
        ...extra,
      }),
    ),
  );
  await waitReady(
    stack,
    names.map((n) => `rtok/${n}`),
  );
}

/** Pushes a one-file layer as `image` with Secret push-<provider>. */
async function push(stack: DemoStack, work: string, p: Provider, image: string): Promise<void> {
  await writeFile(join(work, `${p}.txt`), `hello from berth's ${p} demo\n`);
  await execFileAsync('tar', ['-cf', join(work, `${p}.tar`), '-C', work, `${p}.txt`]);
  const { dockerConfig } = await readPullSecret(stack.core, DEMO_NAMESPACE, `push-${p}`);
  await craneWith(dockerConfig, ['append', '-f', join(work, `${p}.tar`), '-t', image]);
}

/** Pulls the whole `image` (manifest, config, layer) with Secret pull-<provider>; returns its digest. */
async function pull(stack: DemoStack, work: string, p: Provider, image: string) {
  const { dockerConfig } = await readPullSecret(stack.core, DEMO_NAMESPACE, `pull-${p}`);
  await craneWith(dockerConfig, ['pull', image, join(work, `${p}-pulled.tar`)]);
  return { p, digest: await craneWith(dockerConfig, ['digest', image]) };
}
