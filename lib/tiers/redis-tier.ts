import { Cluster, Redis } from 'ioredis';
import type { L2Options } from '../engine/options.js';
import { CircuitBreaker, type BreakerState } from './circuit-breaker.js';
import type { Clock } from '../engine/clock.js';
import type { RedisScript } from './redis-script.js';

/** Returned instead of a value when Redis could not answer: down, slow, or skipped by the breaker. */
export const UNAVAILABLE: unique symbol = Symbol('tiercache.unavailable');
export type Unavailable = typeof UNAVAILABLE;

export interface RedisTierEvents {
  /** A command failed or timed out, or the connection reported an error. */
  error(error: unknown, operation: string): void;
  /** The connection is (again) ready: the engine re-reads what it caches about Redis. */
  ready(): void;
  breaker(state: BreakerState): void;
}

/**
 * L2 over ioredis. Every command is bounded by a timeout and guarded by a circuit breaker, and
 * none is sent while the connection is not ready: ioredis would otherwise hold it in its offline
 * queue, making the caller wait and, worse, replaying an old write after a reconnect.
 */
export class RedisTier {
  readonly client: Redis | Cluster;
  /** A Redis Cluster client (sharded pub/sub, one slot per command). */
  readonly isCluster: boolean;
  readonly #owned: boolean;
  readonly #breaker: CircuitBreaker;
  readonly #events: RedisTierEvents;
  readonly #listeners: [string, (...args: any[]) => void][] = [];

  constructor(options: L2Options, breaker: { threshold: number; cooldown: number; maxCooldown: number }, clock: Clock, events: RedisTierEvents) {
    this.#events = events;
    this.#breaker = new CircuitBreaker(breaker, clock, (state) => events.breaker(state));
    const { client, owned } = connect(options);
    this.client = client;
    this.isCluster = (client as { isCluster?: boolean }).isCluster === true;
    this.#owned = owned;
    this.#listen('ready', () => events.ready());
    // A closed connection will fail every command until it is back: open at once.
    this.#listen('close', () => this.#breaker.trip());
    // Only our own clients get an error listener: on a client we were given it would silence
    // ioredis's own reporting, which belongs to its owner.
    if (owned) this.#listen('error', (error: unknown) => events.error(error, 'connection'));
  }

  get breakerState(): BreakerState {
    return this.#breaker.state;
  }

  /** True when a command sent now would be sent at all (connection ready, breaker letting it through). */
  get usable(): boolean {
    return this.client.status === 'ready' && this.#breaker.passable;
  }

  /** The connection is back and answered: close the breaker without waiting for its cooldown. */
  recovered(): void {
    this.#breaker.success();
  }

  /** Resolves true once the connection is ready, false if it is not within `timeoutMs`. */
  ready(timeoutMs: number): Promise<boolean> {
    if (this.client.status === 'ready') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        resolve(ok);
      };
      const onReady = (): void => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.client.on('ready', onReady);
    });
  }

  /**
   * One GET per read, batched: the reads issued in one tick go out as one MGET (one round trip,
   * one timer) flushed on `process.nextTick`. On a cluster the keys of a tick live on different
   * slots, so each is a plain GET there.
   */
  get(key: string, timeoutMs: number): Promise<string | null | Unavailable> {
    if (this.isCluster) return this.#guard('get', timeoutMs, () => this.client.get(key));
    return new Promise((resolve) => {
      let batch = this.#batch;
      if (batch === undefined) {
        batch = this.#batch = { keys: [], resolvers: [], timeoutMs };
        process.nextTick(() => this.#flush());
      }
      batch.keys.push(key);
      batch.resolvers.push(resolve);
      if (timeoutMs < batch.timeoutMs) batch.timeoutMs = timeoutMs;
    });
  }

  #batch: { keys: string[]; resolvers: ((value: string | null | Unavailable) => void)[]; timeoutMs: number } | undefined;

  #flush(): void {
    const batch = this.#batch!;
    this.#batch = undefined;
    const { keys, resolvers } = batch;
    const read =
      keys.length === 1
        ? this.#guard('get', batch.timeoutMs, () => this.client.get(keys[0]!))
        : this.#guard('mget', batch.timeoutMs, () => this.client.mget(keys));
    void read.then((values) => {
      for (let i = 0; i < resolvers.length; i++) {
        resolvers[i]!(values === UNAVAILABLE ? UNAVAILABLE : Array.isArray(values) ? (values[i] ?? null) : values);
      }
    });
  }

  set(key: string, value: string, ttlMs: number, timeoutMs: number): Promise<'OK' | null | Unavailable> {
    return this.#guard('set', timeoutMs, () => this.client.set(key, value, 'PX', Math.max(1, Math.ceil(ttlMs))));
  }

  del(key: string, timeoutMs: number): Promise<number | Unavailable> {
    return this.#guard('del', timeoutMs, () => this.client.del(key));
  }

  incr(key: string, timeoutMs: number): Promise<number | Unavailable> {
    return this.#guard('incr', timeoutMs, () => this.client.incr(key));
  }

  /** Runs a Lua script on one key (so one slot on a cluster): EVALSHA, loaded once, reloaded after NOSCRIPT. */
  script(script: RedisScript, key: string, args: readonly (string | number)[], timeoutMs: number): Promise<unknown> {
    return this.#guard(script.name, timeoutMs, () => script.run(this.client, key, args));
  }

  /** PUBLISH, or SPUBLISH where the bus uses sharded pub/sub. */
  publish(channel: string, message: string, sharded: boolean, timeoutMs: number): Promise<number | Unavailable> {
    return this.#guard('publish', timeoutMs, () =>
      (sharded ? this.client.spublish(channel, message) : this.client.publish(channel, message)) as Promise<number>,
    );
  }

  /** Sends nothing when the breaker is open or the connection is not ready; never waits past `timeoutMs`. */
  #guard<T>(operation: string, timeoutMs: number, command: () => Promise<T>): Promise<T | Unavailable> {
    if (this.client.status !== 'ready') {
      this.#breaker.trip();
      return Promise.resolve(UNAVAILABLE);
    }
    if (!this.#breaker.allow()) return Promise.resolve(UNAVAILABLE);
    return new Promise<T | Unavailable>((resolve) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        this.#breaker.failure();
        this.#events.error(new Error(`Redis did not answer ${operation} within ${timeoutMs} ms`), operation);
        resolve(UNAVAILABLE);
      }, timeoutMs);
      command().then(
        (value) => {
          if (settled) return;
          clearTimeout(timer);
          this.#breaker.success();
          resolve(value);
        },
        (error: unknown) => {
          if (settled) return;
          clearTimeout(timer);
          this.#breaker.failure();
          this.#events.error(error, operation);
          resolve(UNAVAILABLE);
        },
      );
    });
  }

  /** Quits the connection if we opened it (bounded: a dead server gets a disconnect); never one we were given. */
  async close(timeoutMs: number): Promise<void> {
    for (const [event, listener] of this.#listeners) this.client.off(event, listener);
    if (!this.#owned) return;
    // A connection closed while its handshake runs still reports it: swallow what comes after close.
    this.client.on('error', () => {});
    if (this.client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.client.quit().catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.client.disconnect();
  }

  #listen(event: string, listener: (...args: any[]) => void): void {
    this.client.on(event, listener);
    this.#listeners.push([event, listener]);
  }
}

/** Options for the clients tiercache opens itself: fail fast instead of queueing, batch what can be batched. */
const OWNED_CLIENT_OPTIONS = {
  enableOfflineQueue: false,
  // Reads batch themselves into MGETs on nextTick; auto-pipelining would add a setImmediate wait on top.
  enableAutoPipelining: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2_000,
  retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
} as const;

function connect(options: L2Options): { client: Redis | Cluster; owned: boolean } {
  if ('redis' in options) {
    if (typeof options.redis !== 'string') return { client: options.redis, owned: false };
    return { client: new Redis(options.redis, OWNED_CLIENT_OPTIONS), owned: true };
  }
  if (!Array.isArray(options.cluster)) return { client: options.cluster as Cluster, owned: false };
  const cluster = new Cluster([...options.cluster], {
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    clusterRetryStrategy: OWNED_CLIENT_OPTIONS.retryStrategy,
    ...options.clusterOptions,
    redisOptions: { connectTimeout: 2_000, maxRetriesPerRequest: 1, ...options.clusterOptions?.redisOptions },
  });
  return { client: cluster, owned: true };
}
