/**
 * BentoCache, the closest peer, on the same cases: `getOrSet` L1 hit (memory driver) and L2 hit
 * (Redis driver only, sequential and 100 in flight), same keys and value.
 */
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import type { BenchCase } from '../harness.js';
import { IN_FLIGHT, KEYS, STRING_KEYS, inFlight, makeProduct, type Product } from '../workload.js';
import { FLOOR, L1_GROUP } from './l1.js';
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

  let factoryCalls = 0;
  for (let i = 0; i < KEYS; i++) {
    const factory = (): Product => {
      factoryCalls++;
      return makeProduct(i);
    };
    await local.getOrSet({ key: STRING_KEYS[i]!, factory });
    await remote.getOrSet({ key: STRING_KEYS[i]!, factory });
  }
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
  ];

  return {
    cases,
    check: () => {
      if (factoryCalls !== 2 * KEYS) throw new Error(`BentoCache scenario: ${factoryCalls} factory calls, expected ${2 * KEYS} (the warm-up only)`);
    },
    close: async () => {
      await Promise.all([local.disconnectAll(), remote.disconnectAll()]);
    },
  };
}
