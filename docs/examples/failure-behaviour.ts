import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Cached, createCache, type CacheEngine, type Logger } from '../../lib/index.js';

let cache: CacheEngine;

class Inventory {
  queries = 0;

  @Cached({ cache: () => cache, ttl: '30s' })
  async count(sku: string): Promise<number> {
    this.queries++;
    return sku.length;
  }
}

/** A pino-compatible logger; pass `pino()` itself in a real service. */
const logged: string[] = [];
const logger: Logger = {
  debug: () => {},
  info: (_obj, msg) => logged.push(`info: ${msg}`),
  warn: (_obj, msg) => logged.push(`warn: ${msg}`),
  error: (_obj, msg) => logged.push(`error: ${msg}`),
};

/** A port on which nothing listens: Redis is "down" from the start. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function main(): Promise<void> {
  // Redis is down: the point of this example. (REDIS_URL is not used here.)
  cache = createCache({
    namespace: `faults-${Date.now().toString(36)}`,
    l2: { redis: `redis://127.0.0.1:${await closedPort()}` },
    defaults: { redisTimeout: '100ms' }, // the longest a call waits for Redis
    // Without the bus, other replicas' invalidations cannot be heard: L1 is trusted this long, then
    // bypassed until the bus is back. The default, 0, bypasses it at once (slower, never stale).
    maxStaleness: '1m',
    breaker: { threshold: 3, cooldown: '1s', maxCooldown: '30s' }, // the defaults
    logger,
  });
  const errors: string[] = [];
  cache.on('error', (error, context) => errors.push(`${context.operation}: ${error.message}`));
  try {
    // ready() never rejects for a down Redis: it says what it found within redisTimeout.
    assert.deepEqual(await cache.ready(), { l2: 'unavailable', bus: 'unavailable' });

    // Callers still get answers: from the method, then from L1.
    const inventory = new Inventory();
    const started = Date.now();
    assert.equal(await inventory.count('abc'), 3);
    assert.equal(await inventory.count('abc'), 3);
    assert.equal(inventory.queries, 1);
    assert.ok(Date.now() - started < 100 + 100, 'no call waits longer than redisTimeout');

    const { l2 } = cache.stats();
    console.log('L2:', l2); // { state: 'unavailable', breaker: 'open' }
    console.log('error events:', errors.slice(0, 2));
    console.log('logged:', logged.slice(0, 2));
    assert.ok(errors.length > 0);
  } finally {
    await cache.close(); // disconnects the client it opened; a client you pass is never quit
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
