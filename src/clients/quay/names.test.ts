import { describe, expect, it } from 'vitest';
import { LONGEST_CREDENTIAL_NAME, SAMPLE_CREDENTIAL_NAMES } from '../../../test/support/credential-names.ts';
import {
  durationSeconds,
  invalidRobotName,
  maxRole,
  parseQuayDate,
  planScopes,
  robotShortname,
  robotUsername,
  roleFor,
  toRobotShortname,
} from './names.ts';

describe('robot names', () => {
  it('joins and splits org+short', () => {
    expect(robotUsername('acme', 'ci')).toBe('acme+ci');
    expect(robotShortname('acme', 'acme+ci')).toBe('ci');
    expect(robotShortname('acme', 'other+ci')).toBeUndefined();
    expect(robotShortname('acme', 'acme+')).toBeUndefined();
  });

  it.each([
    ['ci', undefined],
    ['shop-api.pull_1', undefined],
    ['c', 'at least 2'],
    ['Upper', 'lower-case'],
    ['a--b', 'lower-case'],
    ['-ab', 'lower-case'],
    ['x'.repeat(251), 'longer than 255'],
  ])('validates %s', (name, problem) => {
    const result = invalidRobotName('acme', name);
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(problem);
  });

  it('takes berth credential names of both forms as short names, unchanged', () => {
    for (const name of SAMPLE_CREDENTIAL_NAMES) {
      expect(invalidRobotName('acme', name)).toBeUndefined();
      expect(robotShortname('acme', robotUsername('acme', name))).toBe(name);
    }
  });

  it('fits the longest credential name into org+short for organizations up to 205 characters', () => {
    expect(invalidRobotName('o'.repeat(205), LONGEST_CREDENTIAL_NAME)).toBeUndefined();
    expect(invalidRobotName('o'.repeat(206), LONGEST_CREDENTIAL_NAME)).toContain('longer than 255');
  });

  it('sanitizes arbitrary names into valid short names', () => {
    expect(toRobotShortname('Shop--API..Token')).toBe('shop-api.token');
    expect(toRobotShortname('_x_')).toBe('x_x');
    expect(toRobotShortname('ns/name:1')).toBe('ns_name_1');
    expect(invalidRobotName('acme', toRobotShortname('--A--'))).toBeUndefined();
  });
});

describe('scopes to roles', () => {
  it('maps pull to read and push or delete to write', () => {
    expect(roleFor(['pull'])).toBe('read');
    expect(roleFor(['pull', 'push'])).toBe('write');
    expect(roleFor(['delete'])).toBe('write');
    expect(maxRole('write', 'read')).toBe('write');
    expect(maxRole(undefined, 'read')).toBe('read');
  });

  it('expands patterns over existing repositories and plans missing exact push repositories', () => {
    const plan = planScopes(
      [
        { repository: 'team/*', actions: ['pull'] },
        { repository: 'team/api', actions: ['push'] },
        { repository: 'new', actions: ['pull', 'push'] },
        { repository: 'ghost', actions: ['pull'] },
        { repository: '*', actions: ['pull'] },
      ],
      ['team/api', 'team/web', 'other'],
    );
    expect(Object.fromEntries(plan.grants)).toEqual({
      'team/api': 'write',
      'team/web': 'read',
      other: 'read',
      new: 'write',
    });
    expect(plan.create).toEqual(['new']);
    // A pull-only scope on a repository that does not exist grants nothing: said, not skipped.
    expect(plan.waiting).toEqual([
      'ghost: the repository does not exist yet (a pull scope does not create it); granted when it exists',
    ]);
  });

  it('says which patterns match no repository yet', () => {
    const plan = planScopes([{ repository: 'team/*', actions: ['pull'] }], ['other']);
    expect(plan.grants.size).toBe(0);
    expect(plan.waiting).toEqual(['team/*: no repository matches it yet; granted when one exists']);
  });
});

describe('durations and dates', () => {
  it('parses Quay durations and RFC 2822 dates', () => {
    expect(durationSeconds('2w')).toBe(1_209_600);
    expect(durationSeconds('0s')).toBe(0);
    expect(durationSeconds('2y')).toBeUndefined();
    expect(parseQuayDate('Fri, 10 May 2024 15:11:00 -0000')?.toISOString()).toBe('2024-05-10T15:11:00.000Z');
    expect(parseQuayDate(null)).toBeUndefined();
    expect(parseQuayDate('yesterday')).toBeUndefined();
  });
});
