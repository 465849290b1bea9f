/**
 * Compares the scopes a token was asked to have with what IONOS answered, so that an update that
 * did not take (an action dropped, a grant left over) is reported instead of assumed.
 */
import type { TokenScope } from '../provider.ts';
import type { IonosScope } from './schemas.ts';

/** Actions per repository pattern; only `repository` scopes (berth never asks for `registry` ones). */
function byRepository(
  scopes: readonly { name: string; actions: readonly string[] }[],
): Map<string, Set<string>> {
  const map = new Map<string, Set<string>>();
  for (const scope of scopes) {
    const actions = map.get(scope.name) ?? new Set<string>();
    for (const action of scope.actions) actions.add(action);
    map.set(scope.name, actions);
  }
  return map;
}

/**
 * One line per difference between `wanted` and `granted` (never a secret: names and actions
 * only); empty when the token has exactly the wanted scopes.
 */
export function scopeProblems(wanted: readonly TokenScope[], granted: readonly IonosScope[]): string[] {
  const want = byRepository(wanted.map((s) => ({ name: s.repository, actions: s.actions })));
  const have = byRepository(
    granted.filter((s) => s.type === 'repository').map((s) => ({ name: s.name, actions: s.actions ?? [] })),
  );
  const problems: string[] = [];
  for (const [name, actions] of want) {
    const missing = [...actions].filter((a) => !have.get(name)?.has(a));
    if (missing.length > 0) problems.push(`repository ${name}: ${missing.join(', ')} not granted`);
  }
  for (const [name, actions] of have) {
    const extra = [...actions].filter((a) => !want.get(name)?.has(a));
    if (extra.length > 0) problems.push(`repository ${name}: ${extra.join(', ')} granted but not asked for`);
  }
  for (const scope of granted.filter((s) => s.type !== 'repository'))
    problems.push(`${scope.type} scope ${scope.name} granted but not asked for`);
  return problems;
}
