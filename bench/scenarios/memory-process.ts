/**
 * The memory case's child process (`memory.ts`), run by the spec's replica harness with
 * `--expose-gc`, so its million entries never share a heap with the other cases: an L1-only
 * engine bounded by `maxBytes` (entry count unbounded), a `@Cached` method called with a million
 * distinct arguments, and the heap and RSS after a forced GC, before and after.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cached, createCache } from '../../lib/index.js';
import { entryOfCall } from '../../lib/decorators/cached.js';
import { ENTRY_OVERHEAD_BYTES } from '../../lib/engine/entry.js';
import type { ReplicaHandlers } from '../../spec/helpers/replica.js';
import { makeProduct, type Product } from '../workload.js';

/** What `run` measured. */
export interface MemoryRun {
  readonly keys: number;
  readonly maxBytes: number;
  readonly seconds: number;
  /** heapUsed and RSS after a forced GC, after the writes minus before them. */
  readonly heapGrowth: number;
  readonly rssGrowth: number;
  /** Entries L1 held at the end, and the sum of their estimated sizes (`cache.stats().l1`). */
  readonly entries: number;
  readonly estimatedBytes: number;
  readonly evictions: number;
  /** One entry's estimate and what it is made of. */
  readonly sample: { readonly size: number; readonly payload: number; readonly key: number; readonly overhead: number };
}

/** A full collection, twice (the second clears what the first's weak-map processing freed), then a turn of the loop. */
async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    globalThis.gc!();
    await sleep(10);
  }
}

export async function setup(): Promise<ReplicaHandlers> {
  if (globalThis.gc === undefined) throw new Error('the memory case needs --expose-gc');
  return {
    run: async (keys: number, maxBytes: number): Promise<MemoryRun> => {
      const cache = createCache({ namespace: 'bench-memory', l1: { maxEntries: keys, maxBytes }, l2: false, defaults: { ttl: '1h' } });
      class Catalog {
        @Cached({ cache })
        async product(id: number): Promise<Product> {
          return makeProduct(id);
        }
      }
      const catalog = new Catalog();
      await settle();
      const before = process.memoryUsage();
      const started = performance.now();
      for (let i = 0; i < keys; i++) await catalog.product(i);
      const seconds = (performance.now() - started) / 1000;
      // The last key is still in L1: its entry says what one estimate is made of.
      const entry = entryOfCall(catalog.product, catalog, [keys - 1]);
      if (entry === undefined) throw new Error('memory case: the last value has no entry in L1');
      await settle();
      const after = process.memoryUsage();
      const stats = cache.stats();
      if (stats.l1 === false) throw new Error('memory case: the engine has no L1');
      const result: MemoryRun = {
        keys,
        maxBytes,
        seconds,
        heapGrowth: after.heapUsed - before.heapUsed,
        rssGrowth: after.rss - before.rss,
        entries: stats.l1.entries,
        estimatedBytes: stats.l1.bytes,
        evictions: stats.evictions,
        sample: { size: entry.size, payload: entry.payload.length, key: entry.key.length, overhead: ENTRY_OVERHEAD_BYTES },
      };
      await cache.close();
      return result;
    },
  };
}
