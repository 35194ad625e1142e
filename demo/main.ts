/**
 * `npm run demo`: one replica of the Koa shop (DEMO.md), on PORT (default 3000).
 *
 * Redis: `REDIS_URL` if set; else a private `redis-server` on a free port (if one is on the PATH),
 * stopped on exit; else L1 only, said in one line. Settings: PORT (0: a free port),
 * DEMO_RATE_LIMIT, DEMO_RATE_WINDOW, DEMO_SLOW_MS, DEMO_REPLICA_ID (default: the port).
 *
 * For whoever starts it (`demo/replicas.ts`, the end-to-end tests): once listening it prints
 * `tiercache demo listening on http://127.0.0.1:<port>` and, with an IPC channel, sends
 * `{ type: 'listening', port, replicaId }`. On SIGTERM or SIGINT it closes the server, the cache,
 * its Redis connections and timers, stops the Redis it started, and exits 0.
 */
import { createShopApp, type ShopApp } from './app.js';
import { DemoConfigError, replicaSettingsFromEnv } from './config.js';
import { chooseRedis, type RedisChoice } from './redis-choice.js';

/** A stuck close (a Redis that hangs) must not keep a stopped replica around forever. */
const SHUTDOWN_LIMIT_MS = 10_000;

/** What a parent process receives over IPC once this replica listens. */
export interface ListeningMessage {
  type: 'listening';
  port: number;
  replicaId: string;
}

async function main(): Promise<void> {
  const settings = replicaSettingsFromEnv();
  let redis: RedisChoice | undefined;
  let shop: ShopApp | undefined;
  let stopping = false;

  const start = async (): Promise<void> => {
    redis = await chooseRedis();
    if (stopping) return;
    console.log(redis.url === undefined ? `${redis.note} Products live in this process's memory, and /stats/all shows this replica only.` : redis.note);
    shop = await createShopApp({
      rateLimit: settings.rateLimit,
      rateWindow: settings.rateWindow,
      slowMs: settings.slowMs,
      ...(redis.url === undefined ? {} : { redisUrl: redis.url }),
      ...(settings.replicaId === undefined ? {} : { replicaId: settings.replicaId }),
    });
    if (stopping) return;
    const { port, url } = await shop.listen(settings.port);
    const replicaId = shop.replicaId!;
    // One line each way the bus changes: the moment replicas stop hearing each other matters.
    shop.cache.on('bus:disconnect', ({ reason }) => console.warn(`replica ${replicaId}: invalidation bus down (${reason}); L1 is not trusted until it is back`));
    shop.cache.on('bus:connect', () => console.log(`replica ${replicaId}: invalidation bus connected`));
    console.log(`tiercache demo listening on ${url}`);
    console.log(`replica ${replicaId}: search limited to ${settings.rateLimit} per ${String(settings.rateWindow)} per client, database ${settings.slowMs} ms per query, stats page ${url}/`);
    if (process.send !== undefined) {
      const message: ListeningMessage = { type: 'listening', port, replicaId };
      process.send(message);
    }
  };

  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      console.error(`tiercache demo: still closing after ${SHUTDOWN_LIMIT_MS} ms; exiting anyway`);
      process.exit(1);
    }, SHUTDOWN_LIMIT_MS).unref();
    console.log(`tiercache demo: ${signal}, closing`);
    // A signal during start-up waits for it, so what it opened is closed too.
    await started.catch(() => undefined);
    await shop?.close();
    await redis?.server?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // The IPC channel would keep the event loop alive; everything else is closed, so it exits 0.
    if (process.connected) process.disconnect();
  };
  const onSignal = (signal: NodeJS.Signals): void => void stop(signal);
  // Registered before anything starts, so a signal at any time closes what was opened.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = start();
  await started;
}

try {
  await main();
} catch (error) {
  // A bad setting or an unreachable Redis: one line, no stack.
  console.error(error instanceof DemoConfigError ? `tiercache demo: ${error.message}` : error);
  process.exit(1);
}
