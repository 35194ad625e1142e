/**
 * Timing, rounds, statistics and the console table of the benchmark.
 *
 * Every case runs a fixed number of operations per round, calibrated once so that one sample
 * takes about `sampleMs`. The cases are interleaved: each round runs every case once, in an
 * order rotated by one from the round before, so a slow phase of the machine (a neighbour, a
 * thermal step, a GC of something else) spreads over all cases instead of landing on one.
 * Ratios are taken within a round (case / baseline of the same round), then the median of those.
 * A case that must be compared more finely than that (a 5% target) measures itself against its
 * baseline inside each of its samples, alternating small chunks of the two: see {@link PairedTiming}.
 */
import { performance } from 'node:perf_hooks';

/** One thing to measure. */
export interface BenchCase {
  /** Rows are grouped by this in the table. */
  readonly group: string;
  readonly name: string;
  /** The name of the case this one is compared with; absent for a baseline. */
  readonly baseline?: string;
  /** The ratio to the baseline this case must reach (1 = 100%), if there is a target. */
  readonly target?: number;
  /** About how long one sample runs. */
  readonly sampleMs: number;
  /**
   * Runs `ops` operations and resolves once all of them have completed. A case that must do
   * untimed work between operations (an invalidation before each sweep, say) times itself and
   * resolves with the milliseconds its operations took; otherwise the whole call is timed. A
   * paired case resolves with a {@link PairedTiming}.
   */
  readonly run: (ops: number) => Promise<void | number | PairedTiming>;
}

/**
 * What a paired case measured in one sample: it ran `ops` of its own operations and `ops` of its
 * baseline's, alternating chunks of the two (a sweep of the keys each), and timed each side. Its
 * ratio in that round is then `baselineMs / ms`, taken over the same fraction of a second,
 * instead of a ratio to the baseline case's own sample of the round: the machine's slow and fast
 * moments fall on both sides alike. Its ops/s count its own operations only.
 */
export interface PairedTiming {
  readonly ms: number;
  readonly baselineMs: number;
}

/** Options of {@link runRounds}. */
export interface RoundOptions {
  /** Measured rounds (after one warm-up round). @default 7 */
  rounds?: number;
  /** Called after each round, for progress output. */
  onRound?: (round: number, rounds: number) => void;
}

/** Quartiles and extremes of a set of samples. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly q1: number;
  readonly q3: number;
}

/** What one case measured over the rounds. */
export interface CaseResult {
  readonly case: BenchCase;
  /** Operations per sample (fixed for the whole run). */
  readonly ops: number;
  /** ops/s, one per round, in round order. */
  readonly samples: readonly number[];
  readonly opsPerSec: Spread;
  /** Per-round ratio to the baseline, when the case has one. */
  readonly ratio: Spread | undefined;
  /** True when the ratio was measured paired, within the case's own samples. */
  readonly paired: boolean;
  /** Whether the median ratio reached the target, when the case has one. */
  readonly met: boolean | undefined;
}

/** Calibrates, warms up and measures every case over `rounds` interleaved rounds. */
export async function runRounds(cases: readonly BenchCase[], options: RoundOptions = {}): Promise<CaseResult[]> {
  const rounds = options.rounds ?? 7;
  const names = new Set(cases.map((c) => c.name));
  for (const c of cases) {
    if (c.baseline !== undefined && !names.has(c.baseline)) throw new Error(`case "${c.name}": unknown baseline "${c.baseline}"`);
  }
  // Calibration runs every case several times over, which is also its JIT warm-up.
  const ops = new Map<BenchCase, number>();
  for (const c of cases) ops.set(c, await calibrate(c));
  for (const c of cases) await sample(c, ops.get(c)!);

  const samples = new Map<BenchCase, number[]>(cases.map((c) => [c, []]));
  const pairedRatios = new Map<BenchCase, number[]>(cases.map((c) => [c, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length]!;
      const measured = await sample(c, ops.get(c)!);
      samples.get(c)!.push(measured.opsPerSec);
      if (measured.pairedRatio !== undefined) pairedRatios.get(c)!.push(measured.pairedRatio);
    }
    options.onRound?.(round + 1, rounds);
  }

  const byName = new Map(cases.map((c) => [c.name, samples.get(c)!]));
  return cases.map((c) => {
    const own = samples.get(c)!;
    const base = c.baseline === undefined ? undefined : byName.get(c.baseline)!;
    const paired = pairedRatios.get(c)!;
    if (paired.length > 0 && base === undefined) throw new Error(`case "${c.name}": a paired timing needs a baseline`);
    const ratio =
      base === undefined ? undefined : paired.length === rounds ? spread(paired) : spread(own.map((value, round) => value / base[round]!));
    return {
      case: c,
      ops: ops.get(c)!,
      samples: own,
      opsPerSec: spread(own),
      ratio,
      paired: paired.length === rounds,
      met: c.target === undefined || ratio === undefined ? undefined : ratio.median >= c.target,
    };
  });
}

/** How long a sample waits, untimed, for the work the case before it left in flight. */
const SETTLE_MS = 10;

/** The op count that makes one sample last about `sampleMs`. */
async function calibrate(c: BenchCase): Promise<number> {
  let ops = 64;
  for (;;) {
    const elapsed = await timed(c, ops);
    if (elapsed >= c.sampleMs / 8) return Math.max(1, Math.round((ops * c.sampleMs) / elapsed));
    ops *= elapsed < c.sampleMs / 100 ? 8 : 2;
  }
}

/**
 * One sample in ops/s (and, for a paired case, its ratio to its baseline in that sample), after
 * a full GC so that garbage of the case before is not charged to this one.
 */
async function sample(c: BenchCase, ops: number): Promise<{ opsPerSec: number; pairedRatio: number | undefined }> {
  // Lets sockets, timers and background work of the case before settle (a miss's fill publishes
  // its "filled" message without waiting): the forced GC below stops the event loop, and a reply
  // read only after it would count as a Redis timeout.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  globalThis.gc?.();
  const timing = await measure(c, ops);
  return { opsPerSec: (ops * 1000) / timing.ms, pairedRatio: timing.baselineMs === undefined ? undefined : timing.baselineMs / timing.ms };
}

async function timed(c: BenchCase, ops: number): Promise<number> {
  return (await measure(c, ops)).ms;
}

async function measure(c: BenchCase, ops: number): Promise<{ ms: number; baselineMs: number | undefined }> {
  const start = performance.now();
  const own = await c.run(ops);
  if (typeof own === 'number') return { ms: own, baselineMs: undefined };
  if (own !== undefined) return own;
  return { ms: performance.now() - start, baselineMs: undefined };
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
  };
}

/** Linear interpolation between the closest ranks (the default of R and NumPy). `sorted` ascending. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

// ---------------------------------------------------------------- formatting

/** `12.3M`, `456k`, `789`: three significant digits are all a benchmark can vouch for. */
export function formatOps(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (value >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
  return value.toPrecision(3);
}

export function formatPercent(value: number): string {
  return `${(value * 100).toFixed(value >= 0.1 ? 0 : 1)}%`;
}

/** The columns of the table, shared by the console and the markdown report. */
export const COLUMNS = ['case', 'median ops/s', 'min-max ops/s', 'IQR', 'compared with', 'ratio (min-max)', 'target'] as const;

/** One row of cells per result, with a group heading before each group. */
export function tableRows(results: readonly CaseResult[]): (string[] | { group: string })[] {
  const rows: (string[] | { group: string })[] = [];
  let group: string | undefined;
  for (const r of results) {
    if (r.case.group !== group) {
      group = r.case.group;
      rows.push({ group });
    }
    const { median, min, max, q1, q3 } = r.opsPerSec;
    const ratio = r.ratio === undefined ? '' : `${formatPercent(r.ratio.median)} (${formatPercent(r.ratio.min)}-${formatPercent(r.ratio.max)})`;
    const target = r.case.target === undefined ? '' : `>= ${formatPercent(r.case.target)}: ${r.met === true ? 'met' : 'NOT met'}`;
    rows.push([
      r.case.name,
      formatOps(median),
      `${formatOps(min)}-${formatOps(max)}`,
      `±${formatPercent((q3 - q1) / 2 / median)}`,
      r.case.baseline === undefined ? '' : r.paired ? `${r.case.baseline} (paired)` : r.case.baseline,
      ratio,
      target,
    ]);
  }
  return rows;
}

/** The results as a plain-text table. */
export function formatTable(results: readonly CaseResult[]): string {
  const rows = tableRows(results);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => (Array.isArray(row) ? row[i]!.length : 0))));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 || i === 4 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [line(COLUMNS), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of rows) out.push(Array.isArray(row) ? line(row) : `\n${row.group}`);
  return out.join('\n');
}

/** The results as a markdown table. */
export function formatMarkdownTable(results: readonly CaseResult[]): string {
  const out = [`| ${COLUMNS.join(' | ')} |`, `| ${COLUMNS.map((_, i) => (i === 0 || i === 4 ? '---' : '---:')).join(' | ')} |`];
  for (const row of tableRows(results)) {
    out.push(Array.isArray(row) ? `| ${row.join(' | ')} |` : `| **${row.group}** |${' |'.repeat(COLUMNS.length - 1)}`);
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- latency distributions

/**
 * A latency distribution measured across processes (not an ops/s case): every sample in
 * milliseconds, with an optional ceiling for its p99.
 */
export interface LatencyResult {
  readonly group: string;
  readonly name: string;
  /** Every sample, in milliseconds. */
  readonly samples: readonly number[];
  /** The p99 this row must not exceed, in milliseconds. */
  readonly p99Target?: number;
  /** A further condition of the row (method runs per key, nothing lost): true when it held. */
  readonly condition?: { readonly text: string; readonly held: boolean };
  /** One line on what was seen besides the distribution (counts, losses). */
  readonly note?: string;
}

export interface LatencySummary {
  readonly result: LatencyResult;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Whether the p99 target and the condition, those that the row has, held. */
  readonly met: boolean | undefined;
}

export function summarizeLatency(result: LatencyResult): LatencySummary {
  const sorted = [...result.samples].sort((a, b) => a - b);
  const p99 = quantile(sorted, 0.99);
  const checks: boolean[] = [];
  if (result.p99Target !== undefined) checks.push(p99 <= result.p99Target);
  if (result.condition !== undefined) checks.push(result.condition.held);
  return {
    result,
    p50: quantile(sorted, 0.5),
    p99,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    met: checks.length === 0 ? undefined : checks.every(Boolean),
  };
}

export function formatMs(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export const LATENCY_COLUMNS = ['case', 'samples', 'p50 ms', 'p99 ms', 'max ms', 'target', 'notes'] as const;

function latencyRows(summaries: readonly LatencySummary[]): (string[] | { group: string })[] {
  const rows: (string[] | { group: string })[] = [];
  let group: string | undefined;
  for (const s of summaries) {
    const r = s.result;
    if (r.group !== group) {
      group = r.group;
      rows.push({ group });
    }
    const parts: string[] = [];
    if (r.p99Target !== undefined) parts.push(`p99 <= ${r.p99Target} ms`);
    if (r.condition !== undefined) parts.push(r.condition.text);
    const target = parts.length === 0 ? '' : `${parts.join(', ')}: ${s.met === true ? 'met' : 'NOT met'}`;
    rows.push([r.name, String(r.samples.length), formatMs(s.p50), formatMs(s.p99), formatMs(s.max), target, r.note ?? '']);
  }
  return rows;
}

/** The latency rows as a plain-text table. */
export function formatLatencyTable(summaries: readonly LatencySummary[]): string {
  const rows = latencyRows(summaries);
  const widths = LATENCY_COLUMNS.map((title, i) => Math.max(title.length, ...rows.map((row) => (Array.isArray(row) ? row[i]!.length : 0))));
  const left = (i: number): boolean => i === 0 || i >= 5;
  const line = (cells: readonly string[]): string => cells.map((cell, i) => (left(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const out = [line(LATENCY_COLUMNS), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of rows) out.push(Array.isArray(row) ? line(row) : `\n${row.group}`);
  return out.join('\n');
}

/** The latency rows as a markdown table. */
export function formatMarkdownLatencyTable(summaries: readonly LatencySummary[]): string {
  const out = [
    `| ${LATENCY_COLUMNS.join(' | ')} |`,
    `| ${LATENCY_COLUMNS.map((_, i) => (i === 0 || i >= 5 ? '---' : '---:')).join(' | ')} |`,
  ];
  for (const row of latencyRows(summaries)) {
    out.push(Array.isArray(row) ? `| ${row.join(' | ')} |` : `| **${row.group}** |${' |'.repeat(LATENCY_COLUMNS.length - 1)}`);
  }
  return out.join('\n');
}
