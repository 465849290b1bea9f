import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isLoopbackServer, parseHostPort } from './host.ts';

// Issue 18 (smaller ones): the plain-http loopback check was a prefix regex, so a registry host
// such as `localhost-shop.example.com` got berth's deletes (and their credentials) over plain http.

describe('isLoopbackServer', () => {
  it.each([
    'localhost',
    'localhost:5000',
    'LOCALHOST:5000',
    '127.0.0.1',
    '127.0.0.1:41234',
    '127.255.3.4:80',
    '[::1]',
    '[::1]:5000',
    '[0:0:0:0:0:0:0:1]:5000',
  ])('%s is loopback', (server) => {
    expect(isLoopbackServer(server)).toBe(true);
  });

  it.each([
    'localhost-shop.example.com',
    'localhost.evil.example',
    '127.evil.example',
    '127.0.0.1.nip.io:5000',
    '128.0.0.1',
    '10.0.0.1:5000',
    '[::2]:5000',
    '[::ffff:127.0.0.1]:5000',
    '::1',
    'localhost@evil.example',
    'evil.example/localhost',
    'localhost:99999',
    'shop.cr.de-fra.ionos.com',
    '',
  ])('%s is not', (server) => {
    expect(isLoopbackServer(server)).toBe(false);
  });
});

describe('parseHostPort', () => {
  it('reads host and port exactly, and nothing else', () => {
    expect(parseHostPort('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseHostPort('[::1]:9090')).toEqual({ host: '::1', port: 9090 });
    expect(parseHostPort(':8080')).toEqual({ host: '', port: 8080 });
    expect(parseHostPort('Example.COM')).toEqual({ host: 'example.com', port: undefined });
    expect(parseHostPort('[nope]:1')).toBeUndefined();
    expect(parseHostPort('a:1:2')).toBeUndefined();
    expect(parseHostPort('http://a:1')).toBeUndefined();
  });

  it('knows loopback hosts by value, not by prefix', () => {
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('127.0.0.53')).toBe(true);
    expect(isLoopbackHost('127.0.0.1.example')).toBe(false);
  });
});
