// The tools the demo drives, as a user would: kubectl, the berth CLI, and crane logged in with
// nothing but what a berth Secret holds.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CoreV1Api } from '@kubernetes/client-node';
import { painter } from '../../src/cli/format/color.ts';
import type { Io } from '../../src/cli/io.ts';
import { processIo } from '../../src/cli/io.ts';
import { runCli } from '../../src/cli/program.ts';
import { loginFrom } from '../../src/controllers/registry-token/docker-config.ts';
import { SecretAnnotation } from '../../src/controllers/registry-token/reasons.ts';
import { binaryPaths } from '../../src/dev/binaries.ts';

const execFileAsync = promisify(execFile);
let bins: ReturnType<typeof binaryPaths> | undefined;
/** The cached tool paths, looked up once (the lookup runs a script). */
const tools = () => {
  bins ??= binaryPaths();
  return bins;
};

/** What a command printed and how it ended. */
export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the cached kubectl against `kubeconfig`; `stdin` is piped in (for `apply -f -`). */
export async function kubectl(kubeconfig: string, args: string[], stdin?: string): Promise<string> {
  const { kubectl: bin } = await tools();
  const child = execFileAsync(bin, args, { env: { ...process.env, KUBECONFIG: kubeconfig } });
  if (stdin !== undefined) child.child.stdin?.end(stdin);
  return (await child).stdout;
}

/**
 * Runs the `berth` CLI in this process (the same code as `bin/berth`, without a second Node
 * starting up), with no terminal: no colour, no progress lines rewritten in place.
 */
export async function berth(kubeconfig: string, args: string[]): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    ...processIo({ NO_COLOR: '1' }),
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    stdoutIsTTY: false,
    stderrIsTTY: false,
    columns: undefined,
    errColumns: undefined,
    paint: painter(false),
    paintErr: painter(false),
  };
  const code = await runCli(['--kubeconfig', kubeconfig, ...args], io, new AbortController().signal);
  return { code, stdout, stderr };
}

/** What a berth Secret holds: the docker config kubelet logs in with, and which credential it is. */
export interface PullSecret {
  /** The `.dockerconfigjson`, as text. */
  dockerConfig: string;
  /**
   * Which credential: the login's user name, which names it at IONOS and Quay. Selectel logs every
   * token in as `token`, so there the provider's ID from the Secret's `berth.dev/credential-id`.
   */
  credential: string;
}

/** Reads a `kubernetes.io/dockerconfigjson` Secret that berth wrote. */
export async function readPullSecret(core: CoreV1Api, namespace: string, name: string): Promise<PullSecret> {
  const secret = await core.readNamespacedSecret({ namespace, name });
  const dockerConfig = Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8');
  const username = loginFrom(dockerConfig)?.username;
  const credential =
    username && username !== 'token'
      ? username
      : (secret.metadata?.annotations?.[SecretAnnotation.CredentialId] ?? '(none)');
  return { dockerConfig, credential };
}

/**
 * Runs crane with a docker config that is exactly a Secret's `.dockerconfigjson`, which is what
 * kubelet logs in with: nothing else is known to crane.
 */
export async function craneWith(dockerConfig: string, args: string[]): Promise<string> {
  const { crane: bin } = await tools();
  const dir = await mkdtemp(join(tmpdir(), 'berth-demo-docker-'));
  try {
    await writeFile(join(dir, 'config.json'), dockerConfig, { mode: 0o600 });
    const { stdout } = await execFileAsync(bin, args, {
      env: { ...process.env, DOCKER_CONFIG: dir },
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
