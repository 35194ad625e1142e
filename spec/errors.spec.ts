import { expect } from 'chai';
import {
  CacheConfigError,
  CacheKeyError,
  CacheTimeoutError,
  isTierCacheError,
  RateLimitError,
  RateLimitUnavailableError,
  SerializationError,
  TierCacheError,
  type RateLimitPolicy,
  type TierCacheErrorCode,
} from '../lib/index.js';

const policy: RateLimitPolicy = { name: 'search', limit: 100, windowMs: 60_000 };
const cause = new Error('the root of it');

describe('errors', () => {
  // One of each, built the way lib/ builds them, with a cause where the class takes one.
  const table: ReadonlyArray<readonly [cls: abstract new (...args: any[]) => TierCacheError, code: TierCacheErrorCode, make: () => TierCacheError, takesCause: boolean]> = [
    [CacheConfigError, 'ERR_CONFIG', () => new CacheConfigError('expected a boolean', { option: 'bus', cause }), true],
    [CacheKeyError, 'ERR_KEY', () => new CacheKeyError('a function cannot be part of a cache key', { path: 'args[0]', cause }), true],
    [SerializationError, 'ERR_SERIALIZE', () => new SerializationError('cannot encode', { path: 'value.fn', key: 'k', cause }), true],
    [CacheTimeoutError, 'ERR_TIMEOUT', () => new CacheTimeoutError('Catalog.product:1', 500), false],
    [RateLimitError, 'ERR_RATE_LIMITED', () => new RateLimitError({ limit: 100, remaining: 0, resetMs: 600, retryAfterMs: 1_200.4, policy }), false],
    [RateLimitUnavailableError, 'ERR_RATE_LIMIT_UNAVAILABLE', () => new RateLimitUnavailableError(policy, { cause }), true],
  ];

  for (const [cls, code, make, takesCause] of table) {
    describe(cls.name, () => {
      it('is a TierCacheError and an Error', () => {
        const error = make();
        expect(error).to.be.instanceOf(cls);
        expect(error).to.be.instanceOf(TierCacheError);
        expect(error).to.be.instanceOf(Error);
        expect(isTierCacheError(error)).to.equal(true);
      });

      it(`has the stable code ${code}`, () => {
        expect(make().code).to.equal(code);
      });

      it('is named after its class, in name and in its stack', () => {
        const error = make();
        expect(error.name).to.equal(cls.name);
        expect(String(error)).to.match(new RegExp(`^${cls.name}: `));
        expect(error.stack).to.match(new RegExp(`^${cls.name}: `));
      });

      if (takesCause) {
        it('carries its cause', () => {
          expect(make().cause).to.equal(cause);
        });
      }
    });
  }

  describe('isTierCacheError', () => {
    const others: ReadonlyArray<readonly [title: string, value: unknown]> = [
      ['a plain Error', new Error('x')],
      ['a TypeError', new TypeError('x')],
      ['a look-alike object', { name: 'CacheConfigError', code: 'ERR_CONFIG', message: 'x' }],
      ['a code string', 'ERR_CONFIG'],
      ['null', null],
      ['undefined', undefined],
      ['a number', 42],
    ];
    for (const [title, value] of others) {
      it(`is false for ${title}`, () => {
        expect(isTierCacheError(value)).to.equal(false);
      });
    }

    it('narrows the type, so code can be read', () => {
      const error: unknown = new CacheKeyError('bad');
      if (!isTierCacheError(error)) expect.fail('expected a TierCacheError');
      expect(error.code).to.equal('ERR_KEY');
    });
  });

  describe('the context each error carries', () => {
    it('CacheConfigError: option, also at the head of its message', () => {
      const error = new CacheConfigError('expected a positive integer, got 0', { option: 'l1.maxEntries' });
      expect(error.option).to.equal('l1.maxEntries');
      expect(error.message).to.equal('l1.maxEntries: expected a positive integer, got 0');
    });

    it('CacheConfigError without an option: the message alone, no cause', () => {
      const error = new CacheConfigError('no cache engine');
      expect(error.option).to.equal(undefined);
      expect(error.message).to.equal('no cache engine');
      expect(error.cause).to.equal(undefined);
    });

    it('CacheKeyError: path, also at the end of its message', () => {
      const error = new CacheKeyError('a function cannot be part of a cache key', { path: 'args[0].filter' });
      expect(error.path).to.equal('args[0].filter');
      expect(error.message).to.equal('a function cannot be part of a cache key at args[0].filter');
      expect(new CacheKeyError('bad').path).to.equal(undefined);
    });

    it('SerializationError: path and key', () => {
      const error = new SerializationError('a function cannot be encoded', { path: 'value.items[2].fn', key: 'Catalog.product:1' });
      expect(error.path).to.equal('value.items[2].fn');
      expect(error.key).to.equal('Catalog.product:1');
      expect(error.message).to.equal('a function cannot be encoded at value.items[2].fn');
      const bare = new SerializationError('cannot decode');
      expect(bare.path).to.equal(undefined);
      expect(bare.key).to.equal(undefined);
    });

    it('CacheTimeoutError: key and timeoutMs, both in its message', () => {
      const error = new CacheTimeoutError('Catalog.product:1', 500);
      expect(error.key).to.equal('Catalog.product:1');
      expect(error.timeoutMs).to.equal(500);
      expect(error.message).to.include('"Catalog.product:1"').and.to.include('500 ms');
    });

    it('RateLimitError: limit, remaining, resetMs, retryAfterMs and policy', () => {
      const error = new RateLimitError({ limit: 100, remaining: 0, resetMs: 600, retryAfterMs: 1_200.4, policy });
      expect(error).to.deep.include({ limit: 100, remaining: 0, resetMs: 600, retryAfterMs: 1_200.4, policy });
      expect(error.message).to.include('"search"').and.to.include('1201 ms');
    });

    it('RateLimitUnavailableError: policy', () => {
      const error = new RateLimitUnavailableError(policy);
      expect(error.policy).to.equal(policy);
      expect(error.message).to.include('"search"');
      expect(error.cause).to.equal(undefined);
    });
  });
});
