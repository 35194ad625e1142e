/**
 * BentoCache, the closest peer, on the same cases: `getOrSet` L1 hit (memory driver; untagged and
 * with 3 tags), L2 hit (Redis driver only, sequential and 100 in flight), and a miss with the
 * 1 ms method on a store with both layers, same keys and value.
 */
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import type { BenchCase } from '../harness.js';
import { IN_FLIGHT, KEYS, STRING_KEYS, inFlight, makeProduct, type Product } from '../workload.js';
import { FLOOR, L1_GROUP } from './l1.js';
import { freshIds, MISS_FLOOR, MISS_GROUP, slowProduct } from './miss.js';
import { L2_FLIGHT_GROUP, L2_SEQ_GROUP, RAW_FLIGHT_PIPELINED, RAW_SEQ } from './l2.js';
import type { SampleTimes, Scenario } from './scenario.js';

export async function bentoScenario(redisUrl: string, times: SampleTimes): Promise<Scenario> {
  const { hostname, port } = new URL(redisUrl);
  // `serialize: false` keeps the object itself in memory, as tiercache's L1 does: with the
  // default (true) every hit would also pay a JSON.parse.
  const local = new BentoCache({
    default: 'cache',
    ttl: '1h',
    stores: { cache: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000, serialize: false })) },
  });
  // Given the same client options as the connection tiercache opens for itself (auto-pipelining).
  const remote = new BentoCache({
    default: 'cache',
    ttl: '1h',
    stores: { cache: bentostore().useL2Layer(redisDriver({ connection: { host: hostname, port: Number(port), enableAutoPipelining: true } })) },
  });

  // Both layers, as an application would deploy it (L1 in front of Redis), for the miss case.
  const tiered = new BentoCache({
    default: 'cache',
    ttl: '1h',
    stores: {
      cache: bentostore()
        .useL1Layer(memoryDriver({ maxItems: 10_000, serialize: false }))
        .useL2Layer(redisDriver({ connection: { host: hostname, port: Number(port), enableAutoPipelining: true } })),
    },
  });
  const tagsOf = (i: number): string[] => [`product:${i}`, 'products', 'catalog'];

  let factoryCalls = 0;
  for (let i = 0; i < KEYS; i++) {
    const factory = (): Product => {
      factoryCalls++;
      return makeProduct(i);
    };
    await local.getOrSet({ key: STRING_KEYS[i]!, factory });
    await local.getOrSet({ key: `tagged:${STRING_KEYS[i]!}`, factory, tags: tagsOf(i) });
    await remote.getOrSet({ key: STRING_KEYS[i]!, factory });
  }
  const TAGGED_KEYS = STRING_KEYS.map((key) => `tagged:${key}`);
  const TAGS = STRING_KEYS.map((_, i) => tagsOf(i));
  const ids = freshIds();
  let missRuns = 0;
  const factory = (): Product => {
    factoryCalls++;
    return makeProduct(-1);
  };

  const cases: BenchCase[] = [
    {
      group: L1_GROUP,
      name: 'BentoCache getOrSet (memory driver)',
      baseline: FLOOR,
      sampleMs: times.l1,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await local.getOrSet({ key: STRING_KEYS[i % KEYS]!, factory });
      },
    },
    {
      group: L1_GROUP,
      name: 'BentoCache getOrSet, 3 tags (memory driver)',
      baseline: FLOOR,
      sampleMs: times.l1,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await local.getOrSet({ key: TAGGED_KEYS[i % KEYS]!, factory, tags: TAGS[i % KEYS]! });
      },
    },
    {
      group: L2_SEQ_GROUP,
      name: 'BentoCache getOrSet, L2 hit',
      baseline: RAW_SEQ,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await remote.getOrSet({ key: STRING_KEYS[i % KEYS]!, factory });
      },
    },
    {
      group: L2_FLIGHT_GROUP,
      name: `BentoCache getOrSet x${IN_FLIGHT}, L2 hit`,
      baseline: RAW_FLIGHT_PIPELINED,
      sampleMs: times.l2,
      run: (ops) => inFlight(ops, IN_FLIGHT, (i) => remote.getOrSet({ key: STRING_KEYS[i % KEYS]!, factory })),
    },
    {
      group: MISS_GROUP,
      name: 'BentoCache getOrSet miss (L1 and L2)',
      baseline: MISS_FLOOR,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) {
          const id = ids.next();
          await tiered.getOrSet({
            key: `miss:${id}`,
            factory: () => {
              missRuns++;
              return slowProduct(id);
            },
          });
        }
      },
    },
  ];

  return {
    cases,
    check: () => {
      if (factoryCalls !== 3 * KEYS) throw new Error(`BentoCache scenario: ${factoryCalls} factory calls, expected ${3 * KEYS} (the warm-up only)`);
      if (missRuns !== ids.used) throw new Error(`BentoCache scenario: the miss factory ran ${missRuns} times for ${ids.used} keys`);
    },
    close: async () => {
      await Promise.all([local.disconnectAll(), remote.disconnectAll(), tiered.disconnectAll()]);
    },
  };
}
