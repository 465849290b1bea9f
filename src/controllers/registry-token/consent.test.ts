import { describe, expect, it } from 'vitest';
import {
  acceptsCopiesFrom,
  acceptsServiceAccount,
  allowedEntries,
  ConsentAnnotation,
  consentOf,
  copiesRefused,
  keyAllowed,
  parseList,
} from './consent.ts';

const token = { namespace: 'shop', name: 'shop-pull' };

describe('consent of a target namespace (issue 18, item 4)', () => {
  it('reads comma-separated lists, ignoring blanks and spaces', () => {
    expect(parseList(' shop , ,team-b/pull,')).toEqual(['shop', 'team-b/pull']);
    expect(parseList(undefined)).toEqual([]);
    expect(parseList('a,'.repeat(1000))).toHaveLength(256);
  });

  it('item 4: accepts copies from a namespace, one token of it, or everyone; nothing without the annotation', () => {
    const from = (value: string | undefined) =>
      acceptsCopiesFrom(
        consentOf(value === undefined ? {} : { [ConsentAnnotation.CopiesFrom]: value }),
        token,
      );
    expect(from(undefined)).toBe(false);
    expect(from('')).toBe(false);
    expect(from('shop')).toBe(true);
    expect(from('other, shop/shop-pull')).toBe(true);
    expect(from('*')).toBe(true);
    expect(from('shop/other-token')).toBe(false);
    expect(from('sho')).toBe(false);
    expect(from('shop/*')).toBe(false);
  });

  it('item 4: accepts ServiceAccount entries only for the names listed, or any with *', () => {
    const consent = consentOf({ [ConsentAnnotation.ServiceAccounts]: 'default,builder' });
    expect(acceptsServiceAccount(consent, 'default')).toBe(true);
    expect(acceptsServiceAccount(consent, 'deployer')).toBe(false);
    expect(acceptsServiceAccount(consentOf({}), 'default')).toBe(false);
    expect(acceptsServiceAccount(consentOf({ [ConsentAnnotation.ServiceAccounts]: '*' }), 'x')).toBe(true);
  });

  it('item 4: lets through only the label and annotation keys listed, a prefix with /*', () => {
    expect(keyAllowed(['team', 'example.com/*'], 'team')).toBe(true);
    expect(keyAllowed(['team', 'example.com/*'], 'example.com/owner')).toBe(true);
    expect(keyAllowed(['team', 'example.com/*'], 'example.com.evil/owner')).toBe(false);
    expect(keyAllowed(['team'], 'team2')).toBe(false);
    expect(keyAllowed([], 'team')).toBe(false);
    const annotations = {
      'argocd.argoproj.io/tracking-id': 'app:/Secret:shop/x',
      'example.com/owner': 'shop',
    };
    expect(allowedEntries(annotations, ['example.com/*'])).toEqual({ 'example.com/owner': 'shop' });
  });

  it('item 4: a refusal names the annotation and the token, and nothing about the namespace', () => {
    expect(copiesRefused('team-b', token)).toBe(
      'namespace team-b takes no copy until its annotation berth.dev/accept-copies-from lists shop or shop/shop-pull',
    );
  });
});
