import { expect } from 'chai';
import {
  createCache,
  peekRateLimit,
  RateLimited,
  RateLimitError,
  RateLimitUnavailableError,
  type CacheEngine,
  type OnRedisDown,
} from '../../lib/index.js';
import { nextEvent } from '../helpers/engines.js';
import { waitFor } from '../helpers/events.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { quiet, rejectionOf, wallNow } from './helpers.js';

/**
 * Redis killed (or frozen) in the middle of a run, for each `onRedisDown` policy: 'local' keeps
 * limiting in this process, 'allow' lets calls through, 'deny' refuses them at once with
 * RateLimitUnavailableError; no call waits longer than `redisTimeout`; after a restart the shared
 * limit in Redis is used again.
 */
const REDIS_TIMEOUT_MS = 1000;
/** What "at once" means: well under REDIS_TIMEOUT_MS. */
const FAST_MS = 50;

describe('@RateLimited when Redis goes down', function () {
  this.timeout(20_000);
  let server: RedisServer;
  const engines: CacheEngine[] = [];
  let run = 0;

  beforeEach(async () => {
    server = await startRedis();
    run++;
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.close()));
    await server.stop();
  });

  async function engine(): Promise<CacheEngine> {
    const cache = quiet(
      createCache({ namespace: `rldown${process.pid}x${run}`, l2: { redis: server.url }, defaults: { redisTimeout: REDIS_TIMEOUT_MS }, breaker: { cooldown: '200ms' } }),
    );
    engines.push(cache);
    expect(await cache.ready()).to.deep.equal({ l2: 'connected', bus: 'connected' });
    return cache;
  }

  const l2State = (cache: CacheEngine): string | undefined => {
    const l2 = cache.stats().l2;
    return l2 === false ? undefined : l2.state;
  };

  /** Kills Redis and resolves once every engine has noticed. */
  async function killRedis(): Promise<void> {
    const noticed = engines.map((cache) => nextEvent(cache, 'bus:disconnect'));
    await server.kill();
    await Promise.all(noticed);
    for (const cache of engines) await waitFor(() => l2State(cache) === 'unavailable', { what: 'the engine to see Redis down' });
  }

  /** Restarts Redis (empty) and resolves once every engine uses it again. */
  async function restartRedis(): Promise<void> {
    const connected = engines.map((cache) => nextEvent(cache, 'bus:connect'));
    await server.restart();
    await Promise.all(connected);
    for (const cache of engines) await waitFor(() => l2State(cache) === 'connected', { what: 'the engine to use Redis again', timeoutMs: 10_000 });
  }

  /** A service whose engine is looked up at each call (`current`), so that two engines can share its policy. */
  function service(onRedisDown: OnRedisDown, limit: number) {
    const state = { current: undefined as CacheEngine | undefined, calls: 0 };
    class Api {
      @RateLimited({ limit, window: '1m', onRedisDown, cache: () => state.current! })
      async get(): Promise<number> {
        return ++state.calls;
      }

      /** Generous, for the traffic that runs while Redis dies. */
      @RateLimited({ limit: 100_000, window: '1m', onRedisDown, cache: () => state.current! })
      async ping(): Promise<void> {}
    }
    return Object.assign(state, { api: new Api() });
  }

  /** Calls `call` `n` times in a row; how many passed, how many were refused, and the slowest call. */
  async function fire(n: number, call: () => Promise<unknown>): Promise<{ admitted: number; refused: number; slowestMs: number; errors: unknown[] }> {
    const result = { admitted: 0, refused: 0, slowestMs: 0, errors: [] as unknown[] };
    for (let i = 0; i < n; i++) {
      const started = wallNow();
      try {
        await call();
        result.admitted++;
      } catch (error) {
        if (error instanceof RateLimitError) result.refused++;
        else result.errors.push(error);
      }
      result.slowestMs = Math.max(result.slowestMs, wallNow() - started);
    }
    return result;
  }

  /** Runs `ping` every few ms until stopped: traffic in flight while Redis dies and comes back. */
  function background(call: () => Promise<unknown>): { stop(): Promise<{ calls: number; slowestMs: number; errors: unknown[] }> } {
    let running = true;
    const loop = (async () => {
      const result = { calls: 0, slowestMs: 0, errors: [] as unknown[] };
      while (running) {
        const started = wallNow();
        await call().catch((error: unknown) => result.errors.push(error));
        result.calls++;
        result.slowestMs = Math.max(result.slowestMs, wallNow() - started);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      return result;
    })();
    return {
      stop: () => {
        running = false;
        return loop;
      },
    };
  }

  it("'local': the in-process limiter takes over (limit more in a fresh bucket); after a restart the shared count is back", async () => {
    const s = service('local', 5);
    const [a, b] = [await engine(), await engine()];
    s.current = a;
    expect((await fire(3, () => s.api.get())).admitted).to.equal(3);
    expect(await peekRateLimit(s.api.get)).to.deep.include({ remaining: 2, source: 'redis' });

    const traffic = background(() => s.api.ping());
    await killRedis();
    const down = await fire(8, () => s.api.get());
    expect(down, 'with Redis down').to.deep.include({ admitted: 5, refused: 3, errors: [] });
    expect(down.slowestMs, 'slowest call with Redis down').to.be.below(FAST_MS);
    expect(await peekRateLimit(s.api.get)).to.deep.include({ allowed: false, remaining: 0, source: 'local' });

    await restartRedis();
    const during = await traffic.stop();
    expect(during.errors, 'traffic while Redis died and came back').to.deep.equal([]);
    expect(during.slowestMs, 'no call waited longer than redisTimeout').to.be.below(REDIS_TIMEOUT_MS + 100);
    expect(during.calls).to.be.above(0);

    // The restarted Redis is empty: a full shared bucket, counted in Redis for both engines.
    expect(await peekRateLimit(s.api.get)).to.deep.include({ allowed: true, remaining: 5, source: 'redis' });
    expect((await fire(2, () => s.api.get())).admitted).to.equal(2);
    s.current = b;
    expect(await peekRateLimit(s.api.get), 'the second engine').to.deep.include({ remaining: 3, source: 'redis' });
    expect(await fire(4, () => s.api.get()), 'through the second engine').to.deep.include({ admitted: 3, refused: 1 });
    s.current = a;
    expect(await fire(1, () => s.api.get()), 'back on the first').to.deep.include({ admitted: 0, refused: 1 });
    expect(s.calls).to.equal(3 + 5 + 2 + 3);
  });

  it("'allow': calls pass while Redis is down; after a restart the limit applies again", async () => {
    const s = service('allow', 2);
    s.current = await engine();
    expect(await fire(3, () => s.api.get())).to.deep.include({ admitted: 2, refused: 1 });

    await killRedis();
    const down = await fire(20, () => s.api.get());
    expect(down, 'with Redis down').to.deep.include({ admitted: 20, refused: 0, errors: [] });
    expect(down.slowestMs).to.be.below(FAST_MS);
    expect(await peekRateLimit(s.api.get)).to.deep.include({ allowed: true, remaining: 2, source: 'none' });

    await restartRedis();
    expect(await fire(3, () => s.api.get()), 'after the restart').to.deep.include({ admitted: 2, refused: 1 });
    expect(await peekRateLimit(s.api.get)).to.deep.include({ allowed: false, source: 'redis' });
  });

  it("'deny': calls fail at once with RateLimitUnavailableError while Redis is down; after a restart they pass", async () => {
    const s = service('deny', 5);
    s.current = await engine();
    await s.api.get();

    await killRedis();
    for (let i = 0; i < 10; i++) {
      const started = wallNow();
      const error = (await rejectionOf(s.api.get())) as RateLimitUnavailableError;
      expect(wallNow() - started, 'a refusal with Redis down').to.be.below(FAST_MS);
      expect(error).to.be.instanceOf(RateLimitUnavailableError);
      expect(error.code).to.equal('ERR_RATE_LIMIT_UNAVAILABLE');
      expect(error.policy).to.deep.equal({ name: 'get', limit: 5, windowMs: 60_000 });
    }
    expect(await rejectionOf(peekRateLimit(s.api.get))).to.be.instanceOf(RateLimitUnavailableError);
    expect(s.calls, 'the method never ran while Redis was down').to.equal(1);

    await restartRedis();
    expect(await fire(6, () => s.api.get()), 'after the restart').to.deep.include({ admitted: 5, refused: 1, errors: [] });
    expect(await peekRateLimit(s.api.get)).to.deep.include({ source: 'redis' });
  });

  it("'deny' with Redis frozen (SIGSTOP): the first calls wait redisTimeout at most, then the open breaker refuses at once", async () => {
    const s = service('deny', 100);
    s.current = await engine();
    const reported: string[] = [];
    s.current.on('error', (_error, context) => reported.push(context.operation));
    await s.api.get();

    server.pause();
    try {
      // Three timeouts (the breaker's threshold) open the breaker.
      const started = wallNow();
      const first = await Promise.all([0, 1, 2].map(() => rejectionOf(s.api.get())));
      const waited = wallNow() - started;
      for (const error of first) expect(error).to.be.instanceOf(RateLimitUnavailableError);
      // Each timeout is an 'error' event naming the script (docs/rate-limiting-failure-modes.md).
      expect(reported.filter((operation) => operation === 'redis:ratelimit:token-bucket')).to.have.length(3);
      expect(waited, 'the first calls waited redisTimeout, no more').to.be.within(REDIS_TIMEOUT_MS - 50, REDIS_TIMEOUT_MS + 200);
      for (let i = 0; i < 10; i++) {
        const t = wallNow();
        expect(await rejectionOf(s.api.get())).to.be.instanceOf(RateLimitUnavailableError);
        expect(wallNow() - t, 'a refusal once the breaker is open').to.be.below(FAST_MS);
      }
    } finally {
      server.resume();
    }
    // The breaker lets a probe through after its cooldown; its success closes it.
    await waitFor(
      async () => {
        await s.api.get();
        return true;
      },
      { what: 'a call to pass once Redis answers again', timeoutMs: 5000, intervalMs: 50 },
    );
    expect(await peekRateLimit(s.api.get)).to.deep.include({ source: 'redis' });
  });
});
