import { performance } from 'node:perf_hooks';
import type { Cluster, Redis } from 'ioredis';
import { startCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startReplica, type Replica } from '../helpers/replica.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import type { ShopInit, Target } from './fixtures/shop-replica.js';

/**
 * The rig of spec/replicas: three shop replicas (real child processes) on one private Redis or a
 * private three-master cluster, started in one `before` and torn down in one `after`, in the
 * right order (replicas, then proxy, then servers), so no replica outlives its Redis.
 */

export const SHOP = new URL('./fixtures/shop-replica.js', import.meta.url);

/** Wall-clock milliseconds with sub-millisecond precision, as the replicas record them. */
export const now = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface ShopOptions {
  kind: 'redis' | 'cluster';
  /** Indexes of the replicas whose cache connection goes through the TCP proxy. @default [] */
  proxied?: number[];
  /** The database on a Redis of its own, so the cache's Redis can be killed without losing it. @default false */
  separateDb?: boolean;
  /** Init options for every replica. */
  init?: Partial<ShopInit>;
}

export interface Shop {
  readonly kind: 'redis' | 'cluster';
  readonly namespace: string;
  /** A, B and C. */
  readonly replicas: Replica[];
  /** The cache's Redis (single-server kind only). */
  readonly redis: RedisServer | undefined;
  readonly cluster: RedisCluster | undefined;
  /** In front of the cache's Redis for the `proxied` replicas (single-server kind only). */
  readonly proxy: TcpProxy | undefined;
  /** The init of one more replica on the same Redis and database (direct, not proxied). */
  initFor(name: string, extra?: Partial<ShopInit>): ShopInit;
  /** A raw client on the cache's Redis (closed with it). */
  raw(): Redis | Cluster;
  /** Publishes `text` on the bus channel with a raw client, as the engine would (SPUBLISH on a cluster). */
  publishRaw(text: string): Promise<void>;
}

let suites = 0;

export function useShop(options: ShopOptions): () => Shop {
  let shop: Shop | undefined;
  let servers: { stop(): Promise<void> }[] = [];
  let proxy: TcpProxy | undefined;
  let replicas: Replica[] = [];

  before(async function () {
    this.timeout(40_000);
    const namespace = `shop${process.pid}x${++suites}`;
    let redis: RedisServer | undefined;
    let cluster: RedisCluster | undefined;
    let cache: Target;
    let db: Target;
    if (options.kind === 'redis') {
      redis = await startRedis();
      servers.push(redis);
      cache = { redis: redis.url };
      db = cache;
      if (options.separateDb === true) {
        const dbServer = await startRedis();
        servers.push(dbServer);
        db = { redis: dbServer.url };
      }
      if ((options.proxied ?? []).length > 0) proxy = await startProxy(redis.port);
    } else {
      cluster = await startCluster();
      servers.push(cluster);
      cache = { cluster: cluster.nodes.map(({ host, port }) => ({ host, port })) };
      db = cache;
    }
    const initFor = (name: string, extra: Partial<ShopInit> = {}): ShopInit => ({ name, namespace, l2: cache, db, ...options.init, ...extra });
    const started = await Promise.allSettled(
      ['A', 'B', 'C'].map((name, index) =>
        startReplica(SHOP, initFor(name, options.proxied?.includes(index) === true ? { l2: { redis: `redis://127.0.0.1:${proxy!.port}` } } : {}), { readyTimeoutMs: 20_000 }),
      ),
    );
    replicas = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    let rawClient: Redis | Cluster | undefined;
    const raw = (): Redis | Cluster => (rawClient ??= redis !== undefined ? redis.client() : cluster!.client());
    shop = {
      kind: options.kind,
      namespace,
      replicas,
      redis,
      cluster,
      proxy,
      initFor,
      raw,
      async publishRaw(text) {
        const client = raw();
        const heard = Number(options.kind === 'cluster' ? await client.spublish(`${namespace}:bus`, text) : await client.publish(`${namespace}:bus`, text));
        // Pub/sub delivers to the subscribers of the moment only: say so if a replica was not one.
        if (heard < replicas.length) throw new Error(`a raw bus message reached ${heard} subscriber(s), not the ${replicas.length} replicas`);
      },
    };
  });

  after(async function () {
    this.timeout(30_000);
    const closed = await Promise.allSettled(replicas.map((replica) => replica.close()));
    await proxy?.close();
    for (const server of servers.reverse()) await server.stop();
    servers = [];
    const failed = closed.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  });

  return () => {
    if (shop === undefined) throw new Error('useShop(): the shop is only available once `before` has run');
    return shop;
  };
}

/** The `p`-th percentile (0..100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const ms = (value: number): string => `${value.toFixed(1)} ms`;
