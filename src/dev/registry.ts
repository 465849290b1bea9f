import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import bcrypt from 'bcryptjs';
import { fetch } from 'undici';
import { stringify } from 'yaml';
import { binaryPaths } from './binaries.ts';
import { freePort } from './ports.ts';
import { isRunning, startProcess, stopProcess } from './processes.ts';

const execFileAsync = promisify(execFile);

/** The `auth` block of a distribution config: htpasswd, token (bearer JWT) or none. */
export type RegistryAuth =
  | { htpasswd: { realm: string; path: string } }
  | { token: { realm: string; service: string; issuer: string; rootcertbundle?: string; jwks?: string } }
  | undefined;

/** A CNCF distribution registry serving plain HTTP (on loopback unless told otherwise). */
export interface RunningRegistry {
  /** `ADDRESS:PORT`, the host part of image references (crane uses plain HTTP for it). */
  host: string;
  dir: string;
  configFile: string;
  /** Runs `registry garbage-collect` against the storage (stop the registry first for a clean result). */
  garbageCollect(options?: { deleteUntagged?: boolean }): Promise<string>;
  stop(): Promise<void>;
}

/** The registry's port was taken between choosing it and binding it (another process got there first). */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(host: string) {
    super(`registry could not bind ${host}: address already in use`);
  }
}

/** Writes an htpasswd file with bcrypt hashes, the only kind distribution accepts. */
export async function writeHtpasswd(file: string, users: Record<string, string>): Promise<void> {
  const lines = Object.entries(users).map(([user, password]) => `${user}:${bcrypt.hashSync(password, 10)}`);
  await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}

/** Starts `registry serve` with filesystem storage, deletes enabled and the given auth. */
export async function startRegistry(
  options: { auth?: RegistryAuth; dir?: string; port?: number; address?: string } = {},
): Promise<RunningRegistry> {
  const address = options.address ?? '127.0.0.1';
  const bins = await binaryPaths();
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'berth-registry-')));
  await mkdir(join(dir, 'storage'), { recursive: true });
  const port = options.port ?? (await freePort());
  const config = {
    version: 0.1,
    log: { level: 'info', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'storage') }, delete: { enabled: true } },
    http: { addr: `${address}:${port}`, secret: 'berth-test-only-secret' },
    ...(options.auth ? { auth: options.auth } : {}),
  };
  const configFile = join(dir, 'config.yml');
  await writeFile(configFile, stringify(config));
  // OTel autoexport would try to reach a collector; nothing is listening here.
  const env = { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
  const proc = startProcess('registry', bins.registry, ['serve', configFile], {
    parentPid: process.pid,
    logFile: join(dir, 'registry.log'),
    env,
  });
  const host = `${address}:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!isRunning(proc.pid)) {
      const log = await readFile(proc.logFile, 'utf8').catch(() => '');
      if (log.includes('address already in use')) throw new PortInUseError(host);
      throw new Error(`registry exited at start; see ${proc.logFile}`);
    }
    // Bounded: whatever holds the port when the registry could not bind it may never answer.
    const status = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200 || status === 401) break;
    if (Date.now() > deadline) throw new Error(`registry not ready on ${host}; see ${proc.logFile}`);
    await sleep(100);
  }
  return {
    host,
    dir,
    configFile,
    async garbageCollect({ deleteUntagged = false } = {}) {
      const args = ['garbage-collect', ...(deleteUntagged ? ['--delete-untagged'] : []), configFile];
      const { stdout } = await execFileAsync(bins.registry, args, { env: { ...process.env, ...env } });
      return stdout;
    },
    async stop() {
      await stopProcess(proc.pid);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs crane with its own docker config directory, so logins never touch the user's. */
export async function crane(args: string[], dockerConfigDir: string): Promise<string> {
  const bins = await binaryPaths();
  await mkdir(dockerConfigDir, { recursive: true });
  const { stdout } = await execFileAsync(bins.crane, args, {
    env: { ...process.env, DOCKER_CONFIG: dockerConfigDir },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout.trim();
}

/** Starts a registry whose bearer-token auth is served by `tokens` (trusted through a JWKS file). */
export async function startRegistryWithTokenAuth(
  tokens: {
    realm: string;
    service: string;
    issuer: string;
    jwks: unknown;
  },
  port?: number,
  address?: string,
): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-'));
  const jwks = join(dir, 'jwks.json');
  await writeFile(jwks, JSON.stringify(tokens.jwks));
  return startRegistry({
    dir,
    ...(port ? { port } : {}),
    ...(address ? { address } : {}),
    auth: { token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, jwks } },
  });
}
