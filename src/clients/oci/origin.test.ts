import { describe, expect, it } from 'vitest';
import { registryBaseUrl } from './origin.ts';

describe('registryBaseUrl', () => {
  // Issue 18 (smaller ones): a prefix regex sent deletes for `localhost-shop.example.com` over http.
  it('speaks plain http only to a registry on the loopback interface', () => {
    expect(registryBaseUrl('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryBaseUrl('localhost:5000')).toBe('http://localhost:5000');
    expect(registryBaseUrl('[::1]:5000')).toBe('http://[::1]:5000');
    expect(registryBaseUrl('localhost-shop.example.com')).toBe('https://localhost-shop.example.com');
    expect(registryBaseUrl('127.evil.example')).toBe('https://127.evil.example');
    expect(registryBaseUrl('shop.cr.de-fra.ionos.com')).toBe('https://shop.cr.de-fra.ionos.com');
  });
});
