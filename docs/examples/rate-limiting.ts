import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCache, peekRateLimit, RateLimited, RateLimitError, runWithContext, type CacheEngine } from '../../lib/index.js';

let cache: CacheEngine;

class SearchService {
  runs = 0;

  // 5 searches per user, refilled over a minute (one every 12 s); a burst of up to 5.
  @RateLimited({ cache: () => cache, limit: 5, window: '1m', key: (userId: string) => userId })
  async search(userId: string, query: string): Promise<string[]> {
    this.runs++;
    return [`${query} for ${userId}`];
  }

  // No `key`: the request's client inside runWithContext, else one bucket for the method.
  // A large export costs 3 of the 10 units per hour.
  @RateLimited({ cache: () => cache, limit: 10, window: '1h', cost: (rows: number) => (rows > 1_000 ? 3 : 1), name: 'export' })
  async export(rows: number): Promise<number> {
    return rows;
  }
}

export async function main(): Promise<void> {
  const redisUrl = process.env['REDIS_URL'];
  cache = createCache({
    namespace: `ratelimit-${Date.now().toString(36)}`, // unique per run, so runs never share buckets
    l2: redisUrl ? { redis: redisUrl } : false, // without Redis, the in-process limiter decides
    bus: false,
  });
  try {
    await cache.ready();
    const service = new SearchService();
    for (let i = 0; i < 5; i++) await service.search('ada', 'lamps');

    // The 6th call within the minute: the method is not called.
    const error = await service.search('ada', 'lamps').catch((e: unknown) => e);
    assert.ok(error instanceof RateLimitError);
    console.log(error.message); // rate limit "search" exceeded: retry in 11996 ms
    assert.equal(error.code, 'ERR_RATE_LIMITED');
    assert.equal(error.limit, 5);
    assert.equal(error.remaining, 0);
    assert.ok(error.retryAfterMs > 11_000 && error.retryAfterMs <= 12_000); // one token: 1m / 5
    assert.ok(error.resetMs > 59_000 && error.resetMs <= 60_000); // until the bucket is full again
    assert.deepEqual(error.policy, { name: 'search', limit: 5, windowMs: 60_000 });
    assert.equal(service.runs, 5);

    // peekRateLimit reads a bucket without consuming: Ada's is empty, Grace's untouched.
    const ada = await peekRateLimit(service.search, 'ada', 'lamps');
    const grace = await peekRateLimit(service.search, 'grace', 'lamps');
    console.log(ada); // { allowed: false, limit: 5, remaining: 0, resetMs: ..., retryAfterMs: ..., policy, source }
    assert.equal(ada.allowed, false);
    assert.equal(grace.allowed, true);
    assert.equal(grace.remaining, 5);
    assert.equal(grace.source, redisUrl ? 'redis' : 'local'); // 'redis': shared by every replica

    // Inside a request, the client is the bucket (the Koa middleware sets ctx.ip).
    await runWithContext({ clientId: '203.0.113.7' }, async () => {
      assert.equal(await service.export(5_000), 5_000); // costs 3
      assert.equal(await service.export(5_000), 5_000);
      assert.equal(await service.export(5_000), 5_000); // 9 of 10 used
      const refused = await service.export(5_000).catch((e: unknown) => e);
      assert.ok(refused instanceof RateLimitError);
      assert.equal(refused.remaining, 1);
      assert.equal(await service.export(10), 10); // a small one still fits
    });
    // Another client, and calls outside any request (one bucket shared by all of them), are apart.
    await runWithContext({ clientId: '198.51.100.2' }, () => service.export(5_000));
    assert.equal(await service.export(5_000), 5_000);
  } finally {
    await cache.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
