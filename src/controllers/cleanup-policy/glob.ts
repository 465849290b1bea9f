/**
 * The glob syntax of CleanupPolicy's repository and tag patterns (see `crds/cleanup-rules.ts`):
 * `*` matches any run of characters within one path segment (not `/`), `**` any run of
 * characters across segments (including `/`, and the empty string), `?` exactly one character
 * other than `/`. Everything else matches itself. A pattern matches the whole value, never a part.
 *
 * `**` is taken literally as "any characters", not gitignore's "zero or more directories": so
 * `shop/**` covers `shop/a` and `shop/a/b` but not `shop` itself, and `**` between two slashes needs at
 * least one segment there. Three or more stars in a row mean the same as `**`.
 */

/** Characters that have a meaning in a regular expression and must match themselves here. */
const SPECIAL = /[\\^$.|+()[\]{}-]/;

const cache = new Map<string, RegExp>();

/** Compiles a glob into an anchored regular expression (cached, since rules are evaluated per tag). */
export function globToRegExp(glob: string): RegExp {
  const cached = cache.get(glob);
  if (cached !== undefined) return cached;
  let source = '';
  for (let i = 0; i < glob.length; ) {
    const char = glob[i] as string;
    if (char === '*') {
      let stars = 0;
      while (glob[i] === '*') {
        stars += 1;
        i += 1;
      }
      source += stars >= 2 ? '.*' : '[^/]*';
      continue;
    }
    if (char === '?') source += '[^/]';
    else if (SPECIAL.test(char)) source += `\\${char}`;
    else source += char;
    i += 1;
  }
  // `s` so that `.*` also crosses line breaks: a value is never allowed to escape a match by one.
  const regExp = new RegExp(`^${source}$`, 's');
  if (cache.size < 1024) cache.set(glob, regExp);
  return regExp;
}

/** The first glob of `globs` that matches `value` entirely, or undefined when none does. */
export function firstMatch(globs: readonly string[] | undefined, value: string): string | undefined {
  return globs?.find((glob) => globToRegExp(glob).test(value));
}

/** Whether any glob of `globs` matches `value` entirely; false for an empty or missing list. */
export function matchesAny(globs: readonly string[] | undefined, value: string): boolean {
  return firstMatch(globs, value) !== undefined;
}
