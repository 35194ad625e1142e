import type { CacheEngine } from '../engine/cache-engine.js';
import { createCache } from '../engine/default-cache.js';
import type { CacheOptions } from '../engine/options.js';
import type { MemoryRedisServer } from './memory-redis-server.js';

/** Options of {@link createTestCache}: any of `createCache`'s, and a server to use as L2. */
export interface TestCacheOptions extends Partial<CacheOptions> {
  /** L2 and the bus on this in-memory server (a new client each time), unless `l2` is given. @default none: L1 only */
  server?: MemoryRedisServer;
}

/**
 * `createCache` with the settings a unit test wants, then `ready()`: namespace `'test'`, no early
 * refresh and no TTL jitter (both random: they would make counts of method calls vary), and L2
 * plus the bus on `server` if one is given. Close it after the test (`await cache.close()`).
 *
 * @example
 * ```ts
 * const server = new MemoryRedisServer();
 * const clock = new FakeClock();
 * const replicaA = await createTestCache({ server, clock });
 * const replicaB = await createTestCache({ server, clock });
 * ```
 */
export async function createTestCache(options: TestCacheOptions = {}): Promise<CacheEngine> {
  const { server, ...rest } = options;
  const cache = createCache({
    namespace: 'test',
    earlyRefresh: false,
    ttlJitter: 0,
    ...(server === undefined ? {} : { l2: server.l2() }),
    ...rest,
  });
  await cache.ready();
  return cache;
}
