import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Cached, CacheTimeoutError, createCache, refreshContext, type CacheEngine } from '../../lib/index.js';
import { FakeClock } from '../../lib/testing/index.js';

interface Rates {
  eur: number;
}

/** An upstream HTTP API that answers 304 to a matching If-None-Match. */
class Upstream {
  version = 1;
  requests = 0;

  async get(ifNoneMatch: string | undefined): Promise<{ status: 200 | 304; etag: string; body?: Rates }> {
    this.requests++;
    const etag = `"v${this.version}"`;
    return ifNoneMatch === etag ? { status: 304, etag } : { status: 200, etag, body: { eur: 1 + this.version / 100 } };
  }
}

let cache: CacheEngine;

class RatesService {
  constructor(readonly upstream: Upstream) {}

  failing = false;

  @Cached({ cache: () => cache, ttl: '10s', grace: '1h' })
  async current(): Promise<Rates> {
    const ctx = refreshContext<Rates>(); // first, before any await: after one it is undefined
    if (this.failing) throw new Error('upstream down');
    const response = await this.upstream.get(ctx?.previous?.etag);
    if (response.status === 304 && ctx?.previous !== undefined) {
      ctx.keepPrevious(); // store the previous value afresh, with a new ttl
      return ctx.previous.value;
    }
    ctx?.setValidators({ etag: response.etag }); // kept with the entry for the next refresh
    return response.body!;
  }

  @Cached({ cache: () => cache, ttl: '10s', hardTimeout: '50ms' })
  async report(): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return 'report';
  }
}

/** Resolves once the next store (a background refresh) has finished. */
function nextStore(): Promise<void> {
  return new Promise((resolve) => cache.once('set', () => setImmediate(resolve)));
}

export async function main(): Promise<void> {
  const clock = new FakeClock(); // the entry's timeline without waiting; the system clock by default
  const redisUrl = process.env['REDIS_URL'];
  cache = createCache({
    namespace: `swr-${Date.now().toString(36)}`,
    l2: redisUrl ? { redis: redisUrl } : false,
    clock,
    earlyRefresh: false, // on by default; off here so the timeline below is exact
    ttlJitter: 0, // idem
  });
  try {
    await cache.ready();
    const upstream = new Upstream();
    const rates = new RatesService(upstream);
    assert.deepEqual(await rates.current(), { eur: 1.01 }); // miss: upstream 200
    clock.advance(9_000);
    await rates.current(); // fresh: no request
    assert.equal(upstream.requests, 1);

    // Past ttl, within grace: the stale value at once, one refresh in the background.
    clock.advance(2_000);
    let stored = nextStore();
    assert.deepEqual(await rates.current(), { eur: 1.01 });
    await stored; // upstream answered 304: the previous value was kept, fresh for another ttl
    assert.equal(upstream.requests, 2);

    // The upstream changes; after the next expiry the refresh brings the new value.
    upstream.version = 2;
    clock.advance(11_000);
    stored = nextStore();
    assert.deepEqual(await rates.current(), { eur: 1.01 }); // stale, while the refresh runs
    await stored;
    assert.deepEqual(await rates.current(), { eur: 1.02 });

    // Stale-if-error: the refresh throws, callers still get the stale value; the error is an event.
    rates.failing = true;
    clock.advance(11_000);
    const failed = new Promise<Error>((resolve) => cache.once('error', (error) => resolve(error)));
    assert.deepEqual(await rates.current(), { eur: 1.02 });
    console.log('refresh failed, stale value served:', (await failed).message);
    rates.failing = false;

    // softTimeout: with a stale value at hand, wait that long for the refresh, then answer stale.
    const quote = { ttl: '10s', softTimeout: '20ms' } as const;
    await cache.getOrSet('quote', async () => 'v1', quote);
    clock.advance(11_000);
    assert.equal(await cache.getOrSet('quote', async () => 'v2', quote), 'v2'); // in time: the new value
    clock.advance(11_000);
    const slow = async (): Promise<string> => new Promise((resolve) => setTimeout(() => resolve('v3'), 100));
    assert.equal(await cache.getOrSet('quote', slow, quote), 'v2'); // too slow: stale after 20 ms, v3 stored later

    // refreshContext() belongs to the synchronous start of the method: after an await it is gone.
    const late = await cache.getOrSet('late', async () => {
      await Promise.resolve();
      return refreshContext() === undefined;
    });
    assert.equal(late, true);

    // hardTimeout: no stale value at hand, the method is too slow: CacheTimeoutError.
    await assert.rejects(rates.report(), CacheTimeoutError);
  } finally {
    await cache.close(); // waits for the late report() to finish and be stored
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
