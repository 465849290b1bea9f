/** One challenge of a `WWW-Authenticate` header: the scheme (lower-cased) and its parameters. */
export interface AuthChallenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` header into its challenges (RFC 9110 §11.6.1), e.g.
 * `Bearer realm="https://auth/token",service="reg",scope="repository:a/b:pull,push"`. Quoted values
 * may contain commas (a scope with several actions does), so this is a small tokenizer rather
 * than a split on commas. Unparseable tails are ignored: a client can only act on what it reads.
 */
export function parseChallenges(header: string | undefined): AuthChallenge[] {
  if (!header) return [];
  const out: AuthChallenge[] = [];
  const re = /\s*(?:,\s*)*([A-Za-z0-9!#$%&'*+.^_`|~-]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?/y;
  let current: AuthChallenge | undefined;
  let pos = 0;
  while (pos < header.length) {
    re.lastIndex = pos;
    const m = re.exec(header);
    if (!m || m[0].length === 0) break;
    pos = re.lastIndex;
    const [, name = '', quoted, bare] = m;
    if (quoted === undefined && bare === undefined) {
      // A token without "=" starts a new challenge (token68 credentials are not used by registries).
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
    } else if (current) {
      current.params[name.toLowerCase()] =
        quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : (bare ?? '');
    }
  }
  return out;
}

/** The scope a request needs: `repository:<name>:<actions>` or `registry:catalog:*`. */
export function repositoryScope(repository: string, actions: string): string {
  return `repository:${repository}:${actions}`;
}

/** The scope of `GET /v2/_catalog` in distribution's token authorization. */
export const CATALOG_SCOPE = 'registry:catalog:*';
