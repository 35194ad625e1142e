/**
 * async-cache-dedupe on the same cases, set up as its README shows:
 * `createCache({ ttl, storage }).define(name, fn)`, each call `cache[name](arg)`. Its storages are
 * one tier each: `memory` (an LRU per function) for the L1 cases (untagged, and with 3 references,
 * its tags, with invalidation on), `redis` (an ioredis client) for the L2 cases and the miss.
 */
import { createCache } from 'async-cache-dedupe';
import { Redis } from 'ioredis';
import type { BenchCase } from '../harness.js';
import { IN_FLIGHT, KEYS, inFlight, makeProduct, type Product } from '../workload.js';
import { FLOOR, L1_GROUP } from './l1.js';
import { L2_FLIGHT_GROUP, L2_SEQ_GROUP, RAW_FLIGHT_PIPELINED, RAW_SEQ } from './l2.js';
import { freshIds, MISS_FLOOR, MISS_GROUP, slowProduct } from './miss.js';
import type { SampleTimes, Scenario } from './scenario.js';

const TTL_SECONDS = 3600;

export async function asyncCacheDedupeScenario(redisUrl: string, times: SampleTimes): Promise<Scenario> {
  let factoryCalls = 0;
  let missRuns = 0;
  const product = async (id: number): Promise<Product> => {
    factoryCalls++;
    return makeProduct(id);
  };
  const local = createCache({ ttl: TTL_SECONDS, storage: { type: 'memory', options: { size: 10_000 } } }).define('product', product);
  const tagged = createCache({ ttl: TTL_SECONDS, storage: { type: 'memory', options: { size: 10_000, invalidation: true } } }).define(
    'product',
    { references: (id: number) => [`product:${id}`, 'products', 'catalog'] },
    product,
  );
  const client = new Redis(redisUrl);
  const remote = createCache({ ttl: TTL_SECONDS, storage: { type: 'redis', options: { client } } })
    .define('product', product)
    .define('slow', async (id: number) => {
      missRuns++;
      return slowProduct(id);
    });

  for (let i = 0; i < KEYS; i++) {
    await local.product(i);
    await tagged.product(i);
    await remote.product(i);
  }
  const warm = factoryCalls;
  const ids = freshIds();

  const cases: BenchCase[] = [
    {
      group: L1_GROUP,
      name: 'async-cache-dedupe (memory storage)',
      baseline: FLOOR,
      sampleMs: times.l1,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await local.product(i % KEYS);
      },
    },
    {
      group: L1_GROUP,
      name: 'async-cache-dedupe, 3 references (memory, invalidation on)',
      baseline: FLOOR,
      sampleMs: times.l1,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await tagged.product(i % KEYS);
      },
    },
    {
      group: L2_SEQ_GROUP,
      name: 'async-cache-dedupe, L2 hit (redis storage)',
      baseline: RAW_SEQ,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await remote.product(i % KEYS);
      },
    },
    {
      group: L2_FLIGHT_GROUP,
      name: `async-cache-dedupe x${IN_FLIGHT}, L2 hit (redis storage)`,
      baseline: RAW_FLIGHT_PIPELINED,
      sampleMs: times.l2,
      run: (ops) => inFlight(ops, IN_FLIGHT, (i) => remote.product(i % KEYS)),
    },
    {
      group: MISS_GROUP,
      name: 'async-cache-dedupe miss (redis storage)',
      baseline: MISS_FLOOR,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await remote.slow(ids.next());
      },
    },
  ];

  return {
    cases,
    check: () => {
      if (factoryCalls !== warm || warm !== 3 * KEYS) throw new Error(`async-cache-dedupe scenario: ${factoryCalls} calls of the function, expected ${3 * KEYS} (the warm-up only)`);
      if (missRuns !== ids.used) throw new Error(`async-cache-dedupe scenario: the miss function ran ${missRuns} times for ${ids.used} keys`);
    },
    close: async () => {
      await client.quit();
    },
  };
}
