import { VerifiedTokenCache } from './verified-token-cache.js';

const user = { id: '0b7d5a7e-5a43-4a51-9f5e-3f2d4c1b2a10', role: 'user' as const };

describe('VerifiedTokenCache', () => {
  it('answers a verified token until its expiry, then forgets it', () => {
    const cache = new VerifiedTokenCache();
    cache.set('token', user, 1_000);
    expect(cache.get('token', 999_999)).toEqual(user);
    expect(cache.get('token', 1_000_000)).toBeUndefined();
    expect(cache.get('token', 0)).toBeUndefined();
  });

  it('knows nothing of tokens it was not given', () => {
    expect(new VerifiedTokenCache().get('other', 0)).toBeUndefined();
  });

  it('drops the oldest entry when full', () => {
    const cache = new VerifiedTokenCache(2);
    cache.set('a', user, 10);
    cache.set('b', user, 10);
    cache.set('c', user, 10);
    expect([cache.get('a', 0), cache.get('b', 0), cache.get('c', 0)]).toEqual([undefined, user, user]);
  });
});
