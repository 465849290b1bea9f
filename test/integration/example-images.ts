// Pushing and pulling with the credentials berth wrote into a Secret, as a kubelet or a CI job
// would use them: the login comes out of the Secret's .dockerconfigjson, crane does the rest.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CoreV1Api } from '@kubernetes/client-node';
import { crane } from '../../src/dev/registry.ts';

const execFileAsync = promisify(execFile);

/** A docker login as a Secret of type kubernetes.io/dockerconfigjson holds it. */
export interface SecretLogin {
  server: string;
  username: string;
  password: string;
}

/** The one login in a berth Secret's `.dockerconfigjson`. */
export async function secretLogin(core: CoreV1Api, namespace: string, name: string): Promise<SecretLogin> {
  const secret = await core.readNamespacedSecret({ namespace, name });
  const encoded = secret.data?.['.dockerconfigjson'];
  if (!encoded) throw new Error(`Secret ${namespace}/${name} has no .dockerconfigjson`);
  const config = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as {
    auths: Record<string, { username: string; password: string }>;
  };
  const [server, auth] = Object.entries(config.auths)[0] ?? [];
  if (!server || !auth) throw new Error(`Secret ${namespace}/${name} holds no login`);
  return { server, username: auth.username, password: auth.password };
}

/**
 * Runs `use` with a DOCKER_CONFIG folder logged in with `login` (written as a config.json, so the
 * password is on no command line), and removes the folder afterwards: it holds a live credential.
 */
async function withDockerConfig<T>(login: SecretLogin, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-example-docker-'));
  try {
    const auth = Buffer.from(`${login.username}:${login.password}`).toString('base64');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [login.server]: { auth } } }), {
      mode: 0o600,
    });
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Pushes a one-layer image (its content made unique by `content`) and returns its digest. */
export async function pushImage(login: SecretLogin, image: string, content = image): Promise<string> {
  const layer = await mkdtemp(join(tmpdir(), 'berth-example-layer-'));
  try {
    await writeFile(join(layer, 'f.txt'), `${content}\n`);
    await execFileAsync('tar', ['-cf', join(layer, 'l.tar'), '-C', layer, 'f.txt']);
    return await withDockerConfig(login, async (dir) => {
      await crane(['append', '-f', join(layer, 'l.tar'), '-t', image], dir);
      return crane(['digest', image], dir);
    });
  } finally {
    await rm(layer, { recursive: true, force: true });
  }
}

/** Whether the login can pull the image's manifest (false on any refusal or a missing tag). */
export function canPull(login: SecretLogin, image: string): Promise<boolean> {
  return withDockerConfig(login, (dir) =>
    crane(['manifest', image], dir).then(
      () => true,
      () => false,
    ),
  );
}
