/**
 * The multi-process cases: three replica processes (child_process.fork, through the spec's
 * replica harness) on a private Redis of their own, each with an engine with L1, L2 and the bus.
 *
 * - Invalidation propagation: replica A calls `invalidateTags([tag])` 1,000 times (a new tag
 *   each time), back to back and then paced; B and C note when their `invalidate` event (remote)
 *   fires for each tag. Latency = heard on B or C - A's call of `invalidateTags`, on the
 *   machine-wide clock `performance.timeOrigin + performance.now()`.
 * - Stampede: at one shared instant, each replica starts 200 concurrent calls of a `@Cached`
 *   method that takes 50 ms, on a key nobody has read yet; per-call latency, and how many times
 *   the method ran across the three (must be once per key). Repeated over many cold keys.
 *
 * These are latency distributions, not ops/s: they run after the interleaved rounds, so three
 * more busy processes on a 2-core machine do not disturb the in-process cases.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRedis, type RedisServer } from '../../spec/helpers/redis-server.js';
import { startReplica, type Replica } from '../../spec/helpers/replica.js';
import type { LatencyResult } from '../harness.js';
import { STAMPEDE_PEERS } from './peer-stampede.js';
import type { ReplicaInit, Sent, StampedeRun } from './replica-process.js';

export const PROPAGATION_GROUP = 'Invalidation seen by the other replicas (A -> B, C; 3 processes, 1 Redis)';
export const STAMPEDE_GROUP = 'Stampede: 3 replicas x 200 concurrent callers, cold key, 50 ms method';

export interface ReplicaSettings {
  /** Invalidations per propagation case. */
  readonly invalidations: number;
  /** Interval of the paced propagation case. */
  readonly paceMs: number;
  readonly replicas: number;
  readonly callers: number;
  readonly methodMs: number;
  /**
   * Cold keys measured in the stampede case, after `warmupRounds` more that are not counted (or
   * more, until every replica has run the method once).
   */
  readonly stampedeRounds: number;
  readonly warmupRounds: number;
  /** Invalidation p99 target, ms. */
  readonly propagationTargetMs: number;
  /** Stampede p99 target, ms. */
  readonly stampedeTargetMs: number;
  /** Cold keys measured per peer in the stampede case (after 2 not counted). */
  readonly peerStampedeRounds: number;
}

export const REPLICA_SETTINGS: ReplicaSettings = {
  invalidations: 1000,
  paceMs: 2,
  replicas: 3,
  callers: 200,
  methodMs: 50,
  stampedeRounds: 50,
  warmupRounds: 3,
  propagationTargetMs: 5,
  stampedeTargetMs: 70,
  peerStampedeRounds: 20,
};

/** What the multi-process cases measured, besides their rows. */
export interface ReplicaFindings {
  readonly results: LatencyResult[];
  /** Largest clock offset between a replica and A, as measured over IPC (ms), and the IPC round trip it was measured with. */
  readonly clockSkewMs: number;
  readonly clockRttMs: number;
  readonly redisVersion: string;
  /** Cold keys run before the measured ones in the stampede case. */
  readonly stampedeWarmups: number;
}

const MODULE = new URL('./replica-process.js', import.meta.url);
/** Invalidations (and raw publishes) run before the measured ones, not counted: the JIT's warm-up. */
export const WARMUP_INVALIDATIONS = 1000;

function now(): number {
  return performance.timeOrigin + performance.now();
}

export async function replicaScenarios(settings: ReplicaSettings = REPLICA_SETTINGS, log: (line: string) => void = console.log): Promise<ReplicaFindings> {
  const server: RedisServer = await startRedis();
  const replicas: Replica[] = [];
  try {
    const probe = server.client();
    const redisVersion = /redis_version:(\S+)/.exec(await probe.info('server'))?.[1] ?? 'unknown';
    probe.disconnect();
    const init: ReplicaInit = { redisUrl: server.url, namespace: 'bench-replicas', methodMs: settings.methodMs };
    const started = await Promise.allSettled(Array.from({ length: settings.replicas }, () => startReplica(MODULE, init, { readyTimeoutMs: 30_000 })));
    for (const result of started) if (result.status === 'fulfilled') replicas.push(result.value);
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    log(`${replicas.length} replica processes up (pids ${replicas.map((r) => r.pid).join(', ')}), Redis ${redisVersion} on ${server.url}`);
    // Lets the start-up work of the processes (imports, connections) finish before anything is timed.
    await sleep(1_000);

    const { skew, rtt } = await clockSkew(replicas);
    const results: LatencyResult[] = [];
    results.push(...(await propagation(replicas, settings, log)));
    const crowd = await stampede(replicas, settings, log);
    results.push(...crowd.results);
    results.push(...(await peerStampedes(replicas, settings, log)));

    const stats = await Promise.all(replicas.map((r) => r.call<{ errors: number; errorEvents: number }>('stats')));
    const errors = stats.reduce((sum, s) => sum + s.errors + s.errorEvents, 0);
    if (errors > 0) throw new Error(`replica scenarios: ${errors} errors reported by the replicas`);
    return { results, clockSkewMs: skew, clockRttMs: rtt, redisVersion, stampedeWarmups: crowd.warmups };
  } finally {
    const closed = await Promise.allSettled(replicas.map((replica) => replica.close()));
    await server.stop();
    const failed = closed.find((result) => result.status === 'rejected');
    // A replica that did not close cleanly fails the run, even when the scenario itself threw.
    // eslint-disable-next-line no-unsafe-finally
    if (failed !== undefined) throw failed.reason;
  }
}

/**
 * How far each replica's clock is from A's: for each, the offset (child time - midpoint of the
 * parent's send and receive) of the quickest of 50 IPC pings, which is off by at most half that
 * round trip. Returns the largest difference to A's offset and the slowest round trip used.
 */
async function clockSkew(replicas: readonly Replica[]): Promise<{ skew: number; rtt: number }> {
  const offsets: number[] = [];
  let rtt = 0;
  for (const replica of replicas) {
    let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
    for (let i = 0; i < 50; i++) {
      const before = now();
      const child = await replica.call<number>('clock');
      const after = now();
      if (after - before < best.rtt) best = { rtt: after - before, offset: child - (before + after) / 2 };
    }
    offsets.push(best.offset);
    rtt = Math.max(rtt, best.rtt);
  }
  const skew = Math.max(...offsets.map((offset) => Math.abs(offset - offsets[0]!)));
  return { skew, rtt };
}

async function propagation(replicas: readonly Replica[], settings: ReplicaSettings, log: (line: string) => void): Promise<LatencyResult[]> {
  const [sender, ...receivers] = replicas as [Replica, ...Replica[]];
  const results: LatencyResult[] = [];
  const n = settings.invalidations;
  await Promise.all(replicas.map((r) => r.call('prepareBus')));
  const modes = [
    { id: 'warmup', handler: 'invalidate', name: '', count: WARMUP_INVALIDATIONS, paceMs: 0 },
    { id: 'raw-warmup', handler: 'publish', name: '', count: WARMUP_INVALIDATIONS, paceMs: 0 },
    { id: 'seq', handler: 'invalidate', name: `${n} invalidateTags, back to back`, count: n, paceMs: 0 },
    { id: 'raw-seq', handler: 'publish', name: `floor: ${n} raw ioredis PUBLISH -> SUBSCRIBE, back to back`, count: n, paceMs: 0 },
    { id: 'paced', handler: 'invalidate', name: `${n} invalidateTags, one every ${settings.paceMs} ms`, count: n, paceMs: settings.paceMs },
    { id: 'raw-paced', handler: 'publish', name: `floor: ${n} raw ioredis PUBLISH -> SUBSCRIBE, one every ${settings.paceMs} ms`, count: n, paceMs: settings.paceMs },
    { id: 'bento-warmup', handler: 'bentoDelete', name: '', count: WARMUP_INVALIDATIONS, paceMs: 0 },
    { id: 'bento-paced', handler: 'bentoDelete', name: `BentoCache: ${n} delete({ key }), one every ${settings.paceMs} ms`, count: n, paceMs: settings.paceMs },
  ];
  for (const mode of modes) {
    const raw = mode.handler === 'publish';
    const prefix = `inv-${mode.id}-`;
    await Promise.all(receivers.map((r) => r.call('listen', prefix)));
    const began = now();
    const { sent, resolved } = await sender.call<Sent>(mode.handler, prefix, mode.count, mode.paceMs);
    const took = now() - began;
    // Give the last messages time to arrive (they normally have by now).
    const deadline = now() + 2_000;
    while (now() < deadline) {
      const heard = await Promise.all(receivers.map((r) => r.call<number>('heard')));
      if (heard.every((n) => n === mode.count)) break;
      await sleep(20);
    }
    if (mode.id.endsWith('warmup')) continue;
    const tags = Array.from({ length: mode.count }, (_, i) => `${prefix}${i}`);
    const latencies: number[] = [];
    let lost = 0;
    for (const receiver of receivers) {
      const at = await receiver.call<(number | null)[]>('receivedAt', tags);
      at.forEach((time, i) => {
        if (time === null) lost++;
        else latencies.push(time - sent[i]!);
      });
    }
    const calls = resolved.map((time, i) => time - sent[i]!);
    log(`propagation, ${mode.id}: ${mode.count} invalidations in ${Math.round(took)} ms, ${lost} not heard`);
    const note = `${latencies.length} receptions (${receivers.length} x ${mode.count}), ${lost} lost; sender took ${Math.round(took)} ms in all`;
    if (raw) {
      results.push({ group: PROPAGATION_GROUP, name: `${mode.name}: heard - published`, samples: latencies, note });
    } else if (mode.handler === 'bentoDelete') {
      results.push({ group: PROPAGATION_GROUP, name: `${mode.name}: heard on B and C - called on A`, samples: latencies, note });
    } else {
      results.push({
        group: PROPAGATION_GROUP,
        name: `${mode.name}: heard on B and C - called on A`,
        samples: latencies,
        p99Target: settings.propagationTargetMs,
        condition: { text: 'none lost', held: lost === 0 },
        note,
      });
      results.push({ group: PROPAGATION_GROUP, name: `${mode.name}: the invalidateTags call on A, to its resolution`, samples: calls });
    }
  }
  return results;
}

async function stampede(
  replicas: readonly Replica[],
  settings: ReplicaSettings,
  log: (line: string) => void,
): Promise<{ results: LatencyResult[]; warmups: number }> {
  const all: number[] = [];
  const holders: number[] = [];
  const waiters: number[] = [];
  const runsPerKey: number[] = [];
  const began = now();
  // Warm-up keys, not counted: at least `warmupRounds`, and until every replica has taken the
  // lock and run the method once, so no counted key pays for compiling the holder's path.
  const held = new Set<number>();
  let key = 0;
  let warmups = 0;
  const cold = async (): Promise<StampedeRun[]> => {
    const at = now() + 30;
    const fresh = key++; // a key never read before, the same for every replica
    const runs = await Promise.all(replicas.map((r) => r.call<StampedeRun>('stampede', fresh, settings.callers, at)));
    // Lets the holder's release and "filled" message settle before the next key.
    await sleep(20);
    return runs;
  };
  while (warmups < settings.warmupRounds || (held.size < replicas.length && warmups < settings.warmupRounds + 30)) {
    (await cold()).forEach((run, i) => run.runs > 0 && held.add(i));
    warmups++;
  }
  for (let round = 0; round < settings.stampedeRounds; round++) {
    const runs = await cold();
    runsPerKey.push(runs.reduce((sum, run) => sum + run.runs, 0));
    for (const run of runs) {
      all.push(...run.latencies);
      (run.runs > 0 ? holders : waiters).push(...run.latencies);
    }
  }
  const totalRuns = runsPerKey.reduce((a, b) => a + b, 0);
  const once = runsPerKey.every((runs) => runs === 1);
  log(`stampede: ${settings.stampedeRounds} cold keys (+${warmups} warm-up) in ${Math.round(now() - began)} ms, method runs per key: ${runsPerKey.join(' ')}`);
  const per = `${settings.replicas} x ${settings.callers} calls x ${settings.stampedeRounds} keys`;
  const results: LatencyResult[] = [
    {
      group: STAMPEDE_GROUP,
      name: `every call (${per})`,
      samples: all,
      p99Target: settings.stampedeTargetMs,
      condition: { text: 'method ran once per key', held: once },
      note: `method runs: ${totalRuns} for ${settings.stampedeRounds} keys (max ${Math.max(...runsPerKey)} per key)`,
    },
    { group: STAMPEDE_GROUP, name: 'calls on the replica that took the lock and ran the method', samples: holders },
    { group: STAMPEDE_GROUP, name: 'calls on the replicas that waited for the lock', samples: waiters },
  ];
  return { results, warmups };
}

/** Cold keys of a peer not counted before its measured ones: the first calls of each replica's path. */
const PEER_WARMUPS = 2;

/**
 * The stampede case through each peer, in the same replicas, on the same Redis: per key, at one
 * shared instant, each replica starts `callers` concurrent reads of a key no replica has read.
 * Rows without target: their notes count the method's runs per key across the processes.
 */
async function peerStampedes(replicas: readonly Replica[], settings: ReplicaSettings, log: (line: string) => void): Promise<LatencyResult[]> {
  await Promise.all(replicas.map((r) => r.call('preparePeers')));
  await sleep(500);
  const results: LatencyResult[] = [];
  for (const peer of STAMPEDE_PEERS) {
    const latencies: number[] = [];
    const runsPerKey: number[] = [];
    let failed = 0;
    let failure: string | undefined;
    for (let round = 0; round < PEER_WARMUPS + settings.peerStampedeRounds; round++) {
      const at = now() + 30;
      const runs = await Promise.all(replicas.map((r) => r.call<StampedeRun>('peerStampede', peer, round, settings.callers, at)));
      await sleep(20);
      if (round < PEER_WARMUPS) continue;
      runsPerKey.push(runs.reduce((sum, run) => sum + run.runs, 0));
      for (const run of runs) {
        latencies.push(...run.latencies);
        failed += run.failed ?? 0;
        failure ??= run.failure;
      }
    }
    const total = runsPerKey.reduce((a, b) => a + b, 0);
    log(`stampede through ${peer}: method runs per key: ${runsPerKey.join(' ')}${failed === 0 ? '' : `; ${failed} calls failed (${failure})`}`);
    results.push({
      group: STAMPEDE_GROUP,
      name: `${peer}: every call (${settings.replicas} x ${settings.callers} calls x ${settings.peerStampedeRounds} keys)`,
      samples: latencies,
      note:
        `method runs: ${total} for ${settings.peerStampedeRounds} keys (${(total / settings.peerStampedeRounds).toFixed(1)} per key, max ${Math.max(...runsPerKey)})` +
        (failed === 0 ? '' : `; ${failed} calls failed, such as ${failure}`),
    });
  }
  return results;
}
