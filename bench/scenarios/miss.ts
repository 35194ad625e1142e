/**
 * Misses: every call asks for a key never asked before, so the method runs (it takes 1 ms, a
 * `setTimeout` of 1 ms), and the result is stored. The floor is the bare `await` of that method;
 * tiercache runs it behind `@Cached` on an engine with L1, L2 and the bus (its defaults), so a
 * miss also pays the L2 read, the lock and the L2 write.
 */
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cached, createCache } from '../../lib/index.js';
import type { BenchCase } from '../harness.js';
import { makeProduct, type Product } from '../workload.js';
import type { SampleTimes, Scenario } from './scenario.js';

export const MISS_GROUP = 'Miss: a new key each call, 1 ms method, sequential';
export const MISS_FLOOR = 'floor: await of the 1 ms method';
/** How long the method takes. */
export const METHOD_MS = 1;

/** The method every miss case runs: 1 ms, then a product. */
export async function slowProduct(id: number): Promise<Product> {
  await sleep(METHOD_MS);
  return makeProduct(id);
}

/**
 * Fresh keys for one case: `next()` is a number no call of that case has used (each case counts
 * on its own, in its own namespace or key prefix).
 */
export function freshIds(): { next: () => number; readonly used: number } {
  let n = 0;
  return {
    next: () => n++,
    get used() {
      return n;
    },
  };
}

export async function missScenario(redisUrl: string, times: SampleTimes): Promise<Scenario> {
  const cache = createCache({ namespace: 'bench-miss', l2: { redis: redisUrl }, defaults: { ttl: '1h' } });
  const state = await cache.ready();
  if (state.l2 !== 'connected') throw new Error(`miss scenario: Redis at ${redisUrl} is ${state.l2}`);
  // A Redis reply later than the engine's redisTimeout (250 ms) is reported as an error event:
  // on a loaded 2-core machine a process can be off the CPU that long. Those are counted and
  // printed; any other error fails the check.
  const errors: string[] = [];
  let timeouts = 0;
  cache.on('error', (error: unknown) => {
    const text = error instanceof Error ? error.message : String(error);
    if (/did not answer .* within \d+ ms/.test(text)) timeouts++;
    else if (errors.length < 5) errors.push(text);
  });
  let runs = 0;
  class Catalog {
    @Cached({ cache })
    async product(id: number): Promise<Product> {
      runs++;
      return slowProduct(id);
    }
  }
  const catalog = new Catalog();
  const ids = freshIds();
  const floorIds = freshIds();

  const cases: BenchCase[] = [
    {
      group: MISS_GROUP,
      name: MISS_FLOOR,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await slowProduct(floorIds.next());
      },
    },
    {
      group: MISS_GROUP,
      name: '@Cached miss (L1, L2 and bus)',
      baseline: MISS_FLOOR,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await catalog.product(ids.next());
      },
    },
  ];
  return {
    cases,
    check: () => {
      if (runs !== ids.used || errors.length > 0) {
        throw new Error(`miss scenario: the method ran ${runs} times for ${ids.used} keys; errors: ${errors.join('; ')}`);
      }
      if (timeouts > 0) console.warn(`miss scenario: ${timeouts} Redis replies came after the engine's 250 ms timeout (the machine is loaded: load average ${loadavg()[0]!.toFixed(1)})`);
    },
    close: () => cache.close(),
  };
}
