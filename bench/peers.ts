/**
 * Which library ran which case: the coverage table of `docs/benchmarks.md`. Each cell names the
 * row that measured it (its ratio to the raw baseline of the same run is read from the results),
 * or says why the library has no such case.
 */
import type { CaseResult, LatencySummary } from './harness.js';
import { formatMs, formatPercent } from './harness.js';
import { CACHED_200, type HttpFindings } from './scenarios/http.js';
import { STAMPEDE_GROUP, PROPAGATION_GROUP } from './scenarios/replicas.js';
import type { Table } from './table.js';

/** A cell: the name of the in-process case, the HTTP case, or the latency row that measured it; or why none did. */
type Cell = { readonly case: string } | { readonly http: string } | { readonly latency: { readonly group: string; readonly prefix: string } } | { readonly na: string };

export const COVERAGE_COLUMNS = [
  'L1 hit',
  'L1 hit, 3 tags',
  'L2 hit, sequential',
  'L2 hit, 100 in flight',
  'miss, 1 ms method',
  'stampede, 3 processes',
  'invalidation propagation',
  'rate limiting',
  'Koa demo, 200 L1 hit',
] as const;

const NO_RATE_LIMITER = 'n/a: a cache, no rate limiter';
const NO_HTTP = 'n/a: no HTTP layer (the demo is built on tiercache/koa)';
const NOT_A_CACHE = 'n/a: a rate limiter, not a cache';

/** One row per library, its cells in the order of {@link COVERAGE_COLUMNS}. */
export const COVERAGE: readonly { readonly library: string; readonly cells: readonly Cell[] }[] = [
  {
    library: 'tiercache',
    cells: [
      { case: '@Cached, 1 numeric arg' },
      { case: '@Cached, 1 numeric arg, 3 tags' },
      { case: 'tiercache getOrSet, L2 hit' },
      { case: 'tiercache getOrSet x100, L2 hit' },
      { case: '@Cached miss (L1, L2 and bus)' },
      { latency: { group: STAMPEDE_GROUP, prefix: 'every call' } },
      { latency: { group: PROPAGATION_GROUP, prefix: '1000 invalidateTags, one every' } },
      { case: '@RateLimited x100, admitted' },
      { http: CACHED_200 },
    ],
  },
  {
    library: 'BentoCache',
    cells: [
      { case: 'BentoCache getOrSet (memory driver)' },
      { case: 'BentoCache getOrSet, 3 tags (memory driver)' },
      { case: 'BentoCache getOrSet, L2 hit' },
      { case: 'BentoCache getOrSet x100, L2 hit' },
      { case: 'BentoCache getOrSet miss (L1 and L2)' },
      { latency: { group: STAMPEDE_GROUP, prefix: 'BentoCache: every call' } },
      { latency: { group: PROPAGATION_GROUP, prefix: 'BentoCache: 1000 delete' } },
      { na: NO_RATE_LIMITER },
      { na: NO_HTTP },
    ],
  },
  {
    library: 'cache-manager',
    cells: [
      { case: 'cache-manager wrap (in-memory Keyv)' },
      { na: 'n/a: no tags' },
      { case: 'cache-manager wrap, L2 hit (@keyv/redis)' },
      { case: 'cache-manager wrap x100, L2 hit (@keyv/redis)' },
      { case: 'cache-manager wrap miss (in-memory Keyv and @keyv/redis)' },
      { latency: { group: STAMPEDE_GROUP, prefix: 'cache-manager: every call' } },
      { na: 'n/a: no bus: another process keeps its L1 copy until its TTL' },
      { na: NO_RATE_LIMITER },
      { na: NO_HTTP },
    ],
  },
  {
    library: '@type-cacheable/core',
    cells: [
      { na: 'n/a: one tier, Redis through the ioredis adapter, read on every call' },
      { na: 'n/a: no tags (@CacheClear deletes keys)' },
      { case: '@type-cacheable @Cacheable, L2 hit (ioredis adapter)' },
      { case: '@type-cacheable @Cacheable x100, L2 hit (ioredis adapter)' },
      { case: '@type-cacheable @Cacheable miss (Redis only)' },
      { latency: { group: STAMPEDE_GROUP, prefix: '@type-cacheable/core: every call' } },
      { na: 'n/a: no in-process copy to invalidate' },
      { na: NO_RATE_LIMITER },
      { na: NO_HTTP },
    ],
  },
  {
    library: 'async-cache-dedupe',
    cells: [
      { case: 'async-cache-dedupe (memory storage)' },
      { case: 'async-cache-dedupe, 3 references (memory, invalidation on)' },
      { case: 'async-cache-dedupe, L2 hit (redis storage)' },
      { case: 'async-cache-dedupe x100, L2 hit (redis storage)' },
      { case: 'async-cache-dedupe miss (redis storage)' },
      { latency: { group: STAMPEDE_GROUP, prefix: 'async-cache-dedupe: every call' } },
      { na: 'n/a: one storage per cache, no bus between processes' },
      { na: NO_RATE_LIMITER },
      { na: NO_HTTP },
    ],
  },
  {
    library: 'rate-limiter-flexible',
    cells: [
      { na: NOT_A_CACHE },
      { na: NOT_A_CACHE },
      { na: NOT_A_CACHE },
      { na: NOT_A_CACHE },
      { na: NOT_A_CACHE },
      { na: NOT_A_CACHE },
      { na: NOT_A_CACHE },
      { case: 'rate-limiter-flexible RateLimiterRedis.consume x100, admitted' },
      { na: NO_HTTP },
    ],
  },
];

/** The cases a coverage cell names that the run did not measure (a renamed case, say): the report must not say "measured" for them. */
export function missingCoverage(results: readonly CaseResult[]): string[] {
  const names = new Set(results.map((r) => r.case.name));
  return COVERAGE.flatMap((row) => row.cells.flatMap((cell) => ('case' in cell && !names.has(cell.case) ? [`${row.library}: ${cell.case}`] : [])));
}

/** The coverage table, a row per case and a column per library: the ratio to the raw baseline where measured, else the reason. */
export function coverageTable(results: readonly CaseResult[], latencies: readonly LatencySummary[], http: HttpFindings): Table {
  const byName = new Map(results.map((r) => [r.case.name, r]));
  const cellText = (cell: Cell): string => {
    if ('na' in cell) return cell.na;
    if ('case' in cell) {
      const r = byName.get(cell.case);
      if (r === undefined) return 'not measured in this run';
      return r.ratio === undefined ? 'measured' : `${formatPercent(r.ratio.median)} of "${r.case.baseline!}"`;
    }
    if ('http' in cell) {
      const r = http.results.find((h) => h.name === cell.http);
      return r?.ratio === undefined ? 'not measured in this run' : `${formatPercent(r.ratio.median)} of the req/s of "${r.baseline!}"`;
    }
    const s = latencies.find((l) => l.result.group === cell.latency.group && l.result.name.startsWith(cell.latency.prefix));
    if (s === undefined) return 'not measured in this run';
    const runs = /method runs: .*/.exec(s.result.note ?? '')?.[0];
    return `p50 ${formatMs(s.p50)} ms, p99 ${formatMs(s.p99)} ms${runs === undefined ? '' : `; ${runs}`}`;
  };
  return {
    columns: ['case', ...COVERAGE.map((row) => row.library)],
    left: new Set(COVERAGE.map((_, i) => i + 1).concat(0)),
    rows: COVERAGE_COLUMNS.map((column, i) => [column, ...COVERAGE.map((row) => cellText(row.cells[i]!))]),
  };
}
