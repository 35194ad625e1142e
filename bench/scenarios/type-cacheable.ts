/**
 * @type-cacheable/core with its ioredis adapter on the same cases, set up as its README shows:
 * `useAdapter(new IoRedis(url))`, then `@Cacheable({ cacheKey, ttlSeconds })` on the method. One
 * tier (Redis): the adapter reads and writes Redis on every call, so there is no L1 case.
 *
 * `@Cacheable` is a legacy (`experimentalDecorators`) decorator and this project compiles
 * standard decorators, so it is applied as tsc's legacy output does: the method's descriptor in,
 * the decorated descriptor defined in its place. `cacheKey` is a function of the arguments, as
 * in the README's examples; the default would hash the arguments and the instance with MD5.
 */
import { Cacheable } from '@type-cacheable/core';
import { useAdapter } from '@type-cacheable/ioredis-adapter';
import { Redis } from 'ioredis';
import type { BenchCase } from '../harness.js';
import { IN_FLIGHT, KEYS, STRING_KEYS, inFlight, makeProduct, type Product } from '../workload.js';
import { L2_FLIGHT_GROUP, L2_SEQ_GROUP, RAW_FLIGHT_PIPELINED, RAW_SEQ } from './l2.js';
import { freshIds, MISS_FLOOR, MISS_GROUP, slowProduct } from './miss.js';
import type { SampleTimes, Scenario } from './scenario.js';

const TTL_SECONDS = 3600;

/** Applies a legacy method decorator to `prototype[name]`, as tsc's `__decorate` does. */
function decorate(prototype: object, name: string, decorator: (target: object, key: string, descriptor?: PropertyDescriptor) => PropertyDescriptor): void {
  const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
  Object.defineProperty(prototype, name, decorator(prototype, name, descriptor));
}

export async function typeCacheableScenario(redisUrl: string, times: SampleTimes): Promise<Scenario> {
  const client = new Redis(redisUrl);
  useAdapter(client);

  let factoryCalls = 0;
  let missRuns = 0;
  class Catalog {
    async product(id: number): Promise<Product> {
      factoryCalls++;
      return makeProduct(id);
    }

    async slow(id: number): Promise<Product> {
      missRuns++;
      return slowProduct(id);
    }
  }
  decorate(Catalog.prototype, 'product', Cacheable({ cacheKey: (args: unknown[]) => `bench-tc:${STRING_KEYS[args[0] as number]!}`, ttlSeconds: TTL_SECONDS }));
  decorate(Catalog.prototype, 'slow', Cacheable({ cacheKey: (args: unknown[]) => `bench-tc:miss:${args[0] as number}`, ttlSeconds: TTL_SECONDS }));
  const catalog = new Catalog();
  for (let i = 0; i < KEYS; i++) await catalog.product(i);
  const warm = factoryCalls;
  const ids = freshIds();

  const cases: BenchCase[] = [
    {
      group: L2_SEQ_GROUP,
      name: '@type-cacheable @Cacheable, L2 hit (ioredis adapter)',
      baseline: RAW_SEQ,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await catalog.product(i % KEYS);
      },
    },
    {
      group: L2_FLIGHT_GROUP,
      name: `@type-cacheable @Cacheable x${IN_FLIGHT}, L2 hit (ioredis adapter)`,
      baseline: RAW_FLIGHT_PIPELINED,
      sampleMs: times.l2,
      run: (ops) => inFlight(ops, IN_FLIGHT, (i) => catalog.product(i % KEYS)),
    },
    {
      group: MISS_GROUP,
      name: '@type-cacheable @Cacheable miss (Redis only)',
      baseline: MISS_FLOOR,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await catalog.slow(ids.next());
      },
    },
  ];

  return {
    cases,
    check: () => {
      if (factoryCalls !== warm || warm !== KEYS) throw new Error(`type-cacheable scenario: ${factoryCalls} method calls, expected ${KEYS} (the warm-up only)`);
      if (missRuns !== ids.used) throw new Error(`type-cacheable scenario: the miss method ran ${missRuns} times for ${ids.used} keys`);
    },
    close: async () => {
      await client.quit();
    },
  };
}
