import { describe, expect, it } from 'vitest';
import { credentialName, nextCredentialName } from './names.ts';

const UID = '0a1b2c3d-0000-4000-8000-000000000000';
const n = (counter: number) => credentialName(UID, counter);
const revoke = (credentialName?: string) => ({ credentialName, credentialId: 'x', revokeAfter: 'x' });

describe('nextCredentialName', () => {
  it.each([
    ['the first credential', {}, 1],
    ['after the current one', { credentialName: n(3) }, 4],
    ['above one still in its grace period', { credentialName: n(3), pendingRevocations: [revoke(n(5))] }, 6],
    ['above one being issued', { credentialName: n(3), pendingIssue: { credentialName: n(4) } }, 5],
    ['ignoring a pending entry without a name', { credentialName: n(2), pendingRevocations: [revoke()] }, 3],
  ])('%s', (_what, known, counter) => {
    expect(nextCredentialName(UID, known)).toBe(n(counter));
  });

  it('is valid for every provider: lower case, digits and dashes', () => {
    expect(nextCredentialName(UID, {})).toBe('berth-0a1b2c3d-1');
  });
});
