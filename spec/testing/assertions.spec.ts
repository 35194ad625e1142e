import { AssertionError } from 'node:assert';
import { expect } from 'chai';
import { Cached, type CacheEngine } from '../../lib/index.js';
import { cacheStatsOf, createTestCache, expectCalls, FakeClock, MemoryRedisServer } from '../../lib/testing/index.js';

describe('expectCalls and cacheStatsOf', () => {
  let cache: CacheEngine;
  afterEach(async () => {
    await cache.close();
  });

  function catalogOn(engine: CacheEngine) {
    class Catalog {
      @Cached({ cache: engine, ttl: '1m' })
      async product(id: number): Promise<number> {
        return id * 10;
      }
    }
    return new Catalog();
  }

  it('pass when the counters given match, per method and in total', async () => {
    cache = await createTestCache();
    const catalog = catalogOn(cache);
    await catalog.product(1);
    await catalog.product(1);
    await cache.getOrSet('direct', async () => 1);
    expectCalls(cache, { method: 'Catalog.product', misses: 1, hits: 1, l1Hits: 1, l2Hits: 0, factoryCalls: 1 });
    expectCalls(cache, { misses: 2, hits: 1, factoryCalls: 2 });
    expect(cacheStatsOf(cache, 'Catalog.product')).to.deep.equal({ hits: { l1: 1, l2: 0 }, misses: 1, stale: 0, factoryCalls: 1, coalesced: 0, lockWaits: 0, errors: 0 });
  });

  it('throw an AssertionError listing each counter that differs, with actual and expected for a diff', async () => {
    cache = await createTestCache();
    const catalog = catalogOn(cache);
    await catalog.product(1);
    await catalog.product(2);
    let error: unknown;
    try {
      expectCalls(cache, { method: 'Catalog.product', misses: 1, factoryCalls: 2, hits: 0 });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(AssertionError);
    const { message, actual, expected } = error as AssertionError;
    expect(message).to.equal(
      'expectCalls: "Catalog.product" did not get the expected calls\n' +
        '  misses: expected 1, got 2\n' +
        '  (all: hits 0, l1Hits 0, l2Hits 0, misses 2, stale 0, factoryCalls 2, coalesced 0, lockWaits 0, errors 0)',
    );
    expect(actual).to.deep.equal({ hits: 0, misses: 2, factoryCalls: 2 });
    expect(expected).to.deep.equal({ hits: 0, misses: 1, factoryCalls: 2 });
  });

  it('compare what happened since a snapshot', async () => {
    cache = await createTestCache();
    const catalog = catalogOn(cache);
    await catalog.product(1);
    const since = cacheStatsOf(cache, 'Catalog.product');
    await catalog.product(1);
    expectCalls(cache, { method: 'Catalog.product', since, hits: 1, misses: 0, factoryCalls: 0 });
  });

  it('name the methods that have stats when the one asked for has none', async () => {
    cache = await createTestCache();
    await catalogOn(cache).product(1);
    expect(() => expectCalls(cache, { method: 'Catalog.prodcut', misses: 1 })).to.throw(AssertionError, /no calls recorded for "Catalog.prodcut"; methods with stats: Catalog.product/);
    expectCalls(cache, { method: 'Catalog.prodcut', misses: 0 });
  });

  it('refuse a counter they do not know', async () => {
    cache = await createTestCache();
    expect(() => expectCalls(cache, { mises: 1 } as never)).to.throw(TypeError, 'expectCalls: unknown counter "mises"');
  });
});

describe('createTestCache', () => {
  it('makes ready engines on a shared MemoryRedisServer, with exact ttls', async () => {
    const server = new MemoryRedisServer();
    const clock = new FakeClock();
    const [a, b] = await Promise.all([createTestCache({ server, clock }), createTestCache({ server, clock })]);
    try {
      expect(a.stats().bus.state).to.equal('connected');
      await a.set('k', 'v', { ttl: '10s', grace: 0 });
      expect(await b.get('k')).to.equal('v');
      clock.advance('10s');
      expect(await b.get('k')).to.equal(undefined);
      expect(a.options.namespace).to.equal('test');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
