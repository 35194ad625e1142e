import { AssertionError } from 'node:assert';
import type { CacheEngine } from '../engine/cache-engine.js';
import type { MethodStats } from '../engine/stats.js';

/** The counters {@link expectCalls} compares: those of `MethodStats`, with hits summed and per tier. */
export interface CallCounts {
  /** L1 and L2 hits together. */
  hits: number;
  l1Hits: number;
  l2Hits: number;
  misses: number;
  stale: number;
  factoryCalls: number;
  coalesced: number;
  lockWaits: number;
  errors: number;
}

/** What {@link expectCalls} checks: only the counters given are compared. */
export interface ExpectedCalls extends Partial<CallCounts> {
  /** A decorated method by its stats name (`'Class.method'`, or its `name` option). @default the engine's totals */
  method?: string;
  /** Counts from an earlier {@link cacheStatsOf}: what happened since then is compared. */
  since?: MethodStats;
}

const COUNTS: readonly (keyof CallCounts)[] = ['hits', 'l1Hits', 'l2Hits', 'misses', 'stale', 'factoryCalls', 'coalesced', 'lockWaits', 'errors'];
const KNOWN = new Set<string>([...COUNTS, 'method', 'since']);

/**
 * The counters of one decorated method (`'Catalog.product'`), or the engine's totals without a
 * name: a copy of what `cache.stats()` reports. A method never called has all counters at 0.
 */
export function cacheStatsOf(cache: CacheEngine, method?: string): MethodStats {
  const stats = cache.stats();
  const source: MethodStats | undefined = method === undefined ? stats : stats.methods[method];
  if (source === undefined) return { hits: { l1: 0, l2: 0 }, misses: 0, stale: 0, factoryCalls: 0, coalesced: 0, lockWaits: 0, errors: 0 };
  const { hits, misses, stale, factoryCalls, coalesced, lockWaits, errors } = source;
  return { hits: { ...hits }, misses, stale, factoryCalls, coalesced, lockWaits, errors };
}

/**
 * Throws an `AssertionError` (with `actual` and `expected`, which test runners show as a diff)
 * unless each counter given has the expected value, for one method or for the whole engine.
 *
 * @example
 * ```ts
 * await catalog.product(1);
 * await catalog.product(1);
 * expectCalls(cache, { method: 'Catalog.product', misses: 1, hits: 1, factoryCalls: 1 });
 * ```
 */
export function expectCalls(cache: CacheEngine, expected: ExpectedCalls): void {
  if (typeof expected !== 'object' || expected === null) throw new TypeError('expectCalls: expected an object of counts');
  for (const key of Object.keys(expected)) {
    if (!KNOWN.has(key)) throw new TypeError(`expectCalls: unknown counter "${key}" (known: ${[...KNOWN].join(', ')})`);
  }
  const { method, since } = expected;
  const now = countsOf(cacheStatsOf(cache, method));
  const before = since === undefined ? undefined : countsOf(since);
  const actual: Partial<CallCounts> = {};
  const wanted: Partial<CallCounts> = {};
  const wrong: string[] = [];
  for (const key of COUNTS) {
    const value = expected[key];
    if (value === undefined) continue;
    const got = now[key] - (before?.[key] ?? 0);
    actual[key] = got;
    wanted[key] = value;
    if (got !== value) wrong.push(`  ${key}: expected ${value}, got ${got}`);
  }
  if (wrong.length === 0) return;
  const what = method === undefined ? 'the cache' : `"${method}"`;
  const known = Object.keys(cache.stats().methods);
  const hint = method !== undefined && !known.includes(method) ? `\n  (no calls recorded for "${method}"; methods with stats: ${known.join(', ') || 'none'})` : '';
  const all = COUNTS.map((key) => `${key} ${now[key] - (before?.[key] ?? 0)}`).join(', ');
  throw new AssertionError({
    message: `expectCalls: ${what} ${since === undefined ? '' : 'since the snapshot '}did not get the expected calls\n${wrong.join('\n')}\n  (all: ${all})${hint}`,
    actual,
    expected: wanted,
    operator: 'expectCalls',
    stackStartFn: expectCalls,
  });
}

function countsOf(stats: MethodStats): CallCounts {
  return {
    hits: stats.hits.l1 + stats.hits.l2,
    l1Hits: stats.hits.l1,
    l2Hits: stats.hits.l2,
    misses: stats.misses,
    stale: stats.stale,
    factoryCalls: stats.factoryCalls,
    coalesced: stats.coalesced,
    lockWaits: stats.lockWaits,
    errors: stats.errors,
  };
}
