import { describe, expect, it } from 'vitest';
import { createProviderFactory, PROVIDER_CLIENT_IDLE_MS } from './factory.ts';
import type { DesiredRegistry } from './provider.ts';

const quay = { provider: 'quay', settings: { url: 'https://quay.example' } } as unknown as DesiredRegistry;

describe('createProviderFactory', () => {
  it('reuses a client while its credentials stay the same, and makes a new one when they change', () => {
    const providers = createProviderFactory();
    const first = providers(quay, { token: 'a' });
    expect(providers(quay, { token: 'a' })).toBe(first);
    expect(providers(quay, { token: 'b' })).not.toBe(first);
  });

  it('forgets a client nobody asked for within the idle time, keeps one in use', () => {
    let now = 0;
    const providers = createProviderFactory({ now: () => now });
    const old = providers(quay, { token: 'old' });
    const current = providers(quay, { token: 'new' });
    for (let step = 0; step < 8; step++) {
      now += PROVIDER_CLIENT_IDLE_MS / 4 + 1;
      providers(quay, { token: 'new' });
    }
    expect(providers(quay, { token: 'new' })).toBe(current);
    expect(providers(quay, { token: 'old' })).not.toBe(old);
  });
});
