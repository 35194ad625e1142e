import { expect } from 'chai';
import { createCache, type CacheEngine } from '../../lib/index.js';
import { httpCache, type HttpCacheOptions } from '../../lib/koa/index.js';
import { resolveHttpCacheOptions } from '../../lib/koa/options.js';
import { expectConfigError, thrownBy } from '../ratelimit/helpers.js';

describe('httpCache options', () => {
  describe('checked when the middleware is created, each error naming its option', () => {
    // [title, options, the option the error must name]
    const cases: ReadonlyArray<readonly [title: string, options: unknown, option: string]> = [
      ['options that are not an object', 'gzip', 'httpCache'],
      ['null options', null, 'httpCache'],
      ['an unknown option', { privateCookie: ['session'] }, 'privateCookie'],
      ['an unknown option in another case', { Cache: undefined }, 'Cache'],
      ['privateCookies as a string', { privateCookies: 'session' }, 'privateCookies'],
      ['privateCookies with an empty name', { privateCookies: ['session', ''] }, 'privateCookies'],
      ['privateCookies with a number', { privateCookies: [42] }, 'privateCookies'],
      ['compression true', { compression: true }, 'compression'],
      ['compression null', { compression: null }, 'compression'],
      ["compression 'gzip'", { compression: 'gzip' }, 'compression'],
      ['an unknown compression option', { compression: { level: 9 } }, 'compression.level'],
      ["compression.encodings 'gzip' (not an array)", { compression: { encodings: 'gzip' } }, 'compression.encodings'],
      ["compression.encodings ['zstd'] (not produced)", { compression: { encodings: ['zstd'] } }, 'compression.encodings'],
      ["compression.encodings ['identity']", { compression: { encodings: ['identity'] } }, 'compression.encodings'],
      ["compression.encodings ['GZIP'] (the names are lower case)", { compression: { encodings: ['GZIP'] } }, 'compression.encodings'],
      ['compression.threshold -1', { compression: { threshold: -1 } }, 'compression.threshold'],
      ['compression.threshold 1.5', { compression: { threshold: 1.5 } }, 'compression.threshold'],
      ['compression.threshold NaN', { compression: { threshold: Number.NaN } }, 'compression.threshold'],
      ['compression.threshold Infinity', { compression: { threshold: Number.POSITIVE_INFINITY } }, 'compression.threshold'],
      ["compression.threshold '1kb'", { compression: { threshold: '1kb' } }, 'compression.threshold'],
      ["clientId 'ip' (not a function)", { clientId: 'ip' }, 'clientId'],
      ['cache that is not an engine', { cache: {} }, 'cache'],
      ['cache given as a URL', { cache: 'redis://127.0.0.1:6379' }, 'cache'],
    ];
    for (const [title, options, option] of cases) {
      it(`rejects ${title}, naming ${option}`, () => {
        expectConfigError(thrownBy(() => httpCache(options as HttpCacheOptions)), option);
      });
    }
  });

  describe('resolved once', () => {
    let cache: CacheEngine;
    before(() => {
      cache = createCache({ namespace: 'koa-options', l2: false });
    });
    after(async () => {
      await cache.close();
    });

    it('defaults: br then gzip from 1024 bytes, any cookie private, the default engine, ctx.ip as the client', () => {
      const o = resolveHttpCacheOptions({});
      expect(o.encodings).to.deep.equal(['br', 'gzip']);
      expect(o.threshold).to.equal(1024);
      expect(o.privateCookies).to.equal(undefined);
      expect(o.cache).to.equal(undefined);
      expect(o.clientId({ ip: '10.1.2.3' } as Parameters<typeof o.clientId>[0])).to.equal('10.1.2.3');
    });

    it('keeps what it is given: an engine or a function, cookies copied, compression off or tuned', () => {
      const clientId = (): string => 'k';
      const cookies = ['session'];
      const o = resolveHttpCacheOptions({ cache, privateCookies: cookies, compression: { encodings: ['gzip', 'deflate'], threshold: 0 }, clientId });
      expect(o.cache).to.equal(cache);
      expect(o.privateCookies).to.deep.equal(['session']);
      cookies.push('other');
      expect(o.privateCookies, 'a copy').to.deep.equal(['session']);
      expect(o.encodings).to.deep.equal(['gzip', 'deflate']);
      expect(o.threshold).to.equal(0);
      expect(o.clientId).to.equal(clientId);
      expect(resolveHttpCacheOptions({ compression: false }).encodings).to.deep.equal([]);
      expect(resolveHttpCacheOptions({ compression: { encodings: [] } }).encodings).to.deep.equal([]);
      expect(resolveHttpCacheOptions({ cache: () => cache }).cache).to.be.a('function');
      expect(resolveHttpCacheOptions({ privateCookies: [] }).privateCookies).to.deep.equal([]);
    });

    it('returns a middleware with stats() starting at zero', () => {
      const middleware = httpCache({ cache });
      expect(middleware).to.be.a('function');
      expect(middleware.stats()).to.deep.equal({ requests: 0, statuses: {}, serialized: 0, hashed: 0, compressed: 0 });
    });
  });
});
