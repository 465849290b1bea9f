import { describe, expect, it } from 'vitest';
import { Redactor } from './redact.ts';

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
