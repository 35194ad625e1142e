import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createCache, type CacheEngine, type CacheEvents } from '../../lib/index.js';

/** Resolves with the next `invalidate` event heard from another replica. */
function nextRemoteInvalidation(cache: CacheEngine): Promise<CacheEvents['invalidate'][0]> {
  return new Promise((resolve) => {
    const listener = (event: CacheEvents['invalidate'][0]): void => {
      if (!event.remote) return;
      cache.off('invalidate', listener);
      resolve(event);
    };
    cache.on('invalidate', listener);
  });
}

export async function main(): Promise<void> {
  const redisUrl = process.env['REDIS_URL'];
  const namespace = `replicas-${Date.now().toString(36)}`;
  // Two engines on one Redis stand for two replicas (two processes in production). Without
  // Redis there is one engine, and its invalidations act on its own L1 only.
  const replica = (): CacheEngine => createCache({ namespace, l2: redisUrl ? { redis: redisUrl } : false });
  const a = replica();
  const b = redisUrl ? replica() : undefined;
  // Listens to the bus as a third party would, to show what travels on it.
  const spy = redisUrl ? new Redis(redisUrl) : undefined;
  const heardOnBus: Record<string, unknown>[] = [];
  try {
    // At start-up: until the bus is up, L1 is not trusted (maxStaleness 0), so wait for it.
    const state = await a.ready();
    assert.deepEqual(state, redisUrl ? { l2: 'connected', bus: 'connected' } : { l2: 'disabled', bus: 'disabled' });
    await b?.ready();
    let invalidationsSeen = (): void => {};
    const threeInvalidations = new Promise<void>((resolve) => (invalidationsSeen = resolve));
    if (spy !== undefined) {
      await spy.subscribe(`${namespace}:bus`);
      spy.on('message', (_channel: string, text: string) => {
        const message = JSON.parse(text) as Record<string, unknown>;
        heardOnBus.push(message);
        if (heardOnBus.filter((m) => m['t'] === 'tags' || m['t'] === 'keys').length === 3) invalidationsSeen();
      });
    }

    let price = 10;
    const load = (cache: CacheEngine): Promise<number> => cache.getOrSet('price:1', async () => price, { tags: ['product:1'] });
    assert.equal(await load(a), 10); // a runs the factory
    if (b !== undefined) assert.equal(await load(b), 10); // b: an L2 hit, then in its own L1

    // The price changes. When invalidateTags resolves, a never returns the old price again...
    price = 12;
    const heard = b === undefined ? undefined : nextRemoteInvalidation(b);
    const sent = performance.now();
    await a.invalidateTags(['product:1']);
    assert.equal(await load(a), 12);
    // ...and b drops it as soon as the message arrives (within 50 ms while connected).
    if (b !== undefined) {
      assert.deepEqual(await heard, { tags: ['product:1'], reason: 'tags', remote: true });
      console.log(`b heard the invalidation after ${(performance.now() - sent).toFixed(2)} ms`);
      assert.equal(await load(b), 12);
    }

    // set and delete tell the other replicas too: they drop their copy and read the new one from L2.
    await a.set('banner', 'summer sale');
    if (b !== undefined) assert.equal(await b.get('banner'), 'summer sale');
    const dropped = b === undefined ? undefined : nextRemoteInvalidation(b);
    await a.set('banner', 'autumn sale');
    assert.equal(await a.get('banner'), 'autumn sale');
    if (b !== undefined) {
      await dropped;
      assert.equal(await b.get('banner'), 'autumn sale');
    }

    if (spy !== undefined) {
      await threeInvalidations;
      // 'beat': each replica's heartbeat (4 a second); 'fill': a lock holder stored a key (see
      // stampede-protection.md); 'tags' and 'keys': a's invalidations, in the order a made them.
      const invalidations = heardOnBus.filter((m) => m['t'] === 'tags' || m['t'] === 'keys');
      assert.deepEqual(
        invalidations.map(({ t, g, k }) => `${String(t)} ${String(g ?? k)}`),
        ['tags product:1', 'keys banner', 'keys banner'],
      );
      // Every message names its sender (i) and carries keys, tags and versions, never a value.
      assert.ok(heardOnBus.every((m) => typeof m['i'] === 'string' && Object.keys(m).every((field) => ['i', 't', 'k', 'g', 'v', 'n'].includes(field))));
      assert.ok(!/summer sale|autumn sale/.test(JSON.stringify(heardOnBus)));
      console.log('on the bus:', invalidations);
    }

    const bus = a.stats().bus; // in/out count messages, not heartbeats
    console.log('a.stats().bus:', bus);
    assert.equal(bus.state, redisUrl ? 'connected' : 'disabled');
    assert.equal(bus.queued, 0); // nothing waiting for Redis to come back
  } finally {
    spy?.disconnect();
    await Promise.all([a.close(), b?.close()]);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
