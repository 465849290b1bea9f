import { describe, expect, it } from 'vitest';
import { firstMatch, globToRegExp, matchesAny } from './glob.ts';

describe('globToRegExp', () => {
  it.each([
    // [glob, value, matches]
    ['latest', 'latest', true],
    ['latest', 'latest-1', false],
    ['latest', 'xlatest', false],
    ['v*', 'v1.2.3', true],
    ['v*', 'v', true],
    ['v*', 'release-v1', false],
    ['*-rc', '1.0-rc', true],
    ['*', 'shop', true],
    ['*', 'shop/api', false],
    ['shop/*', 'shop/api', true],
    ['shop/*', 'shop/api/v2', false],
    ['shop/*', 'shop/', true],
    ['shop/*', 'shop', false],
    ['shop/**', 'shop/api/v2', true],
    ['shop/**', 'shop/api', true],
    ['shop/**', 'shop', false],
    ['**', 'a/b/c', true],
    ['**', 'anything', true],
    ['**/api', 'shop/team/api', true],
    ['**/api', 'api', false],
    ['shop/**/api', 'shop/a/b/api', true],
    ['shop/**/api', 'shop/api', false],
    ['***', 'a/b', true],
    ['v?', 'v1', true],
    ['v?', 'v12', false],
    ['v?', 'v', false],
    ['a?b', 'a/b', false],
    ['v1.2', 'v1.2', true],
    ['v1.2', 'v1x2', false],
    ['pr-[0-9]', 'pr-5', false],
    ['pr-[0-9]', 'pr-[0-9]', true],
    ['a-b_c', 'a-b_c', true],
    ['shop/*/cache', 'shop/api/cache', true],
    ['shop/*/cache', 'shop/a/b/cache', false],
  ])('%s vs %s → %s', (glob, value, expected) => {
    expect(globToRegExp(glob).test(value)).toBe(expected);
  });

  it('treats regular-expression characters literally', () => {
    // The CRD pattern forbids these, but a glob must never turn into a broader regex.
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(globToRegExp('a+').test('aa')).toBe(false);
    expect(globToRegExp('(a|b)').test('a')).toBe(false);
    expect(globToRegExp('(a|b)').test('(a|b)')).toBe(true);
    expect(globToRegExp('^a$').test('^a$')).toBe(true);
  });

  it('returns the same compiled expression for the same glob', () => {
    expect(globToRegExp('shop/**')).toBe(globToRegExp('shop/**'));
  });
});

describe('matchesAny and firstMatch', () => {
  it('is false for a missing or empty list', () => {
    expect(matchesAny(undefined, 'x')).toBe(false);
    expect(matchesAny([], 'x')).toBe(false);
    expect(firstMatch(undefined, 'x')).toBeUndefined();
  });

  it('is true when any glob matches, and names the first one that does', () => {
    expect(matchesAny(['a*', 'v*'], 'v1')).toBe(true);
    expect(matchesAny(['a*', 'b*'], 'v1')).toBe(false);
    expect(firstMatch(['a*', 'v?', 'v*'], 'v1')).toBe('v?');
  });
});
