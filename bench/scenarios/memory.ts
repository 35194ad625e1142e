/**
 * Memory: a million distinct keys written through `@Cached` into an L1 bounded by
 * `maxBytes: 64 MiB` (in a child process of its own, with `--expose-gc`), then the growth of the
 * heap after a forced GC, and of the RSS. L1 evicts by the size it estimates for each entry
 * (`lib/engine/entry.ts`: `ENTRY_OVERHEAD_BYTES + 2 * payload + 2 * key`): the heap must stay
 * within 1.1 x maxBytes. Dividing the heap's growth by the entries kept gives what an entry
 * really costs, hence the overhead constant that would make the estimate match.
 */
import { startReplica, type Replica } from '../../spec/helpers/replica.js';
import type { Table } from '../table.js';
import type { MemoryRun } from './memory-process.js';

const MODULE = new URL('./memory-process.js', import.meta.url);
export const MEMORY_KEYS = 1_000_000;
export const MEMORY_MAX_BYTES = 64 * 1024 * 1024;
/** The heap may grow by this much of maxBytes at most. */
export const MEMORY_TARGET = 1.1;

export interface MemoryFindings extends MemoryRun {
  /** Heap growth per entry kept, and the estimate per entry. */
  readonly measuredPerEntry: number;
  readonly estimatedPerEntry: number;
  /** The `ENTRY_OVERHEAD_BYTES` that would make the average estimate equal the measured cost (rounded up to 8 bytes). */
  readonly calibratedOverhead: number;
  readonly met: boolean;
}

export async function memoryScenario(): Promise<MemoryFindings> {
  let child: Replica | undefined;
  try {
    child = await startReplica(MODULE, {}, { execArgv: ['--expose-gc'], readyTimeoutMs: 30_000, closeTimeoutMs: 10_000 });
    const run = await child.call<MemoryRun>('run', MEMORY_KEYS, MEMORY_MAX_BYTES);
    const measuredPerEntry = run.heapGrowth / run.entries;
    const estimatedPerEntry = run.estimatedBytes / run.entries;
    return {
      ...run,
      measuredPerEntry,
      estimatedPerEntry,
      calibratedOverhead: Math.ceil((run.sample.overhead + measuredPerEntry - estimatedPerEntry) / 8) * 8,
      met: run.heapGrowth <= MEMORY_TARGET * run.maxBytes,
    };
  } finally {
    await child?.close();
  }
}

const MiB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

export function memoryTable(m: MemoryFindings): Table {
  return {
    columns: ['measure', 'value'],
    left: new Set([0]),
    rows: [
      ['keys written through @Cached (distinct)', m.keys.toLocaleString('en-US')],
      ['L1 bound', `maxBytes ${mib(m.maxBytes)} (maxEntries ${m.keys.toLocaleString('en-US')}: the bytes bind first)`],
      ['entries kept in L1 / evicted', `${m.entries.toLocaleString('en-US')} / ${m.evictions.toLocaleString('en-US')}`],
      ['estimated size per entry (L1\'s own count)', `${m.estimatedPerEntry.toFixed(0)} B (${m.sample.overhead} + 2 x ${m.sample.payload} payload + 2 x ${m.sample.key} key)`],
      ['heap growth after a forced GC', `${mib(m.heapGrowth)} (${((m.heapGrowth / m.maxBytes) * 100).toFixed(0)}% of maxBytes)`],
      ['heap growth per entry kept', `${m.measuredPerEntry.toFixed(0)} B`],
      ['RSS growth', mib(m.rssGrowth)],
      ['writes', `${m.seconds.toFixed(1)} s (${((m.keys / m.seconds) / 1000).toFixed(0)}k/s)`],
    ],
  };
}

export function memoryTargets(m: MemoryFindings): string[] {
  const line =
    `- ${m.met ? 'Met' : '**Not met**'}: heap growth after ${m.keys.toLocaleString('en-US')} distinct keys through @Cached, maxBytes ${mib(m.maxBytes)}, ` +
    `<= ${MEMORY_TARGET} x maxBytes: measured ${mib(m.heapGrowth)} (${(m.heapGrowth / m.maxBytes).toFixed(2)} x), RSS growth ${mib(m.rssGrowth)}.`;
  const calibration =
    `  An entry costs ${m.measuredPerEntry.toFixed(0)} bytes of heap against ${m.estimatedPerEntry.toFixed(0)} estimated: ` +
    `\`ENTRY_OVERHEAD_BYTES\` = ${m.calibratedOverhead} (now ${m.sample.overhead}) would make the estimate match.`;
  return [line, calibration];
}
