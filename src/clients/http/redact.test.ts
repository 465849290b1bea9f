import { describe, expect, it } from 'vitest';
import { createIonosProvider } from '../ionos/adapter.ts';
import { createQuayProvider } from '../quay/adapter.ts';
import { createSelectelProvider } from '../selectel/adapter.ts';
import { REDACTOR_CAPACITY, Redactor } from './redact.ts';

describe('Redactor', () => {
  it('scrubs every secret it was told about, however often it appears', () => {
    const redactor = new Redactor();
    redactor.add('hunter2-password');
    expect(redactor.redact('login hunter2-password failed; hunter2-password')).toBe(
      'login [redacted] failed; [redacted]',
    );
  });

  it('stays bounded over many rotations and still scrubs the newest secrets', () => {
    const redactor = new Redactor(100);
    for (let i = 0; i < 1_000; i++) redactor.add(`credential-secret-${i}`);
    expect(redactor.size).toBe(100);
    expect(redactor.redact('credential-secret-999 and credential-secret-900')).toBe(
      '[redacted] and [redacted]',
    );
  });

  it('keeps a secret it sees again as one of the newest', () => {
    const redactor = new Redactor(2);
    redactor.add('first-secret');
    redactor.add('second-secret');
    redactor.add('first-secret');
    redactor.add('third-secret');
    expect(redactor.redact('first-secret')).toBe('[redacted]');
  });
});

// Issue 18 (smaller ones): API keys were registered once and fell out of the 20,000-value memory
// after 20,000 issued credentials, so a later error could carry the API key in clear.
describe('Redactor: long-lived secrets', () => {
  it('keeps a held API key redacted after 20,001 issued secrets', () => {
    const redactor = new Redactor();
    const client = {};
    redactor.hold(client, 'apiKey', 'platform-api-key-0001');
    for (let i = 0; i <= REDACTOR_CAPACITY; i++) redactor.add(`issued-password-${i}`);
    expect(redactor.size).toBe(REDACTOR_CAPACITY);
    expect(redactor.redact('401 for platform-api-key-0001')).toBe('401 for [redacted]');
    expect(client).toBeDefined(); // the owner is alive up to here
  });

  it('holds one value per owner and slot: a renewed IAM token replaces the old, which stays redacted', () => {
    const redactor = new Redactor(1);
    const auth = {};
    redactor.hold(auth, 'iamToken', 'iam-token-day-1');
    redactor.hold(auth, 'iamToken', 'iam-token-day-2');
    expect(redactor.redact('iam-token-day-1 iam-token-day-2')).toBe('[redacted] [redacted]');
    redactor.add('issued-password-x'); // the capped memory (capacity 1) now forgets day 1
    expect(redactor.redact('iam-token-day-1 iam-token-day-2')).toBe('iam-token-day-1 [redacted]');
    expect(auth).toBeDefined();
  });
});

describe('provider clients hold their credentials', () => {
  it('IONOS, Selectel and Quay API credentials stay redacted after 20,001 issued secrets', () => {
    const redactor = new Redactor();
    const providers = [
      createIonosProvider({ credentials: { token: 'ionos-api-token-0001' }, redactor }),
      createSelectelProvider({
        projectId: '0123456789abcdef0123456789abcdef',
        credentials: { username: 'svc', password: 'selectel-password-0001', accountId: '123456' },
        redactor,
      }),
      createQuayProvider({ token: 'quay-oauth-token-0001', baseUrl: 'https://quay.example', redactor }),
    ];
    for (let i = 0; i <= REDACTOR_CAPACITY; i++) redactor.add(`issued-password-${i}`);
    expect(redactor.redact('ionos-api-token-0001 selectel-password-0001 quay-oauth-token-0001')).toBe(
      '[redacted] [redacted] [redacted]',
    );
    expect(providers.map((p) => p.name)).toEqual(['ionos', 'selectel', 'quay']);
  });
});
