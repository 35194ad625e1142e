import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import Koa from 'koa';
import compress from 'koa-compress';
import type { Registry } from 'prom-client';
import { createCache, type CacheEngine, type Duration } from '../lib/index.js';
import { httpCache, type HttpCacheMiddleware } from '../lib/koa/index.js';
import { createAccountService } from './account-service.js';
import { checkReplicaId, DemoConfigError, resolveShopSettings, type ShopSettings } from './config.js';
import { jsonErrors } from './json-errors.js';
import { createMetrics } from './metrics.js';
import { MemoryProductRepository, SlowRepository, type ProductRepository } from './product-repository.js';
import { createProductService } from './product-service.js';
import { RedisProductRepository } from './redis-product-repository.js';
import { CACHE_NAMESPACE } from './redis-keys.js';
import { createSearchService } from './search-service.js';
import { shopRoutes, type ShopServices } from './shop-routes.js';
import { StatsBoard } from './stats-board.js';
import { statsRoutes } from './stats-routes.js';
import { takeSnapshot, type StatsSnapshot } from './stats-snapshot.js';

/** Options of {@link createShopApp}: DEMO.md's settings, as values rather than environment variables. */
export interface ShopAppOptions {
  /**
   * The Redis of L2, the invalidation bus, the rate limits, the products and the stats board.
   * @default none: L1 only, products in this process's memory, `/stats/all` this replica only
   */
  redisUrl?: string;
  /** Requests per window for `GET /search`, per client. @default 60 */
  rateLimit?: number;
  /** The window of that limit. @default '60s' */
  rateWindow?: Duration;
  /** Milliseconds the simulated database takes per query. @default 50 */
  slowMs?: number;
  /** This replica's id in `/stats` and `/stats/all`. @default the port, once `listen` has one */
  replicaId?: string;
}

/** A running shop: the Koa app and everything that has to be closed with it. */
export interface ShopApp {
  readonly app: Koa;
  readonly cache: CacheEngine;
  /** The `httpCache` middleware, whose `stats()` counts responses by status. */
  readonly http: HttpCacheMiddleware;
  readonly repository: ProductRepository;
  readonly services: ShopServices;
  readonly metrics: Registry;
  readonly settings: ShopSettings;
  /** The id given, else the port once `listen` has one; `undefined` before that. */
  readonly replicaId: string | undefined;
  /** What `GET /stats` returns now. */
  snapshot(): StatsSnapshot;
  /**
   * Listens on `host:port` (0: a free port), takes the port as replica id if none was given, and
   * starts publishing this replica's stats for `/stats/all`.
   */
  listen(port?: number, host?: string): Promise<{ server: Server; port: number; url: string }>;
  /** Stops the server (if listening), the stats board, the cache and the Redis connection. Idempotent. */
  close(): Promise<void>;
}

/** How long a replica waits for Redis at start-up before giving up with a clear message. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long `close` lets requests in flight finish before it cuts their connections. */
const CLOSE_GRACE_MS = 2_000;

/**
 * Builds the shop of DEMO.md: the services with their decorators, the routes, and the
 * middleware in the order the contract fixes: `compress()` outermost, then `httpCache`, then
 * the routes (with `jsonErrors` just above them, inside `httpCache`, so every status still
 * passes through its counters).
 *
 * With `redisUrl`, it connects, seeds the products (idempotently: replicas may start together)
 * and waits for the cache's `ready()`, since L1 is only trusted once the invalidation bus is up.
 */
export async function createShopApp(options: ShopAppOptions = {}): Promise<ShopApp> {
  const settings = resolveShopSettings(options);
  let replicaId = options.replicaId === undefined ? undefined : checkReplicaId(options.replicaId, 'replicaId');
  const startedAt = Date.now();

  const redis = options.redisUrl === undefined ? undefined : await connect(options.redisUrl);
  let cache: CacheEngine | undefined;
  try {
    let table: ProductRepository;
    if (redis === undefined) {
      table = new MemoryProductRepository();
    } else {
      const shared = new RedisProductRepository(redis);
      await shared.seed();
      table = shared;
    }
    const repository = new SlowRepository(table, settings.slowMs);

    // The cache opens its own connections (commands and the bus subscriber) from the URL; the
    // repository's client above stands for the application's database connection.
    cache = createCache({ namespace: CACHE_NAMESPACE, l2: options.redisUrl === undefined ? false : { redis: options.redisUrl } });
    await cache.ready();

    const http = httpCache({ cache });
    const services: ShopServices = {
      products: createProductService(cache, repository),
      accounts: createAccountService(cache, settings.slowMs),
      search: createSearchService(cache, repository, settings.rateLimit, settings.rateWindow),
    };

    let port: number | null = null;
    const engine = cache;
    const snapshot = (): StatsSnapshot =>
      takeSnapshot({ cache: engine, http, products: table.kind, startedAt, replicaId: () => replicaId ?? `pid-${process.pid}`, port: () => port });
    const board = new StatsBoard(redis, snapshot);
    const metrics = createMetrics(cache, http);
    const shop = shopRoutes(services);
    const stats = statsRoutes(snapshot, board, metrics);

    const app = new Koa();
    app.use(compress());
    app.use(http);
    app.use(jsonErrors());
    app.use(shop.routes());
    app.use(stats.routes());
    app.use(shop.allowedMethods());
    app.use(stats.allowedMethods());

    const startPublishing = (id: string): void => {
      metrics.setDefaultLabels({ replica: id });
      board.start(id);
    };
    if (replicaId !== undefined) startPublishing(replicaId);

    let server: Server | undefined;
    let closing: Promise<void> | undefined;
    return {
      app,
      cache,
      http,
      repository,
      services,
      metrics,
      settings,
      get replicaId() {
        return replicaId;
      },
      snapshot,
      async listen(wanted = 0, host = '127.0.0.1') {
        if (server !== undefined) throw new Error('this shop is already listening');
        const handle = app.callback();
        const listening = createServer((request, response) => void handle(request, response));
        await new Promise<void>((resolve, reject) => {
          listening.once('error', (error: NodeJS.ErrnoException) => {
            reject(error.code === 'EADDRINUSE' ? new DemoConfigError(`port ${wanted} is in use: set PORT to another port, or to 0 for a free one`, { cause: error }) : error);
          });
          listening.listen(wanted, host, () => resolve());
        });
        server = listening;
        port = (server.address() as AddressInfo).port;
        if (replicaId === undefined) {
          replicaId = String(port);
          startPublishing(replicaId);
        }
        return { server, port, url: `http://${host}:${port}` };
      },
      close() {
        return (closing ??= (async () => {
          if (server !== undefined) await closeServer(server);
          await board.close();
          await engine.close();
          await redis?.quit().catch(() => redis.disconnect());
        })());
      },
    };
  } catch (error) {
    await cache?.close();
    redis?.disconnect();
    throw error;
  }
}

/** The application's own Redis connection, or a clear error when Redis does not answer. */
async function connect(url: string): Promise<Redis> {
  // One retry per command: a request fails fast when Redis is gone instead of hanging.
  const redis = new Redis(url, { connectionName: 'tiercache-demo', lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: CONNECT_TIMEOUT_MS });
  // ioredis reports connection errors as events (and retries): the failed `connect()` below says
  // it once, with the cause; later outages show as failed requests and in /stats.
  let cause: Error | undefined;
  redis.on('error', (error: Error) => void (cause ??= error));
  try {
    await redis.connect();
    return redis;
  } catch (error) {
    redis.disconnect();
    throw new DemoConfigError(`cannot reach Redis at ${url}: ${(cause ?? (error as Error)).message}`, { cause: cause ?? error });
  }
}

/** Stops accepting connections, lets requests in flight finish (briefly), then cuts the rest. */
async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
  await closed;
  clearTimeout(timer);
}
