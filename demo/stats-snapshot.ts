import type { CacheEngine, CacheStats } from '../lib/index.js';
import type { HttpCacheMiddleware } from '../lib/koa/index.js';

/** Who a replica is, for the stats page and `/stats/all`. */
export interface ReplicaInfo {
  readonly id: string;
  /** `null` until the app listens through `ShopApp.listen`. */
  readonly port: number | null;
  readonly pid: number;
  readonly startedAt: string;
  readonly uptimeMs: number;
  /** Where the products live: one Redis hash for all replicas, or this process's memory. */
  readonly products: 'redis' | 'memory';
}

/** The HTTP side: every response `httpCache` saw, and the work it did to build representations. */
export interface HttpCounters {
  readonly requests: number;
  /** Responses by status code (errors included). */
  readonly statuses: Readonly<Record<string, number>>;
  readonly ok: number;
  readonly notModified: number;
  readonly preconditionFailed: number;
  readonly tooManyRequests: number;
  /** Bodies turned into JSON bytes, hashed into an ETag, compressed: a 304 from L1 adds none. */
  readonly serialized: number;
  readonly hashed: number;
  readonly compressed: number;
}

/** `GET /stats`: one replica's numbers at one moment. */
export interface StatsSnapshot {
  readonly replica: ReplicaInfo;
  /** When the snapshot was taken (epoch ms), so a reader can turn two of them into rates. */
  readonly at: number;
  readonly cache: CacheStats;
  readonly http: HttpCounters;
}

/** What a snapshot is taken from. */
export interface SnapshotSources {
  readonly cache: CacheEngine;
  readonly http: HttpCacheMiddleware;
  readonly products: ReplicaInfo['products'];
  readonly startedAt: number;
  readonly replicaId: () => string;
  readonly port: () => number | null;
}

/** Reads every counter now: cheap (plain fields), so `/stats` needs no caching. */
export function takeSnapshot(sources: SnapshotSources): StatsSnapshot {
  const now = Date.now();
  const http = sources.http.stats();
  const count = (status: number): number => http.statuses[status] ?? 0;
  return {
    replica: {
      id: sources.replicaId(),
      port: sources.port(),
      pid: process.pid,
      startedAt: new Date(sources.startedAt).toISOString(),
      uptimeMs: now - sources.startedAt,
      products: sources.products,
    },
    at: now,
    cache: sources.cache.stats(),
    http: {
      requests: http.requests,
      statuses: http.statuses,
      ok: count(200),
      notModified: count(304),
      preconditionFailed: count(412),
      tooManyRequests: count(429),
      serialized: http.serialized,
      hashed: http.hashed,
      compressed: http.compressed,
    },
  };
}
