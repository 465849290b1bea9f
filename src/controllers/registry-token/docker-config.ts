import { createHash } from 'node:crypto';
import type { DockerLogin } from '../../clients/provider.ts';

/** The key of a `kubernetes.io/dockerconfigjson` Secret. */
export const DOCKER_CONFIG_KEY = '.dockerconfigjson';

/** The `.dockerconfigjson` document for one login: `auths.<server>.{username, password, auth}`. */
export function dockerConfigJson(login: DockerLogin): string {
  const auth = Buffer.from(`${login.username}:${login.password}`).toString('base64');
  return JSON.stringify({
    auths: { [login.server]: { username: login.username, password: login.password, auth } },
  });
}

/**
 * A hash of the Secret's content, stored as an annotation, so that an edit (or a deletion and a
 * re-creation by someone else) is noticed: no provider lets a secret be read twice, so a Secret
 * that no longer matches is repaired by rotating, never by guessing.
 */
export function contentHash(data: Readonly<Record<string, string>>): string {
  const canonical = JSON.stringify(
    Object.keys(data)
      .sort()
      .map((k) => [k, data[k]]),
  );
  return createHash('sha256').update(canonical).digest('hex');
}

/** The login in a `.dockerconfigjson` value, or undefined when it is not one. */
export function loginFrom(configJson: string): DockerLogin | undefined {
  try {
    const parsed = JSON.parse(configJson) as {
      auths?: Record<string, { username?: string; password?: string }>;
    };
    const [server, entry] = Object.entries(parsed.auths ?? {})[0] ?? [];
    if (!server || !entry?.username || entry.password === undefined) return undefined;
    return { server, username: entry.username, password: entry.password };
  } catch {
    return undefined;
  }
}
