/**
 * cache-manager v7 on the same cases, set up as its README shows: `createCache({ stores })` with
 * Keyv stores, each call `cache.wrap(key, fn, ttl)`. L1: an in-memory Keyv with its JSON
 * (de)serialisation turned off (`keyv.serialize = undefined`, as the README advises for objects;
 * it keeps the object itself, as tiercache's L1 does). L2: `new Keyv({ store: new KeyvRedis(url) })`
 * (@keyv/redis, which speaks to Redis through node-redis). The miss case uses both, L1 first.
 */
import KeyvRedis from '@keyv/redis';
import { createCache, type Cache } from 'cache-manager';
import { Keyv } from 'keyv';
import type { BenchCase } from '../harness.js';
import { IN_FLIGHT, KEYS, STRING_KEYS, inFlight, makeProduct, type Product } from '../workload.js';
import { FLOOR, L1_GROUP } from './l1.js';
import { L2_FLIGHT_GROUP, L2_SEQ_GROUP, RAW_FLIGHT_PIPELINED, RAW_SEQ } from './l2.js';
import { freshIds, MISS_FLOOR, MISS_GROUP, slowProduct } from './miss.js';
import type { SampleTimes, Scenario } from './scenario.js';

const TTL_MS = 3_600_000;

/** An in-memory Keyv that keeps values as they are. */
function memoryKeyv(): Keyv {
  const keyv = new Keyv();
  keyv.serialize = undefined;
  keyv.deserialize = undefined;
  return keyv;
}

function redisKeyv(redisUrl: string, namespace: string): Keyv {
  return new Keyv({ store: new KeyvRedis(redisUrl), namespace });
}

export async function cacheManagerScenario(redisUrl: string, times: SampleTimes): Promise<Scenario> {
  const local: Cache = createCache({ stores: [memoryKeyv()] });
  const remote: Cache = createCache({ stores: [redisKeyv(redisUrl, 'bench-cm')] });
  const tiered: Cache = createCache({ stores: [memoryKeyv(), redisKeyv(redisUrl, 'bench-cm-miss')] });

  let factoryCalls = 0;
  for (let i = 0; i < KEYS; i++) {
    const factory = (): Product => {
      factoryCalls++;
      return makeProduct(i);
    };
    await local.wrap(STRING_KEYS[i]!, factory, TTL_MS);
    await remote.wrap(STRING_KEYS[i]!, factory, TTL_MS);
  }
  const factory = (): Product => {
    factoryCalls++;
    return makeProduct(-1);
  };
  const ids = freshIds();
  let missRuns = 0;

  const cases: BenchCase[] = [
    {
      group: L1_GROUP,
      name: 'cache-manager wrap (in-memory Keyv)',
      baseline: FLOOR,
      sampleMs: times.l1,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await local.wrap(STRING_KEYS[i % KEYS]!, factory, TTL_MS);
      },
    },
    {
      group: L2_SEQ_GROUP,
      name: 'cache-manager wrap, L2 hit (@keyv/redis)',
      baseline: RAW_SEQ,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await remote.wrap(STRING_KEYS[i % KEYS]!, factory, TTL_MS);
      },
    },
    {
      group: L2_FLIGHT_GROUP,
      name: `cache-manager wrap x${IN_FLIGHT}, L2 hit (@keyv/redis)`,
      baseline: RAW_FLIGHT_PIPELINED,
      sampleMs: times.l2,
      run: (ops) => inFlight(ops, IN_FLIGHT, (i) => remote.wrap(STRING_KEYS[i % KEYS]!, factory, TTL_MS)),
    },
    {
      group: MISS_GROUP,
      name: 'cache-manager wrap miss (in-memory Keyv and @keyv/redis)',
      baseline: MISS_FLOOR,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) {
          const id = ids.next();
          await tiered.wrap(
            `miss:${id}`,
            () => {
              missRuns++;
              return slowProduct(id);
            },
            TTL_MS,
          );
        }
      },
    },
  ];

  return {
    cases,
    check: () => {
      if (factoryCalls !== 2 * KEYS) throw new Error(`cache-manager scenario: ${factoryCalls} factory calls, expected ${2 * KEYS} (the warm-up only)`);
      if (missRuns !== ids.used) throw new Error(`cache-manager scenario: the miss function ran ${missRuns} times for ${ids.used} keys`);
    },
    close: async () => {
      await Promise.all([local.disconnect(), remote.disconnect(), tiered.disconnect()]);
    },
  };
}
