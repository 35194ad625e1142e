/**
 * One replica of the multi-process benchmark (`replicas.ts`), run in its own Node process by the
 * spec's replica harness (`startReplica`, child_process.fork): an engine with L1, L2 and the bus
 * on the benchmark's private Redis, and handlers the parent calls over IPC.
 *
 * Times are `performance.timeOrigin + performance.now()`: epoch milliseconds with sub-ms
 * precision that every process on the machine reads from the same clock, so a time taken here
 * can be subtracted from one taken in another replica. (`clock` lets the parent check that.)
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Cached, createCache } from '../../lib/index.js';
import type { ReplicaHandlers } from '../../spec/helpers/replica.js';
import type { PeerBus } from './peer-bus.js';
import type { PeerLoaders, StampedePeer } from './peer-stampede.js';

export interface ReplicaInit {
  redisUrl: string;
  namespace: string;
  /** How long the stampede method takes. */
  methodMs: number;
}

/** What `invalidate` returns: per invalidation, when it was asked for and when it resolved. */
export interface Sent {
  sent: number[];
  resolved: number[];
}

/** What `stampede` returns: the latency of each caller, and how often the method ran here. */
export interface StampedeRun {
  latencies: number[];
  runs: number;
  /** Calls that failed (peers only), and the first failure's message. */
  failed?: number;
  failure?: string;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Waits until the shared time `at`, with a timer only: a spin would take a core from the other
 * replicas and Redis on a small machine, and a late start is harmless (each call is timed from
 * its own start).
 */
async function until(at: number): Promise<void> {
  const wait = at - now();
  if (wait >= 1) await sleep(wait);
}

export async function setup(init: ReplicaInit): Promise<ReplicaHandlers> {
  const cache = createCache({ namespace: init.namespace, l2: { redis: init.redisUrl }, defaults: { ttl: '1h' } });
  // Three processes starting at once on a small, busy machine can miss the engine's first
  // generation read (bounded by redisTimeout, 250 ms): ready() retries it, so ask again a few times.
  let state = await cache.ready();
  for (let attempt = 1; attempt < 10 && (state.l2 !== 'connected' || state.bus !== 'connected'); attempt++) {
    await sleep(200);
    state = await cache.ready();
  }
  if (state.l2 !== 'connected' || state.bus !== 'connected') throw new Error(`replica ${process.pid}: Redis ${state.l2}, bus ${state.bus}`);
  let errors = 0;
  cache.on('error', () => errors++);

  const runs = new Map<number, number>();
  class Slow {
    @Cached({ cache })
    async load(round: number): Promise<{ round: number; by: number }> {
      runs.set(round, (runs.get(round) ?? 0) + 1);
      await sleep(init.methodMs);
      return { round, by: process.pid };
    }
  }
  const slow = new Slow();
  // The peers of the stampede case, made on demand, and how often each ran the method per key.
  let peers: PeerLoaders | undefined;
  let bus: PeerBus | undefined;
  const peerRuns = new Map<string, number>();

  // Tag -> when the remote invalidation of it was heard here.
  const received = new Map<string, number>();
  let prefix: string | undefined;
  cache.on('invalidate', (event) => {
    if (!event.remote || event.tags === undefined || prefix === undefined) return;
    const at = now();
    for (const tag of event.tags) if (tag.startsWith(prefix)) received.set(tag, at);
  });

  // The floor of the propagation case: raw ioredis PUBLISH to a raw SUBSCRIBE, in the same
  // processes and on the same Redis, one-way (no round trip before the publish).
  const RAW_CHANNEL = `${init.namespace}:raw`;
  const publisher = new Redis(init.redisUrl);
  const subscriber = new Redis(init.redisUrl);
  await subscriber.subscribe(RAW_CHANNEL);
  subscriber.on('message', (channel: string, tag: string) => {
    if (channel === RAW_CHANNEL && prefix !== undefined && tag.startsWith(prefix)) received.set(tag, now());
  });

  return {
    clock: async () => now(),
    /** Starts recording remote invalidations of tags that start with `tagPrefix` (and forgets earlier ones). */
    listen: async (tagPrefix: string) => {
      received.clear();
      prefix = tagPrefix;
    },
    heard: async () => received.size,
    /** Times of the invalidations heard, in the order of `tags`; null for one never heard. */
    receivedAt: async (tags: string[]) => tags.map((tag) => received.get(tag) ?? null),
    /**
     * `count` invalidations of `<tagPrefix><i>`, one tag each: each awaited before the next
     * (`paceMs` 0), or one started every `paceMs` (awaited all the same).
     */
    invalidate: async (tagPrefix: string, count: number, paceMs: number): Promise<Sent> => {
      const sent: number[] = [];
      const resolved: number[] = [];
      const start = now();
      for (let i = 0; i < count; i++) {
        if (paceMs > 0) await until(start + i * paceMs);
        sent.push(now());
        await cache.invalidateTags([`${tagPrefix}${i}`]);
        resolved.push(now());
      }
      return { sent, resolved };
    },
    /** The same as `invalidate`, with a raw `PUBLISH` of the tag in place of `invalidateTags`. */
    publish: async (tagPrefix: string, count: number, paceMs: number): Promise<Sent> => {
      const sent: number[] = [];
      const resolved: number[] = [];
      const start = now();
      for (let i = 0; i < count; i++) {
        if (paceMs > 0) await until(start + i * paceMs);
        sent.push(now());
        await publisher.publish(RAW_CHANNEL, `${tagPrefix}${i}`);
        resolved.push(now());
      }
      return { sent, resolved };
    },
    /** At the shared time `at`, `callers` concurrent calls of the 50 ms method for the cold key `round`. */
    stampede: async (round: number, callers: number, at: number): Promise<StampedeRun> => {
      await until(at);
      const latencies: number[] = new Array<number>(callers);
      const calls: Promise<void>[] = [];
      for (let c = 0; c < callers; c++) {
        const started = now();
        calls.push(slow.load(round).then(() => void (latencies[c] = now() - started)));
      }
      await Promise.all(calls);
      return { latencies, runs: runs.get(round) ?? 0 };
    },
    /** Creates BentoCache with its bus; remote deletes of keys under the current prefix are then noted like invalidations. */
    prepareBus: async () => {
      bus ??= await (await import('./peer-bus.js')).createPeerBus(init.redisUrl, (keys) => {
        if (prefix === undefined) return;
        const at = now();
        for (const key of keys) if (key.startsWith(prefix)) received.set(key, at);
      });
    },
    /** The same as `invalidate`, with BentoCache's `delete({ key })` of `<tagPrefix><i>` in place of `invalidateTags`. */
    bentoDelete: async (tagPrefix: string, count: number, paceMs: number): Promise<Sent> => {
      if (bus === undefined) throw new Error('bentoDelete before prepareBus');
      const sent: number[] = [];
      const resolved: number[] = [];
      const start = now();
      for (let i = 0; i < count; i++) {
        if (paceMs > 0) await until(start + i * paceMs);
        sent.push(now());
        await bus.delete(`${tagPrefix}${i}`);
        resolved.push(now());
      }
      return { sent, resolved };
    },
    /** Creates the peers' caches (their clients connect now, not during the first timed key). */
    preparePeers: async () => {
      peers ??= (await import('./peer-stampede.js')).createPeerLoaders(init.redisUrl, init.namespace, async (peer, round) => {
        const key = `${peer}:${round}`;
        peerRuns.set(key, (peerRuns.get(key) ?? 0) + 1);
        await sleep(init.methodMs);
        return { round, by: process.pid };
      });
    },
    /** `stampede` through a peer: at `at`, `callers` concurrent reads of the cold key `round` through `peer`. */
    peerStampede: async (peer: StampedePeer, round: number, callers: number, at: number): Promise<StampedeRun> => {
      if (peers === undefined) throw new Error('peerStampede before preparePeers');
      const loaders = peers;
      await until(at);
      const latencies: number[] = new Array<number>(callers);
      const calls: Promise<void>[] = [];
      // A peer's failure is its row's finding, not the end of the run: counted, and its first message kept.
      let failed = 0;
      let failure: string | undefined;
      for (let c = 0; c < callers; c++) {
        const started = now();
        calls.push(
          loaders.load(peer, round).then(
            () => void (latencies[c] = now() - started),
            (error: unknown) => {
              failed++;
              failure ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
            },
          ),
        );
      }
      await Promise.all(calls);
      return { latencies: latencies.filter((ms) => ms !== undefined), runs: peerRuns.get(`${peer}:${round}`) ?? 0, failed, ...(failure === undefined ? {} : { failure }) };
    },
    stats: async () => ({ ...cache.stats(), errorEvents: errors }),
    close: async () => {
      await cache.close();
      await Promise.all([publisher.quit(), subscriber.quit(), peers?.close(), bus?.close()]);
    },
  };
}
