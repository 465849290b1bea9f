import { describe, expect, it } from 'vitest';
import { contentHash, dockerConfigJson, loginFrom } from './docker-config.ts';

describe('dockerConfigJson', () => {
  it('writes auths.<server> with username, password and base64 auth, as kubelet and docker read it', () => {
    const json = dockerConfigJson({
      server: 'shop.cr.de-fra.ionos.com',
      username: 'berth-1',
      password: 'p@ss:word',
    });
    expect(JSON.parse(json)).toEqual({
      auths: {
        'shop.cr.de-fra.ionos.com': {
          username: 'berth-1',
          password: 'p@ss:word',
          auth: Buffer.from('berth-1:p@ss:word').toString('base64'),
        },
      },
    });
    expect(loginFrom(json)).toEqual({
      server: 'shop.cr.de-fra.ionos.com',
      username: 'berth-1',
      password: 'p@ss:word',
    });
  });

  it('hashes content independent of key order, and differently for different content', () => {
    expect(contentHash({ a: '1', b: '2' })).toBe(contentHash({ b: '2', a: '1' }));
    expect(contentHash({ a: '1' })).not.toBe(contentHash({ a: '2' }));
  });

  it('does not mistake other JSON for a docker config', () => {
    expect(loginFrom('{"x":1}')).toBeUndefined();
    expect(loginFrom('not json')).toBeUndefined();
  });
});
