import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Cached, createCache, type CacheEngine } from '../../lib/index.js';
import { FakeClock } from '../../lib/testing/index.js';

/** The database: one expensive query, counted across every replica. */
const database = {
  queries: 0,
  async dailyReport(): Promise<string> {
    const n = ++this.queries;
    await new Promise((resolve) => setTimeout(resolve, 50)); // 50 ms
    return `report #${n}`;
  },
};

/** The service as each replica builds it, on its own engine (one engine per process in production). */
function reportsOn(cache: CacheEngine) {
  class Reports {
    @Cached({ cache, ttl: '10s', grace: '1h' })
    async daily(): Promise<string> {
      return database.dailyReport();
    }
  }
  return new Reports();
}

export async function main(): Promise<void> {
  database.queries = 0;
  const redisUrl = process.env['REDIS_URL'];
  const namespace = `stampede-${Date.now().toString(36)}`;
  const clock = new FakeClock(); // shared by both "replicas", to expire the entry without waiting
  const replica = (): CacheEngine =>
    createCache({ namespace, l2: redisUrl ? { redis: redisUrl } : false, clock, earlyRefresh: false, ttlJitter: 0 });
  const a = replica();
  const b = redisUrl ? replica() : undefined;
  try {
    await Promise.all([a.ready(), b?.ready()]);
    const fromA = reportsOn(a);
    const fromB = b === undefined ? undefined : reportsOn(b);

    // A cold key, 100 callers on each replica at once: the method runs once in all.
    const calls = [fromA, fromB].flatMap((reports) => (reports === undefined ? [] : Array.from({ length: 100 }, () => reports.daily())));
    const results = await Promise.all(calls);
    assert.deepEqual(new Set(results), new Set(['report #1']));
    assert.equal(database.queries, 1);
    const stats = [a, b].map((cache) => cache?.stats());
    const coalesced = stats.reduce((sum, s) => sum + (s?.coalesced ?? 0), 0);
    const lockWaits = stats.reduce((sum, s) => sum + (s?.lockWaits ?? 0), 0);
    console.log({ calls: calls.length, runs: database.queries, coalesced, lockWaits });
    assert.equal(coalesced, calls.length - (b === undefined ? 1 : 2)); // single-flight: one load per process...
    assert.equal(lockWaits, b === undefined ? 0 : 1); // ...and the lock: one process runs it, the other waits

    if (b !== undefined && fromB !== undefined && redisUrl !== undefined) {
      // Past ttl, within grace: both replicas serve the stale report at once and ONE refreshes it.
      clock.advance('11s');
      assert.equal(await fromA.daily(), 'report #1'); // stale; a's refresh takes the lock
      assert.equal(await fromB.daily(), 'report #1'); // stale; b's refresh finds the lock taken and waits in the background
      const deadline = Date.now() + 2_000;
      while ((await fromB.daily()) !== 'report #2') {
        assert.ok(Date.now() < deadline, 'b never saw the refreshed report');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(database.queries, 2); // b took a's result from Redis instead of running the method

      // A replica died holding a lock (here, written by hand): the others wait at most lockTimeout,
      // then run the method themselves.
      const raw = new Redis(redisUrl);
      await raw.set(`${namespace}:1:0:{orphan}:lock`, 'a-replica-that-died', 'PX', 300);
      raw.disconnect();
      const started = Date.now();
      const value = await b.getOrSet('orphan', async () => 'taken over', { lockTimeout: '300ms' });
      assert.equal(value, 'taken over');
      console.log(`waited ${Date.now() - started} ms for a dead lock holder (lockTimeout 300 ms)`);
      assert.ok(Date.now() - started >= 250);
    }
  } finally {
    await Promise.all([a.close(), b?.close()]);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
