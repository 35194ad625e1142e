import { expect } from 'chai';
import { createCache, refreshContext, type CacheEngine, CacheTimeoutError } from '../../lib/index.js';
import { FakeClock } from '../../lib/testing/index.js';
import { waitFor } from '../helpers/events.js';
import { useRedis } from '../helpers/redis-server.js';

/** A promise with its resolve/reject exposed, to hold a method in flight. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('CacheEngine', () => {
  const redis = useRedis();
  const engines: CacheEngine[] = [];
  let clock: FakeClock;
  let namespace = 0;

  function engine(options: Partial<Parameters<typeof createCache>[0]> = {}, ns = `t${namespace}`): CacheEngine {
    const cache = createCache({
      namespace: ns,
      l2: { redis: redis().url },
      clock,
      earlyRefresh: false,
      ttlJitter: 0,
      defaults: { ttl: '10s', grace: '1m' },
      ...options,
    });
    engines.push(cache);
    return cache;
  }

  /** An engine whose L2 and bus are up: until the bus is, L1 is not trusted (DESIGN: bounded staleness). */
  async function started(options: Partial<Parameters<typeof createCache>[0]> = {}, ns = `t${namespace}`): Promise<CacheEngine> {
    const cache = engine(options, ns);
    await cache.ready();
    return cache;
  }

  beforeEach(() => {
    clock = new FakeClock();
    namespace++;
  });

  afterEach(async () => {
    await Promise.all(engines.splice(0).map((cache) => cache.close()));
  });

  describe('getOrSet', () => {
    it('runs the factory on a miss, then answers from L1', async () => {
      const cache = await started();
      let calls = 0;
      const factory = async () => ({ n: ++calls });
      expect(await cache.getOrSet('k', factory)).to.deep.equal({ n: 1 });
      expect(await cache.getOrSet('k', factory)).to.deep.equal({ n: 1 });
      expect(calls).to.equal(1);
      const stats = cache.stats();
      expect(stats.misses).to.equal(1);
      expect(stats.hits.l1).to.equal(1);
      expect(stats.factoryCalls).to.equal(1);
    });

    it('answers a second engine from L2 and fills its L1', async () => {
      const writer = await started();
      const reader = await started({}, writer.options.namespace);
      await writer.getOrSet('k', async () => 'from-writer');
      let readerCalls = 0;
      expect(await reader.getOrSet('k', async () => `reader-${++readerCalls}`)).to.equal('from-writer');
      expect(await reader.getOrSet('k', async () => `reader-${++readerCalls}`)).to.equal('from-writer');
      expect(readerCalls).to.equal(0);
      expect(reader.stats().hits).to.deep.equal({ l1: 1, l2: 1 });
    });

    it('returns values with their types from every tier', async () => {
      const writer = await started();
      const reader = await started({}, writer.options.namespace);
      const value = {
        when: new Date('2024-01-02T03:04:05.006Z'),
        big: 12345678901234567890n,
        map: new Map<unknown, unknown>([[1, 'one'], ['two', new Set([2])]]),
        bytes: Buffer.from('hi'),
        missing: undefined,
        negativeZero: -0,
      };
      const first = await writer.getOrSet('typed', async () => value);
      const second = await writer.getOrSet('typed', async () => value);
      const third = await reader.getOrSet('typed', async () => value);
      for (const got of [first, second, third]) {
        expect(got).to.deep.equal(value);
        expect(got.when).to.be.instanceOf(Date);
        expect(got.map).to.be.instanceOf(Map);
        expect(Buffer.isBuffer(got.bytes)).to.equal(true);
        expect(Object.is(got.negativeZero, -0)).to.equal(true);
        expect(got).to.have.property('missing');
      }
      // The same shape from every tier: the first caller gets what L1 and L2 keep, not the factory's own object.
      expect(first).to.not.equal(value);
    });

    it('caches null but not undefined', async () => {
      const cache = await started();
      let calls = 0;
      await cache.getOrSet('null', async () => (calls++, null));
      await cache.getOrSet('null', async () => (calls++, null));
      await cache.getOrSet('undef', async () => (calls++, undefined));
      await cache.getOrSet('undef', async () => (calls++, undefined));
      expect(calls).to.equal(3);
    });

    it('runs the factory once for 1,000 concurrent callers of a cold key', async () => {
      const cache = await started();
      let calls = 0;
      const gate = deferred<string>();
      const answers = Array.from({ length: 1000 }, () => cache.getOrSet('cold', () => (calls++, gate.promise)));
      gate.resolve('v');
      const values = await Promise.all(answers);
      expect(calls).to.equal(1);
      expect(new Set(values)).to.deep.equal(new Set(['v']));
      expect(cache.stats().coalesced).to.equal(999);
    });

    it('gives every waiter the same error and stores nothing', async () => {
      const cache = await started();
      const boom = new Error('boom');
      let calls = 0;
      const answers = Array.from({ length: 50 }, () => cache.getOrSet('fails', async () => {
        calls++;
        await Promise.resolve();
        throw boom;
      }));
      const results = await Promise.allSettled(answers);
      expect(calls).to.equal(1);
      for (const result of results) expect(result).to.deep.equal({ status: 'rejected', reason: boom });
      expect(await cache.get('fails')).to.equal(undefined);
      expect(await redis().client().keys(`${cache.options.namespace}:*{fails}`)).to.deep.equal([]);
    });

    it('accepts a factory that answers synchronously', async () => {
      const cache = await started();
      expect(await cache.getOrSet('sync', () => 42)).to.equal(42);
      expect(await cache.getOrSet('sync', () => 43)).to.equal(42);
    });
  });

  describe('when an entry expires', () => {
    it('is fresh for ttl, then served stale while one refresh runs, then gone after grace', async () => {
      const cache = await started({ defaults: { ttl: '10s', grace: '1m' } });
      let version = 0;
      const gate = { current: deferred<string>() };
      const factory = () => (version++, gate.current.promise);
      const first = cache.getOrSet('k', factory);
      gate.current.resolve('v1');
      expect(await first).to.equal('v1');

      clock.advance(9_999);
      expect(await cache.getOrSet('k', factory)).to.equal('v1');
      expect(version).to.equal(1);

      clock.advance(2);
      gate.current = deferred<string>();
      // Stale-while-revalidate: the stale value at once, one refresh for many callers.
      expect(await cache.getOrSet('k', factory)).to.equal('v1');
      expect(await cache.getOrSet('k', factory)).to.equal('v1');
      // The refresh starts once it holds the lock (one round trip); the callers do not wait for it.
      await waitUntil(() => version === 2);
      expect(await cache.getOrSet('k', factory)).to.equal('v1');
      expect(version).to.equal(2);
      gate.current.resolve('v2');
      await waitUntil(async () => (await cache.get('k')) === 'v2');
      expect(await cache.getOrSet('k', factory)).to.equal('v2');

      clock.advance(10_000 + 60_000 + 1);
      gate.current = deferred<string>();
      const late = cache.getOrSet('k', factory);
      gate.current.resolve('v3');
      expect(await late).to.equal('v3');
    });

    it('serves the stale value when the refresh throws (stale-if-error) and reports the error', async () => {
      const cache = await started();
      const errors: Error[] = [];
      cache.on('error', (error) => errors.push(error));
      await cache.getOrSet('k', async () => 'old');
      clock.advance(10_001);
      expect(await cache.getOrSet('k', async () => { throw new Error('db down'); })).to.equal('old');
      await waitUntil(() => errors.length > 0);
      expect(errors[0]?.message).to.equal('db down');
    });

    it('counts a failed background refresh once', async () => {
      const cache = await started();
      const reported = new Promise((resolve) => cache.once('error', resolve));
      await cache.getOrSet('k', async () => 'old');
      clock.advance(10_001);
      await cache.getOrSet('k', async () => { throw new Error('db down'); });
      await reported;
      expect(cache.stats().errors).to.equal(1);
    });

    it('does not serve stale values with grace 0', async () => {
      const cache = await started({ defaults: { ttl: '10s', grace: 0 } });
      await cache.getOrSet('k', async () => 'old');
      clock.advance(10_001);
      expect(await cache.getOrSet('k', async () => 'new')).to.equal('new');
    });

    it('waits up to softTimeout for a fresh value before answering stale', async () => {
      const cache = await started({ defaults: { ttl: '10s', grace: '1m', softTimeout: '20ms' } });
      await cache.getOrSet('k', async () => 'old');
      clock.advance(10_001);
      expect(await cache.getOrSet('k', async () => 'quick')).to.equal('quick');
      clock.advance(10_001);
      const slow = deferred<string>();
      expect(await cache.getOrSet('k', () => slow.promise)).to.equal('quick');
      // The method is not abandoned: its late result is stored.
      slow.resolve('late');
      await waitUntil(async () => (await cache.get('k')) === 'late');
    });

    it('rejects with CacheTimeoutError after hardTimeout and keeps the late result', async () => {
      const cache = await started({ defaults: { ttl: '10s', hardTimeout: '20ms' } });
      const slow = deferred<string>();
      const error = await cache.getOrSet('k', () => slow.promise).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(CacheTimeoutError);
      expect((error as CacheTimeoutError).code).to.equal('ERR_TIMEOUT');
      slow.resolve('late');
      await waitUntil(async () => (await cache.get('k')) === 'late');
    });
  });

  describe('early refresh', () => {
    it('refreshes before expiry with a probability drawn when the entry is stored', async () => {
      let draw = 0.01; // -ln(0.01) = 4.6: refresh 4.6 x the method's duration before expiry
      const cache = await started({ earlyRefresh: { beta: 1 }, random: () => draw, defaults: { ttl: '100s' } });
      let calls = 0;
      await cache.getOrSet('k', async () => {
        calls++;
        clock.advance(1_000); // the method "takes" one second
        return calls;
      });
      draw = 0.5;
      // Expiry is at 100 s after the store; the early time at about 100 - 4.6 = 95.4 s.
      clock.advance(95_000);
      expect(await cache.getOrSet('k', async () => ++calls)).to.equal(1);
      expect(calls).to.equal(1);
      clock.advance(1_000);
      expect(await cache.getOrSet('k', async () => ++calls)).to.equal(1);
      await waitUntil(() => calls === 2);
      await waitUntil(async () => (await cache.get('k')) === 2);
    });
  });

  describe('refreshContext', () => {
    it('gives the previous value and its validators, and keeps it on request', async () => {
      const cache = await started();
      expect(refreshContext()).to.equal(undefined);
      await cache.getOrSet('k', async () => {
        expect(refreshContext()?.previous).to.equal(undefined);
        refreshContext()?.setValidators({ etag: '"v1"', lastModified: new Date(1000) });
        return { body: 'one' };
      });
      clock.advance(10_001);
      const seen: unknown[] = [];
      const refreshed = deferred<void>();
      await cache.getOrSet('k', async () => {
        const ctx = refreshContext();
        seen.push(ctx?.previous);
        ctx?.keepPrevious(); // the upstream answered 304
        refreshed.resolve();
        return { body: 'ignored' };
      });
      await refreshed.promise;
      await waitUntil(async () => (await cache.get('k')) !== undefined);
      expect(seen).to.deep.equal([{ value: { body: 'one' }, etag: '"v1"', lastModified: new Date(1000) }]);
      expect(await cache.get('k')).to.deep.equal({ body: 'one' });
    });
  });

  describe('Redis keys', () => {
    it('gives every key a TTL of ttl + grace and keeps an entry and its key under one hash tag', async () => {
      const cache = await started({ defaults: { ttl: '10s', grace: '1m' } });
      await cache.getOrSet('Catalog.product:1', async () => 1);
      const raw = redis().client();
      const keys = await raw.keys(`${cache.options.namespace}:*`);
      expect(keys).to.deep.equal([`${cache.options.namespace}:1:0:{Catalog.product:1}`]);
      const pttl = await raw.pttl(keys[0]!);
      expect(pttl).to.be.within(69_000, 70_000);
    });

    it('shortens each ttl by up to ttlJitter, at random', async () => {
      const cache = await started({ ttlJitter: 0.1, random: () => 0.999, defaults: { ttl: '10s', grace: 0 } });
      let calls = 0;
      await cache.getOrSet('k', async () => ++calls);
      clock.advance(9_002); // 10 s x (1 - 0.1 x 0.999) = 9,001 ms
      expect(await cache.getOrSet('k', async () => ++calls)).to.equal(2);
    });
  });

  describe('with a client it was given', () => {
    it('uses it and never quits it', async () => {
      const client = redis().client();
      const cache = await started({ l2: { redis: client } });
      expect(await cache.ready()).to.deep.equal({ l2: 'connected', bus: 'connected' });
      await cache.set('k', 'v');
      await cache.close();
      expect(client.status).to.equal('ready');
      expect(await client.keys(`${cache.options.namespace}:*`)).to.have.length(1);
    });
  });

  describe('events and logger', () => {
    it('emits miss, set, hit, stale, invalidate and logs failures through a pino-style logger', async () => {
      const warnings: string[] = [];
      const logger = { debug() {}, info() {}, warn: (_: object, msg?: string) => void warnings.push(msg ?? ''), error() {} };
      const cache = await started({ logger });
      const seen: string[] = [];
      cache.on('miss', ({ key }) => seen.push(`miss ${key}`));
      cache.on('set', ({ key }) => seen.push(`set ${key}`));
      cache.on('hit', ({ key, tier }) => seen.push(`hit ${tier} ${key}`));
      cache.on('stale', ({ key }) => seen.push(`stale ${key}`));
      cache.on('invalidate', ({ reason }) => seen.push(`invalidate ${reason}`));
      await cache.getOrSet('k', async () => 1);
      await cache.getOrSet('k', async () => 1);
      clock.advance(10_001);
      await cache.getOrSet('k', async () => 2);
      await cache.delete('k');
      expect(seen.slice(0, 4)).to.deep.equal(['miss k', 'set k', 'hit l1 k', 'stale k']);
      expect(seen).to.include('invalidate delete');
      await cache.getOrSet('bad', async () => ({ fn: () => 1 }));
      expect(warnings.some((w) => w.includes('encode failed'))).to.equal(true);
    });
  });

  describe('set, get, delete and clear', () => {
    it('set is seen by another engine; delete and clear remove from L2', async () => {
      const a = await started();
      const b = await started({}, a.options.namespace);
      await a.set('x', 1);
      await a.set('y', 2);
      expect(await b.get('x')).to.equal(1);
      await a.delete('x');
      expect(await a.get('x')).to.equal(undefined);
      // A fresh engine (empty L1) sees what L2 holds: nothing for x.
      const c = await started({}, a.options.namespace);
      expect(await c.getOrSet('x', async () => 'recomputed')).to.equal('recomputed');
      await a.clear();
      expect(await a.get('y')).to.equal(undefined);
      const d = await started({}, a.options.namespace);
      expect(await d.get('y')).to.equal(undefined);
      expect(await a.get('x')).to.equal(undefined);
    });

    it('get returns stale values only with allowStale', async () => {
      const cache = await started();
      await cache.set('k', 'v');
      clock.advance(10_001);
      expect(await cache.get('k')).to.equal(undefined);
      expect(await cache.get('k', { allowStale: true })).to.equal('v');
    });

    it('a delete while the factory runs keeps its result out of the cache', async () => {
      const cache = await started();
      const slow = deferred<string>();
      const pending = cache.getOrSet('k', () => slow.promise);
      await waitUntil(() => cache.stats().factoryCalls === 1);
      await cache.delete('k');
      slow.resolve('read-before-delete');
      expect(await pending).to.equal('read-before-delete');
      expect(await cache.get('k')).to.equal(undefined);
    });
  });
});

/** Background work (a refresh) has no event of its own here: poll for its effect, bounded. */
function waitUntil(condition: () => boolean | Promise<boolean>): Promise<unknown> {
  return waitFor(async () => (await condition()) || undefined, { timeoutMs: 2_000, intervalMs: 5, what: 'the background refresh' });
}
