import { describe, expect, it } from 'vitest';
import type { TokenRegistry } from '../../clients/provider.ts';
import { ociPath, plainHttpAllowed } from './run-access.ts';

const registry = (desired: unknown): TokenRegistry =>
  ({ externalId: 'x', name: 'shop', server: '10.88.0.1:5000', desired }) as TokenRegistry;

describe('run access', () => {
  it('reaches a registry over plain http only where the ContainerRegistry allows it', () => {
    expect(plainHttpAllowed(registry({ provider: 'ionos', settings: { insecure: true } }))).toBe(true);
    expect(plainHttpAllowed(registry({ provider: 'ionos', settings: {} }))).toBe(false);
    expect(plainHttpAllowed(registry({ provider: 'selectel', settings: { insecure: false } }))).toBe(false);
    expect(plainHttpAllowed(registry({ provider: 'quay', settings: { url: 'http://10.88.0.1:8080' } }))).toBe(
      true,
    );
    expect(plainHttpAllowed(registry({ provider: 'quay', settings: { url: 'https://quay.example' } }))).toBe(
      false,
    );
  });

  it('puts a Quay organization or Selectel registry in front of the repository, not an IONOS one', () => {
    const r = registry({ provider: 'quay', settings: {} });
    expect(ociPath('quay', r, 'app')).toBe('shop/app');
    expect(ociPath('selectel', r, 'team/app')).toBe('shop/team/app');
    expect(ociPath('ionos', r, 'team/app')).toBe('team/app');
  });
});
