import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Cached, InvalidatesTags, RateLimited, RateLimitError, type CacheEngine } from '../../lib/index.js';
import { createTestCache, expectCalls, FakeClock, MemoryRedisServer } from '../../lib/testing/index.js';

/** The database the service reads, counted: a test tells a cache hit from a query by the count. */
const db = {
  queries: 0,
  names: new Map<number, string>(),
  reset(): void {
    this.queries = 0;
    this.names = new Map([[1, 'Lamp'], [2, 'Desk']]);
  },
  async find(id: number): Promise<{ id: number; name: string }> {
    this.queries++;
    return { id, name: this.names.get(id) ?? '?' };
  },
};

/** The service under test, on the engine it is given (one per replica). */
function catalogOn(cache: CacheEngine) {
  class Catalog {
    @Cached({ cache, ttl: '1m', grace: '10m', tags: (id: number) => [`product:${id}`] })
    async product(id: number): Promise<{ id: number; name: string }> {
      return db.find(id);
    }

    @InvalidatesTags((id: number) => [`product:${id}`], { cache })
    async rename(id: number, name: string): Promise<void> {
      db.names.set(id, name);
    }

    @RateLimited({ cache, limit: 3, window: '1m', algorithm: 'fixed-window' })
    async exportAll(): Promise<number> {
      return db.names.size;
    }
  }
  return new Catalog();
}

export async function main(): Promise<void> {
  db.reset();

  // 1. One engine, L1 only, its time on a FakeClock: ttl and grace without sleeping.
  const clock = new FakeClock();
  const cache = await createTestCache({ clock });
  try {
    const catalog = catalogOn(cache);
    await catalog.product(1); // miss: one query
    await catalog.product(1); // L1 hit
    expectCalls(cache, { method: 'Catalog.product', misses: 1, hits: 1, factoryCalls: 1 });
    clock.advance('61s'); // past ttl, within grace
    assert.deepEqual(await catalog.product(1), { id: 1, name: 'Lamp' }); // stale, at once
    expectCalls(cache, { method: 'Catalog.product', stale: 1 });
  } finally {
    await cache.close();
  }

  // 2. Two replicas on one in-memory Redis: L2, the bus, the lock, tags and rate limits, no server.
  const server = new MemoryRedisServer({ clock }); // L2 keys and rate-limit windows follow the fake clock too
  const a = await createTestCache({ server, clock });
  const b = await createTestCache({ server, clock });
  try {
    const onA = catalogOn(a);
    const onB = catalogOn(b);
    db.queries = 0;
    await onA.product(2); // miss on a: one query, stored in L2
    await onB.product(2); // L2 hit on b: no query
    expectCalls(b, { method: 'Catalog.product', l2Hits: 1, factoryCalls: 0 });
    assert.equal(db.queries, 1);

    // An invalidation on a reaches b through the bus: wait for the event, never sleep.
    const heard = new Promise((resolve) => b.once('invalidate', resolve));
    await onA.rename(2, 'Standing desk');
    await heard;
    assert.equal((await onB.product(2)).name, 'Standing desk');

    // One limit for both replicas: 3 calls a minute in all.
    await onA.exportAll();
    await onB.exportAll();
    await onA.exportAll();
    await assert.rejects(onB.exportAll(), RateLimitError);
    clock.advance('1m'); // the next window, on the server's clock
    assert.equal(await onB.exportAll(), 2);

    // Failure paths: with the server killed, calls still answer (from the method), then it comes back.
    server.kill();
    assert.deepEqual(await onB.product(1), { id: 1, name: 'Lamp' });
    server.restart();
    assert.deepEqual(await b.ready(), { l2: 'connected', bus: 'connected' });
    console.log({ queries: db.queries, stats: b.stats().methods['Catalog.product'] });
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
