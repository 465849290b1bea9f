import { describe, expect, it } from 'vitest';
import { IonosRegistrySchema, SelectelRegistrySchema } from './providers.ts';

// Issue 18 (smaller ones): endpoints may be https, or plain http to a loopback host only. The CEL
// rule guards the API server; this zod twin guards objects stored before the rule existed.
describe('provider endpoints', () => {
  const ionos = (apiEndpoint: string) => IonosRegistrySchema.safeParse({ location: 'de/fra', apiEndpoint });
  const selectel = (identityEndpoint: string) =>
    SelectelRegistrySchema.safeParse({ projectId: '0123456789abcdef0123456789abcdef', identityEndpoint });

  it.each([
    'https://api.ionos.com/containerregistries',
    'https://api.example.com:8443/cr',
    'http://127.0.0.1:41234/containerregistries',
    'http://localhost:8080',
    'http://[::1]:8080/cr',
  ])('accepts %s', (url) => {
    expect(ionos(url).success).toBe(true);
    expect(selectel(url).success).toBe(true);
  });

  it.each([
    'http://api.example.com/containerregistries',
    'http://localhost-shop.example.com',
    'http://127.evil.example/cr',
    'http://10.0.0.8/api',
  ])('refuses %s, naming the field', (url) => {
    const ionosIssue = ionos(url).error?.issues[0];
    expect(ionosIssue?.path).toEqual(['apiEndpoint']);
    expect(ionosIssue?.message).toBe(
      'apiEndpoint must be an https URL (plain http only to localhost, 127.0.0.0/8 or ::1, or with insecure: true)',
    );
    expect(selectel(url).error?.issues[0]?.message).toMatch(/^identityEndpoint must be an https URL/);
  });

  it('accepts plain http to any host where the block says insecure: true (a simulator on a Pod network)', () => {
    const url = 'http://10.213.0.1:45419/containerregistries';
    expect(
      IonosRegistrySchema.safeParse({ location: 'de/fra', apiEndpoint: url, insecure: true }).success,
    ).toBe(true);
    const projectId = '0123456789abcdef0123456789abcdef';
    expect(
      SelectelRegistrySchema.safeParse({ projectId, apiEndpoint: url, identityEndpoint: url, insecure: true })
        .success,
    ).toBe(true);
    expect(
      IonosRegistrySchema.safeParse({ location: 'de/fra', apiEndpoint: url, insecure: false }).success,
    ).toBe(false);
  });
});
