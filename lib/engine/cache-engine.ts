import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Redis } from 'ioredis';
import { Bus } from '../bus/bus.js';
import { traceContext, traced, tracing, type TraceContext } from '../observability/tracing.js';
import type { BusMessage } from '../bus/bus-message.js';
import { RecoveryQueue, type RecoveryOp } from '../bus/recovery-queue.js';
import type { Codec } from '../codec/codec.js';
import { CacheConfigError, CacheKeyError, CacheTimeoutError, SerializationError } from '../errors.js';
import { Flight } from '../lock/flight.js';
import { ACQUIRE_LOCK, RELEASE_LOCK, RENEW_LOCK } from '../lock/lock-scripts.js';
import { BUMP_TAG, ENSURE_TAG, INITIAL_TAG_VERSION } from '../tags/tag-scripts.js';
import { TagMirror } from '../tags/tag-mirror.js';
import { MemoryTier } from '../tiers/memory-tier.js';
import type { RedisScript } from '../tiers/redis-script.js';
import { RedisTier, UNAVAILABLE } from '../tiers/redis-tier.js';
import { coarseClock, systemClock, type Clock } from './clock.js';
import { Entry } from './entry.js';
import { ShapeIndex } from './shape-index.js';
import { readEnvelope, writeEnvelope, type EnvelopeHeader } from './envelope.js';
import { checkTag, resolveCacheOptions, resolveEntryOptions, type CacheOptions, type EntryOptions, type Logger, type ResolvedCacheOptions, type ResolvedEntryOptions } from './options.js';
import { RefreshState, runWithRefreshContext } from './refresh-context.js';
import { Counters, type CacheStats, type MethodStats } from './stats.js';

/** Payloads of the events of {@link CacheEngine.on}. */
export interface CacheEvents {
  hit: [{ key: string; tier: 'l1' | 'l2'; method: string | undefined }];
  miss: [{ key: string; method: string | undefined }];
  stale: [{ key: string; method: string | undefined }];
  set: [{ key: string; source: 'set' | 'method' }];
  invalidate: [{ keys?: readonly string[]; tags?: readonly string[]; reason: 'delete' | 'set' | 'clear' | 'tags'; remote: boolean }];
  error: [error: Error, context: { operation: string; key?: string; method?: string }];
  'bus:connect': [];
  'bus:disconnect': [{ reason: string }];
  'redis:replaced': [{ previousRunId: string; runId: string }];
}
export type CacheEventName = keyof CacheEvents;

/** What `ready()` found. */
export interface ReadyState {
  l2: 'connected' | 'unavailable' | 'disabled';
  bus: 'connected' | 'unavailable' | 'disabled';
}

/**
 * How one call wants its value loaded: the method to run and what to do with its result.
 * Built on an L1 miss only.
 * @internal
 */
export interface Load {
  readonly run: () => unknown;
  /** `condition` of `@Cached`: false means return the result without storing it. */
  readonly accept: ((result: unknown) => boolean) | undefined;
  readonly cacheUndefined: boolean;
  readonly freeze: boolean;
  readonly counters: Counters;
  readonly method: string | undefined;
  /** The per-method index of `@Cached` to link the entry into, with the raw argument as its key. */
  readonly index: Map<unknown, Entry> | undefined;
  readonly indexKey: unknown;
  /** The context of the traced operation this load serves; `undefined` while nobody traces. */
  readonly trace: TraceContext | undefined;
}

/** Options of `get`. */
export interface GetOptions {
  /** Also return a value past its ttl (within grace). @default false */
  allowStale?: boolean;
}

/** Bounds of the internal structures. */
const MAX_MIRRORED_TAGS = 100_000;
const MAX_RECOVERY_OPS = 10_000;
/** Lock waiters re-check L2 after this long if no "filled" message woke them, doubling up to the max. */
const LOCK_BACKOFF_MS = 50;
const LOCK_BACKOFF_MAX_MS = 400;
/** Tag keys live at least this long past the entries that carry them, so a slow method cannot outlive its tag. */
const TAG_LIFETIME_MARGIN_MS = 60_000;

/**
 * The two-tier cache: L1 (lru-cache, this process) over L2 (Redis), kept consistent across
 * replicas by a pub/sub bus, tag versions and a distributed lock. Create one with
 * {@link createCache}; the decorators are built on its `getOrSet`.
 */
export class CacheEngine {
  readonly options: ResolvedCacheOptions;
  /** Read on the L1 hit path; coarse unless a clock was injected. @internal */
  readonly hotClock: Clock;
  /**
   * Bumped whenever an L1 entry may have become invalid without being deleted: a tag version
   * changed, L1 stopped (or started) being trusted. A hit whose entry carries the current epoch
   * is valid without looking at its tags, so tags cost a hit nothing. @internal
   */
  epoch = 0;
  /** True while someone listens to `hit`: the hit path reads this instead of asking the emitter. @internal */
  observeHits = false;
  readonly #clock: Clock;
  readonly #codec: Codec;
  readonly #random: () => number;
  readonly #logger: Logger | undefined;
  readonly #l1: MemoryTier | undefined;
  readonly #l2: RedisTier | undefined;
  readonly #bus: Bus | undefined;
  readonly #mirror = new TagMirror(MAX_MIRRORED_TAGS);
  readonly #recovery = new RecoveryQueue(MAX_RECOVERY_OPS);
  readonly #emitter = new EventEmitter();
  readonly #flights = new Map<string, Flight>();
  /** The L2 reads of `get()` under way, by key, so an invalidation can stop their L1 fill. */
  readonly #readers = new Map<string, Set<Flight>>();
  readonly #fillWaiters = new Map<string, Set<() => void>>();
  readonly #direct = new Counters();
  readonly #methods = new Map<string, Counters>();
  readonly #indexes = new Map<string, Map<unknown, Entry>>();
  readonly #shapes = new Map<string, ShapeIndex>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #instanceId = randomBytes(9).toString('base64url');
  #generation: number | undefined;
  #keyPrefix = '';
  #errors = 0;
  #closed = false;
  /** May L1 be served? Always without a bus; with one, while it is up and for maxStaleness after. */
  #l1Trusted: boolean;
  #distrustTimer: NodeJS.Timeout | undefined;
  #busWasUp = false;
  /** The `run_id` of the server the L2 connection reached, learned at each (re)connection; see #checkRunId. */
  #runId: string | undefined;
  /** Counts L2 (re)connections, so a run_id read on one connection is never compared with another's. */
  #connection = 0;
  /** The connection whose run_id is known or being read (-1: none). */
  #runIdConnection = -1;
  /** INFOs sent and not settled: the check sends none while one is, even on a connection that stopped answering. */
  #runIdReads = 0;
  /** The server refused INFO (an ACL, a renamed command): no check for this engine's life. */
  #runIdRefused = false;

  constructor(raw: CacheOptions) {
    const options = resolveCacheOptions(raw);
    this.options = options;
    this.#clock = options.clock ?? systemClock;
    if (options.clock === undefined) {
      coarseClock.acquire();
      this.hotClock = coarseClock;
    } else {
      this.hotClock = options.clock;
    }
    this.#codec = options.codec;
    this.#random = options.random;
    this.#logger = options.logger;
    this.#emitter.on('newListener', (event: string) => {
      if (event === 'hit') this.observeHits = true;
    });
    this.#emitter.on('removeListener', (event: string) => {
      if (event === 'hit') this.observeHits = this.#emitter.listenerCount('hit') > 0;
    });
    if (options.l1 !== false) this.#l1 = new MemoryTier(options.l1);
    // With a bus, L1 is trusted once the bus is up; before that, as while it is down, for maxStaleness at most.
    this.#l1Trusted = !options.bus || options.maxStaleness > 0;
    if (options.l2 !== false) {
      this.#l2 = new RedisTier(options.l2, options.breaker, this.#clock, {
        error: (error, operation) => this.#error(error, { operation: `redis:${operation}` }),
        ready: () => {
          this.#connection++;
          void this.#onRedisReady();
        },
        breaker: (state) => this.#logger?.info({ namespace: options.namespace, breaker: state }, `tiercache: Redis circuit breaker ${state}`),
      });
      if (options.bus) {
        this.#bus = new Bus(this.#l2, `${options.namespace}:bus`, this.#instanceId, {
          message: (message) => this.#onBusMessage(message),
          up: () => this.#onBusUp(),
          down: (reason) => this.#onBusDown(reason),
          error: (error, operation) => this.#error(error, { operation }),
          beat: () => void this.#checkRunId(),
        });
      }
      void this.#onRedisReady();
      if (this.#bus !== undefined && options.maxStaleness > 0) this.#distrustAfter(options.maxStaleness);
    }
  }

  /** The entry defaults after resolution (milliseconds). */
  get defaults(): ResolvedEntryOptions {
    return this.options.defaults;
  }

  /**
   * Waits (at most `redisTimeout`, for each of the connection and the bus) for L2 and the bus
   * and reports what it found. Never rejects for a down Redis: the engine works without it and
   * reconnects by itself. Call it at start-up: until the bus is up, L1 is not trusted.
   */
  async ready(): Promise<ReadyState> {
    const l2 = this.#l2;
    if (l2 === undefined) return { l2: 'disabled', bus: 'disabled' };
    const timeout = this.defaults.redisTimeout;
    if (await l2.ready(timeout)) {
      if (this.#generation === undefined) await this.#onRedisReady();
      if (this.#bus !== undefined && !this.#bus.up) await this.#waitFor('bus:connect', timeout);
    }
    return {
      l2: this.#l2Usable() ? 'connected' : 'unavailable',
      bus: this.#bus === undefined ? 'disabled' : this.#bus.up ? 'connected' : 'unavailable',
    };
  }

  /**
   * The value for `key`: from L1, else L2, else `factory()` run once per key however many
   * callers ask at once, on every replica together, then stored in both tiers.
   */
  getOrSet<T>(key: string, factory: () => Promise<T> | T, options?: EntryOptions): Promise<T> {
    let o: ResolvedEntryOptions;
    try {
      checkKey(key);
      o = options === undefined ? this.defaults : resolveEntryOptions(options, this.defaults, '');
    } catch (error) {
      return Promise.reject(error);
    }
    if (tracing.hasSubscribers) {
      const context = traceContext('getOrSet', undefined, key);
      return tracing.tracePromise(() => this.#getOrSet(key, factory, o, context), context) as Promise<T>;
    }
    return this.#getOrSet(key, factory, o, undefined) as Promise<T>;
  }

  #getOrSet(key: string, factory: () => unknown, o: ResolvedEntryOptions, trace: TraceContext | undefined): Promise<unknown> {
    // An L1 hit answers before the load description below is allocated.
    const hit = this.peek(key, o, this.#direct, undefined, undefined);
    if (hit !== undefined) {
      traced(trace, 'hit', 'l1');
      return hit;
    }
    return this.fetch(key, o, {
      run: factory,
      accept: undefined,
      cacheUndefined: false,
      freeze: false,
      counters: this.#direct,
      method: undefined,
      index: undefined,
      indexKey: undefined,
      trace,
    });
  }

  /** A fresh value for `key` from L1 or L2, or `undefined`; with `allowStale`, a value within grace too. */
  async get<T = unknown>(key: string, options?: GetOptions): Promise<T | undefined> {
    checkKey(key);
    const allowStale = options?.allowStale === true;
    const local = this.#l1?.get(key);
    if (local !== undefined && (local.epoch === this.epoch || this.revalidate(local))) {
      const now = this.#clock.now();
      if (now < local.freshUntil || (allowStale && now < local.staleUntil)) {
        this.#direct.l1Hits++;
        return local.value as T;
      }
    }
    // Watched like a load, so a delete, set or clear of `key` during the read stops the L1 fill
    // (a tag invalidation is caught by the mirror check of #fillL1).
    const flight = new Flight();
    let readers = this.#readers.get(key);
    if (readers === undefined) this.#readers.set(key, (readers = new Set()));
    readers.add(flight);
    let remote: Entry | undefined;
    try {
      remote = await this.#readL2(key, this.defaults.redisTimeout, flight);
    } finally {
      readers.delete(flight);
      if (readers.size === 0 && this.#readers.get(key) === readers) this.#readers.delete(key);
    }
    if (remote !== undefined) {
      const now = this.#clock.now();
      if (now < remote.freshUntil || (allowStale && now < remote.staleUntil)) {
        this.#direct.l2Hits++;
        if (!flight.invalidated) this.#fillL1(remote, undefined);
        return remote.value as T;
      }
    }
    this.#direct.misses++;
    return undefined;
  }

  /**
   * Stores `value` under `key` in L2, then L1, then tells the other replicas to drop their copy.
   * A value the codec refuses throws `SerializationError`.
   */
  async set(key: string, value: unknown, options?: EntryOptions): Promise<void> {
    checkKey(key);
    const o = options === undefined ? this.defaults : resolveEntryOptions(options, this.defaults, '');
    let payload: string;
    try {
      payload = this.#codec.encode(value);
    } catch (error) {
      throw asSerializationError(error, key);
    }
    this.#invalidateFlight(key);
    const versions = await this.#tagVersions(o.tags, o, undefined);
    const entry = this.#entry(key, this.#codec.decode(payload), payload, o, this.#clock.now(), 0, versions ?? [], undefined, undefined, false);
    let written = false;
    if (versions !== undefined && this.#l2Usable()) {
      written = (await this.#l2!.set(this.#redisKey(key), entry.payload, entry.staleUntil - entry.createdAt, o.redisTimeout)) !== UNAVAILABLE;
    }
    if (o.l1 && versions !== undefined) this.#fillL1(entry, undefined);
    else this.#l1?.delete(key);
    // A set that did not reach Redis is not replayed (it could overwrite a newer value), but the
    // other replicas must not keep serving their copy: what reaches them later is a delete.
    if (written) void this.#publish({ i: this.#instanceId, t: 'keys', k: [key] });
    else if (this.#l2 !== undefined) this.#queue({ kind: 'delete', key });
    this.#emit('set', { key, source: 'set' });
  }

  /** Removes `key` from L2, then L1, then from every replica's L1. A load of `key` running meanwhile does not store its result. */
  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.#deleteKeys([key], 'delete');
  }

  /**
   * Every entry carrying one of `tags` is a miss from now on, on every replica: each tag gets a
   * new version in Redis (O(1) per tag, whatever the number of entries) and the other replicas
   * hear it on the bus. When this resolves, this replica no longer returns an entry made before.
   * With Redis down, it resolves after the local invalidation; the rest is replayed when Redis is back.
   */
  invalidateTags(tags: readonly string[]): Promise<void> {
    if (!tracing.hasSubscribers) return this.#invalidateTags(tags);
    const context: TraceContext = { ...traceContext('invalidateTags', undefined, undefined), tags };
    return tracing.tracePromise(async () => {
      await this.#invalidateTags(tags);
      traced(context, 'invalidated');
    }, context);
  }

  async #invalidateTags(tags: readonly string[]): Promise<void> {
    if (!Array.isArray(tags)) throw new CacheConfigError(`expected an array of tags, got ${typeof tags}`, { option: 'tags' });
    tags.forEach((tag, i) => checkTag(tag, `tags[${i}]`));
    if (tags.length === 0) return;
    const unique = [...new Set(tags)];
    for (const flight of this.#flights.values()) flight.invalidated ||= flight.tags.some((tag) => unique.includes(tag));
    const bumped = await this.#bumpTags(unique);
    this.#emit('invalidate', { tags: unique, reason: 'tags', remote: false });
    if (bumped.length < unique.length) {
      this.#error(new Error(`Redis is unavailable: the invalidation of ${unique.length - bumped.length} tag(s) is queued and will be replayed`), { operation: 'invalidateTags' });
    }
  }

  /**
   * Every entry of the namespace, in O(1) on every replica: the generation that is part of every
   * Redis key is bumped, so old entries are never read again and expire by their TTL. Rate-limit
   * buckets are not touched.
   */
  async clear(): Promise<void> {
    this.#invalidateAll();
    this.#l1?.clear();
    const generation = this.#l2Usable() ? await this.#l2!.incr(this.#generationKey(), this.defaults.redisTimeout) : UNAVAILABLE;
    if (generation === UNAVAILABLE) {
      if (this.#l2 !== undefined) this.#queue({ kind: 'clear' });
    } else {
      this.#setGeneration(generation);
      void this.#publish({ i: this.#instanceId, t: 'clear', n: generation });
    }
    this.#l1?.clear();
    this.#emit('invalidate', { reason: 'clear', remote: false });
  }

  /** Counters since start, totals and per decorated method. */
  stats(): CacheStats {
    const total = this.#direct.snapshot();
    const methods: Record<string, MethodStats> = {};
    for (const [name, counters] of this.#methods) {
      counters.addTo(total);
      methods[name] = counters.snapshot();
    }
    return {
      ...total,
      errors: total.errors + this.#errors,
      evictions: this.#l1?.evictions ?? 0,
      l1: this.#l1 === undefined ? false : { entries: this.#l1.entries, bytes: this.#l1.bytes },
      l2: this.#l2 === undefined ? false : { state: this.#l2Usable() ? 'connected' : 'unavailable', breaker: this.#l2.breakerState },
      bus: { in: this.#bus?.received ?? 0, out: this.#bus?.published ?? 0, state: this.#bus === undefined ? 'disabled' : this.#bus.up ? 'connected' : 'unavailable', queued: this.#recovery.size },
      methods,
    };
  }

  on<E extends CacheEventName>(event: E, listener: (...args: CacheEvents[E]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends CacheEventName>(event: E, listener: (...args: CacheEvents[E]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<E extends CacheEventName>(event: E, listener: (...args: CacheEvents[E]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /**
   * Waits for background refreshes (at most `lockTimeout`) and tries once more to replay what
   * is queued for Redis, then quits the connections this engine opened. Connections it was
   * given stay open: they belong to their owner.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending.size > 0) await settleWithin([...this.#pending], this.defaults.lockTimeout);
    if (this.#recovery.size > 0 && this.#l2Usable()) await settleWithin([this.#replay()], this.defaults.redisTimeout * 4);
    clearTimeout(this.#distrustTimer);
    for (const waiters of this.#fillWaiters.values()) for (const wake of waiters) wake();
    await this.#bus?.close();
    await this.#l2?.close(this.defaults.redisTimeout * 4);
    if (this.hotClock === coarseClock) coarseClock.release();
    this.#emitter.removeAllListeners();
  }

  // ---------------------------------------------------------------- used by the decorators

  /** The counters of a decorated method, created on first use. @internal */
  methodCounters(name: string): Counters {
    let counters = this.#methods.get(name);
    if (counters === undefined) this.#methods.set(name, (counters = new Counters()));
    return counters;
  }

  /** The index from a method's raw argument to its L1 entry, for the allocation-free hit path. @internal */
  methodIndex(name: string): Map<unknown, Entry> {
    let index = this.#indexes.get(name);
    if (index === undefined) this.#indexes.set(name, (index = new Map()));
    return index;
  }

  /** The shape index of the `@Cached` method `name` (its calls with one flat object argument). @internal */
  methodShapes(name: string): ShapeIndex {
    let shapes = this.#shapes.get(name);
    if (shapes === undefined) this.#shapes.set(name, (shapes = new ShapeIndex()));
    return shapes;
  }

  /** A hit through a method index: now and then, tell L1 the entry is in use so LRU keeps it. @internal */
  touch(entry: Entry): void {
    this.#l1?.get(entry.key);
  }

  /** @internal */
  emitHit(key: string, tier: 'l1' | 'l2', method: string | undefined): void {
    this.#emitter.emit('hit', { key, tier, method });
  }

  /**
   * Called when an L1 entry's epoch is behind the engine's: is it still valid (L1 trusted, tags
   * current)? Updates the entry's epoch if so, drops it from L1 if its tags moved on. @internal
   */
  revalidate(entry: Entry): boolean {
    if (!this.#l1Trusted) return false;
    if (entry.tags.length > 0 && !this.#mirror.current(entry.tags, entry.tagVersions)) {
      this.#l1?.deleteEntry(entry);
      return false;
    }
    entry.epoch = this.epoch;
    return true;
  }

  /**
   * An L1 hit by key, fresh and valid, before its early-refresh time: its promise, or undefined
   * (the caller then goes through `fetch`, which handles everything else). @internal
   */
  peek(key: string, o: ResolvedEntryOptions, counters: Counters, index: Map<unknown, Entry> | undefined, indexKey: unknown): Promise<unknown> | undefined {
    if (!o.l1 || this.#l1 === undefined) return undefined;
    // peek, not get: moving the entry to the LRU's tail on every hit was a third of this path.
    // Recency is refreshed on one hit in 64 instead, as on the index path.
    const entry = this.#l1.peek(key);
    if (entry === undefined || this.hotClock.now() >= entry.earlyAt || (entry.epoch !== this.epoch && !this.revalidate(entry))) return undefined;
    if ((++counters.l1Hits & 63) === 0) this.#l1.get(key);
    if (this.observeHits) this.emitHit(key, 'l1', undefined);
    if (index !== undefined && entry.index !== index) {
      entry.unlink();
      entry.index = index;
      entry.indexKey = indexKey;
      index.set(indexKey, entry);
    }
    return entry.promise;
  }

  /**
   * Runs a one-key script (the rate limiters') on L2, bounded by `redisTimeout` and the breaker.
   * `undefined` when there is no L2 at all; UNAVAILABLE when Redis cannot answer. @internal
   */
  runScript(script: RedisScript, key: string, args: readonly (string | number)[]): Promise<unknown> | undefined {
    if (this.#l2 === undefined) return undefined;
    if (!this.#l2.usable) return Promise.resolve(UNAVAILABLE);
    return this.#l2.script(script, key, args, this.defaults.redisTimeout);
  }

  /** The clock the engine reads, for the in-process rate limiter. @internal */
  get clock(): Clock {
    return this.#clock;
  }

  /** The whole flow of one call from the L1 lookup on. @internal */
  fetch(key: string, o: ResolvedEntryOptions, load: Load): Promise<unknown> {
    if (o.l1 && this.#l1 !== undefined) {
      const entry = this.#l1.get(key);
      if (entry !== undefined && (entry.epoch === this.epoch || this.revalidate(entry))) {
        const now = this.#clock.now();
        if (now < entry.freshUntil) {
          load.counters.l1Hits++;
          traced(load.trace, 'hit', 'l1');
          if (this.observeHits) this.emitHit(key, 'l1', load.method);
          if (load.index !== undefined) link(entry, load);
          if (now >= entry.earlyAt && !this.#flights.has(key)) this.#refreshEarly(key, o, load, entry);
          return entry.promise;
        }
        if (now < entry.staleUntil) {
          load.counters.stale++;
          traced(load.trace, 'stale', 'l1');
          this.#emit('stale', { key, method: load.method });
          return this.#serveStale(key, o, load, entry);
        }
        this.#l1.deleteEntry(entry);
      }
    }
    const flight = this.#flights.get(key);
    // A load that an invalidation overtook may return what it read before: a new call starts its own.
    if (flight !== undefined && !flight.invalidated) {
      load.counters.coalesced++;
      traced(load.trace, 'coalesced');
      if (flight.produced !== undefined) return this.#answer(key, flight.produced, o, flight.stale, flight);
      // No answer yet means the method for this key is calling itself for the same key: it would wait forever.
      return flight.answer ?? Promise.reject(new CacheConfigError(`the method for "${key}" called itself for the same key`, { option: load.method ?? 'factory' }));
    }
    const lead = new Flight();
    lead.tags = o.tags;
    this.#flights.set(key, lead);
    lead.answer = this.#load(key, o, load, lead);
    return lead.answer;
  }

  // ---------------------------------------------------------------- the flow

  async #load(key: string, o: ResolvedEntryOptions, load: Load, flight: Flight): Promise<unknown> {
    try {
      return await this.#loadUnsafe(key, o, load, flight);
    } catch (error) {
      // Whatever went wrong before the method started, the flight must not outlive it, or the key would hang.
      if (flight.produced === undefined) this.#release(key, flight);
      throw error;
    }
  }

  async #loadUnsafe(key: string, o: ResolvedEntryOptions, load: Load, flight: Flight): Promise<unknown> {
    let previous: Entry | undefined;
    if (this.#l2 !== undefined) {
      const remote = await this.#readL2(key, o.redisTimeout, flight);
      if (remote !== undefined) {
        if (load.freeze) deepFreeze(remote.value);
        const now = this.#clock.now();
        if (now < remote.freshUntil) {
          this.#release(key, flight);
          load.counters.l2Hits++;
          traced(load.trace, 'hit', 'l2');
          if (this.observeHits) this.emitHit(key, 'l2', load.method);
          if (o.l1 && !flight.invalidated) this.#fillL1(remote, load);
          return remote.value;
        }
        if (now < remote.staleUntil) previous = remote;
      }
    }
    if (previous === undefined) {
      load.counters.misses++;
      traced(load.trace, 'miss', 'method');
      this.#emit('miss', { key, method: load.method });
    } else {
      load.counters.stale++;
      traced(load.trace, 'stale', 'l2');
      this.#emit('stale', { key, method: load.method });
      flight.stale = previous;
      if (o.l1 && !flight.invalidated) this.#fillL1(previous, load);
    }
    const produced = this.#produce(key, o, load, flight, previous);
    return this.#answer(key, produced, o, previous, flight);
  }

  /** Serves a stale L1 entry: joins the refresh under way, or starts one. */
  #serveStale(key: string, o: ResolvedEntryOptions, load: Load, entry: Entry): Promise<unknown> {
    let flight = this.#flights.get(key);
    if (flight === undefined || flight.invalidated) {
      flight = new Flight();
      flight.tags = o.tags;
      flight.stale = entry;
      this.#flights.set(key, flight);
      void this.#produce(key, o, load, flight, entry); // its failures are handled (and reported) in #produce
    }
    if (flight.produced === undefined) return entry.promise; // an L2 read is under way; it will refresh
    return this.#answer(key, flight.produced, o, entry, flight);
  }

  /** Early refresh (XFetch): the entry is still fresh and served; one background run replaces it. */
  #refreshEarly(key: string, o: ResolvedEntryOptions, load: Load, entry: Entry): void {
    const flight = new Flight();
    flight.tags = o.tags;
    flight.background = true;
    this.#flights.set(key, flight);
    void this.#produce(key, o, load, flight, entry); // its failures are handled (and reported) in #produce
  }

  /**
   * What one caller is answered once the method runs: with a stale value at hand, the stale
   * value at once (or after `softTimeout`, or if the method throws); without one, the result,
   * bounded by `hardTimeout`. The method is never abandoned: a late result is still stored.
   */
  #answer(key: string, produced: Promise<unknown>, o: ResolvedEntryOptions, stale: Entry | undefined, flight: Flight): Promise<unknown> {
    if (stale !== undefined) {
      if (o.softTimeout === undefined) {
        flight.background = true;
        return stale.promise;
      }
      const soft = o.softTimeout;
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          flight.background = true;
          resolve(stale.value);
        }, soft);
        produced.then(
          (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          () => {
            clearTimeout(timer);
            flight.background = true; // stale-if-error: the error goes to the `error` event
            resolve(stale.value);
          },
        );
      });
    }
    if (o.hardTimeout === undefined) return produced;
    const hard = o.hardTimeout;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        flight.background = true;
        reject(new CacheTimeoutError(key, hard));
      }, hard);
      produced.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** Starts obtaining a value for the flight (lock, method, store); the flight ends when that is done. */
  #produce(key: string, o: ResolvedEntryOptions, load: Load, flight: Flight, previous: Entry | undefined): Promise<unknown> {
    const produced = this.#obtain(key, o, load, flight, previous);
    flight.produced = produced;
    this.#pending.add(produced);
    produced.then(
      () => this.#settle(key, flight, produced),
      (error: unknown) => {
        this.#settle(key, flight, produced);
        // Counted always; reported as an event only when no caller received it.
        if (flight.background) this.#error(error, { operation: 'refresh', key, ...(load.method === undefined ? {} : { method: load.method }) }, load.counters);
        else load.counters.errors++;
      },
    );
    return produced;
  }

  /**
   * One replica runs the method: the one that takes the lock. The others wait for its "filled"
   * message (or a short backoff) and read the value from L2, never longer than `lockTimeout`;
   * then, or if Redis cannot be asked, they run the method themselves.
   */
  async #obtain(key: string, o: ResolvedEntryOptions, load: Load, flight: Flight, previous: Entry | undefined): Promise<unknown> {
    let lock: { key: string; token: string } | undefined;
    if (!flight.l2Failed && this.#l2Usable()) {
      const lockKey = `${this.#redisKey(key)}:lock`;
      const token = randomBytes(12).toString('base64url');
      let holder: string | undefined;
      let deadline = 0;
      let backoff = LOCK_BACKOFF_MS;
      let waited = false;
      for (;;) {
        const reply = await this.#l2!.script(ACQUIRE_LOCK, lockKey, [token, o.lockTimeout], o.redisTimeout);
        if (!Array.isArray(reply)) {
          flight.l2Failed = true; // no answer: the method runs, and nothing more is asked of Redis in this flight
          break;
        }
        if (reply[0] === 1) {
          lock = { key: lockKey, token };
          // Taken after waiting: the holder may have stored the value and released the lock
          // between our last read and our SET, so read once more before running the method.
          if (waited) {
            const remote = await this.#freshFromL2(key, o, load, flight);
            if (remote !== undefined) {
              await this.#l2!.script(RELEASE_LOCK, lock.key, [lock.token], o.redisTimeout);
              traced(load.trace, 'lock-wait', 'l2');
              return remote.value;
            }
          }
          break;
        }
        if (flight.invalidated) break;
        if (!waited) {
          waited = true;
          load.counters.lockWaits++;
        }
        // lockTimeout is counted per holder: a waiter that took over after a holder died gets its own.
        if (reply[1] !== holder) {
          holder = reply[1] as string;
          deadline = Date.now() + o.lockTimeout;
        }
        let remaining = deadline - Date.now();
        if (remaining <= 0) {
          // The same holder for lockTimeout. A live one renews every lockTimeout/3, so its lock keeps
          // about two thirds of lockTimeout or more: less means it died, and its lock expires within
          // that time, after which one waiter takes over. A live holder slower than lockTimeout is
          // not waited for any longer: the method runs here too.
          const ttl = Number(reply[2]);
          if (!(ttl > 0 && ttl < o.lockTimeout * 0.6)) break;
          remaining = ttl + 5;
          deadline = Date.now() + remaining;
        }
        await this.#waitForFill(key, Math.min(backoff, remaining));
        backoff = Math.min(backoff * 2, LOCK_BACKOFF_MAX_MS);
        const remote = await this.#freshFromL2(key, o, load, flight);
        if (remote !== undefined) {
          traced(load.trace, 'lock-wait', 'l2');
          return remote.value;
        }
        if (flight.l2Failed) break;
      }
      if (waited && load.trace?.outcome === 'miss') traced(load.trace, 'lock-wait', 'method');
    }
    const renewal = lock === undefined ? undefined : this.#renewWhileRunning(lock, o);
    try {
      return await this.#run(key, o, load, flight, previous);
    } finally {
      clearInterval(renewal);
      // The value is in L2 and L1 by now (or the method failed): the callers need not wait another
      // round trip for the lock to go. Its release and the "filled" message follow in the
      // background, and `close()` waits for them.
      if (lock !== undefined) this.#background(this.#releaseLock(key, lock, o));
    }
  }

  /** Work the callers do not wait for, which `close()` still lets finish. */
  #background(work: Promise<void>): void {
    this.#pending.add(work);
    work.then(
      () => this.#pending.delete(work),
      (error: unknown) => {
        this.#pending.delete(work);
        this.#error(error, { operation: 'unlock' });
      },
    );
  }

  /** A fresh entry another replica stored while this one waited on the lock: taken into L1 and the flight ends. */
  async #freshFromL2(key: string, o: ResolvedEntryOptions, load: Load, flight: Flight): Promise<Entry | undefined> {
    const remote = await this.#readL2(key, o.redisTimeout, flight);
    if (remote === undefined || this.#clock.now() >= remote.freshUntil) return undefined;
    if (load.freeze) deepFreeze(remote.value);
    if (o.l1 && !flight.invalidated) this.#fillL1(remote, load);
    this.#release(key, flight);
    return remote;
  }

  /** Runs the method (tag versions read first) and stores what it returns. */
  async #run(key: string, o: ResolvedEntryOptions, load: Load, flight: Flight, previous: Entry | undefined): Promise<unknown> {
    // Read BEFORE the method starts: a value read from the database before an invalidation and
    // stored after it then carries the old version, and is never served.
    const versions = o.tags.length === 0 ? [] : await this.#tagVersions(o.tags, o, flight);
    const started = this.#clock.now();
    load.counters.factoryCalls++;
    const state = new RefreshState(
      previous === undefined
        ? undefined
        : {
            value: previous.value,
            ...(previous.etag === undefined ? {} : { etag: previous.etag }),
            ...(previous.lastModified === undefined ? {} : { lastModified: new Date(previous.lastModified) }),
          },
    );
    const result = runWithRefreshContext(state, load.run);
    if (load.method !== undefined && !isThenable(result)) {
      throw new CacheConfigError(`the method for "${key}" returned ${typeof result}, not a promise: @Cached wraps async methods only`, { option: load.method });
    }
    return this.#store(key, await result, o, load, flight, state, started, previous, versions);
  }

  async #store(
    key: string,
    result: unknown,
    o: ResolvedEntryOptions,
    load: Load,
    flight: Flight,
    state: RefreshState,
    started: number,
    previous: Entry | undefined,
    versions: readonly string[] | undefined,
  ): Promise<unknown> {
    const kept = state.kept && previous !== undefined;
    if (!kept) {
      if (result === undefined && !load.cacheUndefined) return undefined;
      if (load.accept !== undefined && !load.accept(result)) return result;
    }
    // Invalidated while the method ran (a delete, set, clear or tag of this key), or tags whose
    // version cannot be known: the result is returned, never stored.
    if (flight.invalidated || versions === undefined) return kept ? previous.value : result;
    let payload: string;
    let value: unknown;
    if (kept) {
      payload = previous.payload.slice(previous.payload.indexOf('\n') + 1);
      value = previous.value;
    } else {
      try {
        payload = this.#codec.encode(result);
        value = this.#codec.decode(payload);
      } catch (error) {
        // Returned to the caller, uncached: an unencodable result is the method's problem, not the caller's.
        this.#error(asSerializationError(error, key), { operation: 'encode', key, ...(load.method === undefined ? {} : { method: load.method }) }, load.counters);
        return result;
      }
      if (load.freeze) deepFreeze(value);
    }
    const now = this.#clock.now();
    const etag = state.etag ?? (kept ? previous.etag : undefined);
    const lastModified = state.lastModified ?? (kept ? previous.lastModified : undefined);
    const entry = this.#entry(key, value, payload, o, now, now - started, versions, etag, lastModified, true);
    // After an L2 read that failed in this flight, skip the write: it would make the caller wait a
    // second redisTimeout, and a write that lands late could overwrite a newer value.
    if (!flight.l2Failed && this.#l2Usable()) {
      await this.#l2!.set(this.#redisKey(key), entry.payload, entry.staleUntil - now, o.redisTimeout);
    }
    if (flight.invalidated) return value;
    if (o.l1) this.#fillL1(entry, load);
    // The entry is in place: from now on a caller must see it (or its expiry), not join this flight.
    this.#release(key, flight);
    this.#emit('set', { key, source: 'method' });
    return value;
  }

  /** Puts an entry in L1, valid now if its tags are current and L1 is trusted. */
  #fillL1(entry: Entry, load: Load | undefined): void {
    if (this.#l1 === undefined) return;
    if (entry.tags.length > 0 && !this.#mirror.current(entry.tags, entry.tagVersions)) return; // invalidated meanwhile
    entry.epoch = this.#l1Trusted ? this.epoch : -1;
    this.#l1.set(entry);
    if (load?.index !== undefined) link(entry, load);
  }

  /** Builds an entry (and its L2 envelope) with jittered ttl and its early-refresh time drawn now. */
  #entry(
    key: string,
    value: unknown,
    payload: string,
    o: ResolvedEntryOptions,
    now: number,
    delta: number,
    versions: readonly string[],
    etag: string | undefined,
    lastModified: number | undefined,
    jitter: boolean,
  ): Entry {
    const ttl = jitter ? Math.max(1, Math.round(o.ttl * (1 - this.options.ttlJitter * this.#random()))) : o.ttl;
    const freshUntil = now + ttl;
    const header: EnvelopeHeader = { c: now, f: freshUntil, s: freshUntil + o.grace, d: delta, m: lastModified ?? 0, t: o.tags, tv: versions, e: etag ?? '' };
    return this.#entryFrom(key, value, header, writeEnvelope(header, payload), now);
  }

  #entryFrom(key: string, value: unknown, header: EnvelopeHeader, envelope: string, now: number): Entry {
    return new Entry({
      key,
      value,
      createdAt: header.c,
      freshUntil: header.f,
      staleUntil: header.s,
      earlyAt: this.#drawEarly(header.f, now, header.d),
      delta: header.d,
      tags: header.t,
      tagVersions: header.tv,
      etag: header.e === '' ? undefined : header.e,
      lastModified: header.m === 0 ? undefined : header.m,
      payload: envelope,
    });
  }

  /**
   * XFetch, drawn once per stored entry so a hit compares one number: refresh at
   * `expiry - beta * delta * -ln(U)`. Costly methods (large delta) start refreshing earlier,
   * and the draw spreads replicas and keys apart; never before half the remaining time.
   */
  #drawEarly(freshUntil: number, now: number, delta: number): number {
    const beta = this.options.earlyRefreshBeta;
    if (beta === 0 || delta <= 0) return freshUntil;
    const early = freshUntil - beta * delta * -Math.log(this.#random());
    return Math.max(early, now + (freshUntil - now) / 2);
  }

  /**
   * One GET; the entry is returned only if its tags are still current. A stored entry this
   * version cannot read is dropped (and reported), never thrown at the caller.
   */
  async #readL2(key: string, timeoutMs: number, flight: Flight): Promise<Entry | undefined> {
    if (!this.#l2Usable()) {
      flight.l2Failed = true;
      return undefined;
    }
    const raw = await this.#l2!.get(this.#redisKey(key), timeoutMs);
    if (raw === UNAVAILABLE) {
      flight.l2Failed = true;
      return undefined;
    }
    if (raw === null) return undefined;
    let entry: Entry;
    try {
      const { header, payload } = readEnvelope(raw, key);
      entry = this.#entryFrom(key, this.#codec.decode(payload), header, raw, this.#clock.now());
    } catch (error) {
      this.#error(asSerializationError(error, key), { operation: 'decode', key });
      return undefined;
    }
    if (entry.tags.length > 0 && !(await this.#tagsCurrent(entry, timeoutMs))) return undefined;
    return entry;
  }

  /** Are an L2 entry's tag versions current? From the mirror while the bus vouches for it, else from Redis. */
  async #tagsCurrent(entry: Entry, timeoutMs: number): Promise<boolean> {
    if (this.#l1Trusted && this.#mirror.all(entry.tags) !== undefined) return this.#mirror.current(entry.tags, entry.tagVersions);
    const versions = await Promise.all(entry.tags.map((tag) => this.#l2!.get(this.#tagKey(tag), timeoutMs)));
    for (let i = 0; i < versions.length; i++) {
      const version = versions[i];
      if (version === UNAVAILABLE) return false;
      // The mirror may already hold a newer version (a bus message overtook this reply): the newer wins.
      const current = this.#merge(entry.tags[i]!, version ?? INITIAL_TAG_VERSION);
      if (current !== entry.tagVersions[i]) return false;
    }
    return true;
  }

  /**
   * The versions of `tags` before a method runs (and the promise that their keys outlive the
   * entry about to be written). `undefined` when they cannot be known: the result is then not cached.
   */
  async #tagVersions(tags: readonly string[], o: ResolvedEntryOptions, flight: Flight | undefined): Promise<readonly string[] | undefined> {
    if (tags.length === 0) return [];
    if (this.#l2 === undefined) {
      // L1 only: a tag this process has not seen (or forgot) gets a fresh version, never an old one back.
      return tags.map((tag) => {
        let version = this.#mirror.get(tag);
        if (version === undefined) this.#mirror.set(tag, (version = newVersion()));
        return version;
      });
    }
    if (flight?.l2Failed === true || !this.#l2Usable()) return undefined;
    const life = o.ttl + o.grace + o.lockTimeout + TAG_LIFETIME_MARGIN_MS;
    const read = await Promise.all(tags.map((tag) => this.#l2!.script(ENSURE_TAG, this.#tagKey(tag), [life], o.redisTimeout)));
    const versions: string[] = [];
    for (let i = 0; i < tags.length; i++) {
      const version = read[i];
      if (typeof version !== 'string') return undefined;
      versions.push(this.#merge(tags[i]!, version));
    }
    return versions;
  }

  /** New versions for `tags` in Redis, then in the mirror, then on the bus. Returns the tags that reached Redis. */
  async #bumpTags(tags: readonly string[]): Promise<string[]> {
    this.epoch++;
    if (this.#l2 === undefined) {
      // L1 only: versions live in this process alone.
      for (const tag of tags) this.#mirror.set(tag, newVersion());
      return [...tags];
    }
    const life = this.defaults.ttl + this.defaults.grace + this.defaults.lockTimeout + TAG_LIFETIME_MARGIN_MS;
    const results = this.#l2Usable()
      ? await Promise.all(tags.map((tag) => this.#l2!.script(BUMP_TAG, this.#tagKey(tag), [life], this.defaults.redisTimeout)))
      : tags.map(() => UNAVAILABLE);
    const bumped: string[] = [];
    const versions: string[] = [];
    tags.forEach((tag, i) => {
      const version = results[i];
      if (typeof version === 'string') {
        this.#mirror.set(tag, version);
        bumped.push(tag);
        versions.push(version);
      } else {
        // Version unknown until the replay: out of the mirror, so every entry carrying the tag fails its check.
        this.#mirror.delete(tag);
        this.#queue({ kind: 'tag', tag });
      }
    });
    this.epoch++;
    if (bumped.length > 0) void this.#publish({ i: this.#instanceId, t: 'tags', g: bumped, v: versions });
    return bumped;
  }

  /** Records a version read from Redis; returns the newest the mirror knows (bumping the epoch if it moved). */
  #merge(tag: string, version: string): string {
    if (this.#mirror.set(tag, version)) this.epoch++;
    return this.#mirror.get(tag) ?? version;
  }

  async #deleteKeys(keys: readonly string[], reason: 'delete'): Promise<void> {
    for (const key of keys) {
      this.#invalidateFlight(key);
      this.#l1?.delete(key);
    }
    let reached = this.#l2 === undefined;
    if (this.#l2Usable()) {
      const results = await Promise.all(keys.map((key) => this.#l2!.del(this.#redisKey(key), this.defaults.redisTimeout)));
      reached = results.every((result) => result !== UNAVAILABLE);
    }
    // Deleted again after L2: an L2 read that raced the delete may have refilled it.
    for (const key of keys) this.#l1?.delete(key);
    if (reached) {
      if (this.#l2 !== undefined) void this.#publish({ i: this.#instanceId, t: 'keys', k: [...keys] });
    } else {
      for (const key of keys) this.#queue({ kind: 'delete', key });
      this.#error(new Error(`Redis is unavailable: the delete of ${keys.length} key(s) is queued and will be replayed`), { operation: reason });
    }
    this.#emit('invalidate', { keys, reason, remote: false });
  }

  // ---------------------------------------------------------------- the distributed lock

  /** While the method runs, the holder extends its lock so it does not expire under a slow method. */
  #renewWhileRunning(lock: { key: string; token: string }, o: ResolvedEntryOptions): NodeJS.Timeout {
    const timer = setInterval(() => {
      void this.#l2!.script(RENEW_LOCK, lock.key, [lock.token, o.lockTimeout], o.redisTimeout);
    }, Math.max(10, Math.floor(o.lockTimeout / 3)));
    timer.unref();
    return timer;
  }

  /** Releases the lock if still ours, and wakes the waiters on every replica. */
  async #releaseLock(key: string, lock: { key: string; token: string }, o: ResolvedEntryOptions): Promise<void> {
    await this.#l2!.script(RELEASE_LOCK, lock.key, [lock.token], o.redisTimeout);
    this.#wake(key);
    void this.#publish({ i: this.#instanceId, t: 'fill', k: [key] });
  }

  /** Resolves when a "filled" message for `key` arrives, or after `ms`: a backoff, never a hot poll. */
  #waitForFill(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#fillWaiters.get(key);
      if (waiters === undefined) this.#fillWaiters.set(key, (waiters = new Set()));
      const set = waiters;
      const wake = (): void => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.#fillWaiters.get(key) === set) this.#fillWaiters.delete(key);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
    });
  }

  #wake(key: string): void {
    const waiters = this.#fillWaiters.get(key);
    if (waiters !== undefined) for (const wake of [...waiters]) wake();
  }

  // ---------------------------------------------------------------- the bus

  #onBusMessage(message: BusMessage): void {
    switch (message.t) {
      case 'keys':
        for (const key of message.k) {
          this.#invalidateFlight(key);
          this.#l1?.delete(key);
        }
        this.#emit('invalidate', { keys: message.k, reason: 'delete', remote: true });
        break;
      case 'fill':
        // Another replica stored a new value: our copy (stale, or about to be refreshed) gives way to L2's.
        for (const key of message.k) {
          this.#l1?.delete(key);
          this.#wake(key);
        }
        break;
      case 'tags': {
        let changed = false;
        message.g.forEach((tag, i) => {
          changed = this.#mirror.set(tag, message.v[i]!) || changed;
        });
        for (const flight of this.#flights.values()) flight.invalidated ||= flight.tags.some((tag) => message.g.includes(tag));
        if (changed) this.epoch++;
        this.#emit('invalidate', { tags: message.g, reason: 'tags', remote: true });
        break;
      }
      case 'clear':
        this.#invalidateAll();
        this.#setGeneration(message.n);
        this.#l1?.clear();
        this.#emit('invalidate', { reason: 'clear', remote: true });
        break;
      case 'beat':
        break;
    }
  }

  /**
   * The bus is up. Whatever happened while it was not (or before it first was) may have been
   * missed: L1 and the tag mirror are purged before L1 is trusted again.
   */
  #onBusUp(): void {
    clearTimeout(this.#distrustTimer);
    this.#l1?.clear();
    this.#mirror.clear();
    this.#l1Trusted = true;
    this.epoch++;
    this.#busWasUp = true;
    this.#emit('bus:connect');
    // A clear() heard by no one while the bus was down changed the generation: read it again.
    if (this.#generation !== undefined) void this.#onRedisReady(false);
    if (this.#recovery.size > 0) void this.#replay();
  }

  /** The bus is down: L1 stays trusted for `maxStaleness`, then it is bypassed until the bus is back. */
  #onBusDown(reason: string): void {
    if (!this.#busWasUp) return;
    this.#emit('bus:disconnect', { reason });
    this.#logger?.warn({ namespace: this.options.namespace, reason }, `tiercache: bus down (${reason}), L1 trusted for ${this.options.maxStaleness} ms more`);
    this.#distrustAfter(this.options.maxStaleness);
  }

  /** L1 stops being trusted after `ms`, unless the bus is up by then. */
  #distrustAfter(ms: number): void {
    clearTimeout(this.#distrustTimer);
    const distrust = (): void => {
      if (this.#bus?.up === true || !this.#l1Trusted) return;
      this.#l1Trusted = false;
      this.epoch++;
    };
    if (ms === 0) return distrust();
    this.#distrustTimer = setTimeout(distrust, ms);
    this.#distrustTimer.unref();
  }

  #publish(message: BusMessage): Promise<boolean> {
    return this.#bus === undefined ? Promise.resolve(false) : this.#bus.publish(message, this.defaults.redisTimeout);
  }

  // ---------------------------------------------------------------- recovery

  #queue(op: RecoveryOp): void {
    this.#recovery.add(op);
    const dropped = this.#recovery.takeDropped();
    if (dropped > 0) this.#error(new Error(`the recovery queue is full: ${dropped} queued invalidation(s) dropped`), { operation: 'recovery' });
  }

  /** Replays what could not reach Redis: deletes, tag invalidations, clears (never sets). */
  async #replay(): Promise<void> {
    const ops = this.#recovery.drain();
    if (ops.length === 0) return; // another replay (reconnect and bus up both trigger one) took them
    const keys = ops.flatMap((op) => (op.kind === 'delete' ? [op.key] : []));
    const tags = ops.flatMap((op) => (op.kind === 'tag' ? [op.tag] : []));
    if (ops.some((op) => op.kind === 'clear')) await this.clear();
    if (keys.length > 0) await this.#deleteKeys(keys, 'delete');
    if (tags.length > 0) await this.#bumpTags(tags);
    this.#logger?.info({ namespace: this.options.namespace, replayed: ops.length }, `tiercache: replayed ${ops.length} queued invalidation(s)`);
  }

  // ---------------------------------------------------------------- Redis keys and generation

  #l2Usable(): boolean {
    return this.#l2 !== undefined && this.#generation !== undefined && this.#l2.usable;
  }

  #generationKey(): string {
    return `${this.options.namespace}:generation`;
  }

  /** Tag versions do not include `version`, so a rolling deploy still hears the old version's invalidations. */
  #tagKey(tag: string): string {
    return `${this.options.namespace}:tag:{${tag}}`;
  }

  /** `<namespace>:<version>:<generation>:{<key>}`: the braces keep an entry and its lock on one cluster slot. */
  #redisKey(key: string): string {
    return `${this.#keyPrefix}{${key}}`;
  }

  #setGeneration(generation: number): void {
    this.#generation = generation;
    this.#keyPrefix = `${this.options.namespace}:${this.options.version}:${generation}:`;
  }

  /**
   * After every (re)connection: re-read the generation (a `clear()` may have happened meanwhile),
   * close the breaker, and replay what was queued while Redis was away.
   */
  async #onRedisReady(reconnected = true): Promise<void> {
    const l2 = this.#l2;
    if (l2 === undefined || l2.client.status !== 'ready' || this.#closed) return;
    // After a reconnection the old generation cannot be trusted until it is read again, and the
    // server reached may be another one: learn which, for the check on the heartbeat.
    if (reconnected) {
      this.#generation = undefined;
      void this.#learnRunId(l2);
    }
    try {
      const raw = await withTimeout(l2.client.get(this.#generationKey()), this.defaults.redisTimeout);
      this.#setGeneration(raw === null ? 0 : Number(raw));
      l2.recovered();
    } catch (error) {
      this.#error(error, { operation: 'redis:generation' });
      return;
    }
    if (this.#recovery.size > 0) await this.#replay();
  }

  // ---------------------------------------------------------------- the server's identity

  /**
   * Records the `run_id` of the server the L2 connection just reached. A reconnection itself
   * compares nothing: the subscriber reconnects too, and the bus purges what it must when it is
   * back up. What this baseline is for is the case no reconnection reveals (#checkRunId).
   */
  async #learnRunId(l2: RedisTier): Promise<void> {
    // Redis Cluster: every node has its own run_id, and ioredis's cluster client follows the
    // topology itself (MOVED, failovers, node rediscovery): there is no single server to check.
    // Without a bus L1 is trusted whatever happens to Redis, so nothing depends on the answer.
    const connection = this.#connection;
    if (l2.isCluster || this.#bus === undefined || this.#runIdRefused || this.#runIdConnection === connection) return;
    this.#runIdConnection = connection;
    this.#runId = undefined;
    const runId = await this.#readRunId(l2);
    if (connection !== this.#connection) return;
    this.#runId = runId;
    // Not read (a timeout): the next heartbeat tries again.
    if (runId === undefined) this.#runIdConnection = -1;
  }

  /**
   * On every heartbeat (250 ms): is the server behind the L2 connection still the one it
   * reached? A proxy, a load balancer or a VIP can switch servers behind a connection that stays
   * open; the new server has none of the tag versions, the generation or the bus's subscription,
   * and what was published on it so far was never heard here. No close, no error: only the
   * server's `run_id` tells. One INFO server costs about 600 bytes and 5 µs of Redis CPU.
   */
  async #checkRunId(): Promise<void> {
    const l2 = this.#l2;
    if (l2 === undefined || l2.isCluster || this.#runIdReads > 0 || this.#runIdRefused || this.#closed || !this.#l2Usable()) return;
    const known = this.#runId;
    const connection = this.#connection;
    // Not read on this connection yet (its reading at connection time timed out): learn it now.
    if (known === undefined || this.#runIdConnection !== connection) return this.#learnRunId(l2);
    const runId = await this.#readRunId(l2);
    if (runId === undefined || runId === known || connection !== this.#connection || this.#closed) return;
    this.#onRedisReplaced(known, runId);
  }

  /**
   * The server's `run_id` from INFO server, bounded by `redisTimeout`; undefined when it cannot
   * be read. Sent outside the circuit breaker: a check is not traffic, and a server that refuses
   * INFO must not open the breaker for every other command.
   */
  async #readRunId(l2: RedisTier): Promise<string | undefined> {
    // Counted until the command settles, not until the timeout: a connection that stopped
    // answering gets one INFO, not one per heartbeat.
    this.#runIdReads++;
    const info = (l2.client as Redis).info('server').finally(() => this.#runIdReads--);
    try {
      return /^run_id:(\w+)/m.exec(await withTimeout(info, this.defaults.redisTimeout))?.[1];
    } catch (error) {
      if ((error as Error).name === 'ReplyError' && !this.#runIdRefused) {
        this.#runIdRefused = true;
        this.#error(
          new Error(`INFO server was refused (${(error as Error).message}): a Redis replaced behind a connection that stays open will only be noticed by the bus heartbeat`, { cause: error }),
          { operation: 'redis:run-id' },
        );
      }
      // Anything else (a timeout, a closed connection) is reported by the commands and the bus.
      return undefined;
    }
  }

  /**
   * Another server answers on the L2 connection. Everything learned from the old one is
   * dropped, as on a reconnection but at once: L1 and the tag mirror are purged, loads under way
   * will not fill L1, the generation is read again and the recovery queue replayed, and the bus
   * subscribes again on the new server. Until it has, L1 is trusted for `maxStaleness` at most.
   */
  #onRedisReplaced(previousRunId: string, runId: string): void {
    this.#runId = runId;
    this.#invalidateAll();
    // Down first, so L1's trust runs out (#onBusDown) before anything is served from it again.
    this.#bus?.resubscribe('the Redis server was replaced');
    this.#l1?.clear();
    this.#mirror.clear();
    this.epoch++;
    this.#logger?.warn(
      { namespace: this.options.namespace, previousRunId, runId },
      `tiercache: the Redis server was replaced behind an open connection (run_id ${previousRunId} -> ${runId}): L1 and the tag mirror purged, the bus subscribes again`,
    );
    this.#emit('redis:replaced', { previousRunId, runId });
    void this.#onRedisReady();
  }

  // ---------------------------------------------------------------- events

  #waitFor(event: CacheEventName, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#emitter.off(event, done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#emitter.on(event, done);
    });
  }

  #emit<E extends Exclude<CacheEventName, 'error'>>(event: E, ...args: CacheEvents[E]): void {
    if (this.#emitter.listenerCount(event) > 0) this.#emitter.emit(event, ...args);
  }

  /** Reports an error nobody receives as a rejection: counted once (on the method's counters if given), logged, emitted. */
  #error(error: unknown, context: { operation: string; key?: string; method?: string }, counters?: Counters): void {
    if (counters === undefined) this.#errors++;
    else counters.errors++;
    const err = error instanceof Error ? error : new Error(String(error));
    this.#logger?.warn({ err, ...context, namespace: this.options.namespace }, `tiercache: ${context.operation} failed: ${err.message}`);
    // An `error` event with no listener would throw: report it only to those who listen.
    if (this.#emitter.listenerCount('error') > 0) this.#emitter.emit('error', err, context);
  }

  #settle(key: string, flight: Flight, produced: Promise<unknown>): void {
    this.#pending.delete(produced);
    this.#release(key, flight);
  }

  #release(key: string, flight: Flight): void {
    if (this.#flights.get(key) === flight) this.#flights.delete(key);
  }

  #invalidateAll(): void {
    for (const flight of this.#flights.values()) flight.invalidated = true;
    for (const readers of this.#readers.values()) for (const reader of readers) reader.invalidated = true;
  }

  #invalidateFlight(key: string): void {
    const flight = this.#flights.get(key);
    if (flight !== undefined) flight.invalidated = true;
    const readers = this.#readers.get(key);
    if (readers !== undefined) for (const reader of readers) reader.invalidated = true;
  }
}

/**
 * A tag version made in this process (L1-only engines): greater than every earlier one, and
 * than any a previous process could have made, so a forgotten tag never gets an old version back.
 */
let localVersion = Date.now() * 1_000;
function newVersion(): string {
  return String(++localVersion);
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new CacheKeyError(`a cache key must be a non-empty string, got ${key === '' ? 'an empty string' : typeof key}`);
  }
}

function link(entry: Entry, load: Load): void {
  if (entry.index === load.index && entry.indexKey === load.indexKey) return;
  entry.unlink();
  entry.index = load.index;
  entry.indexKey = load.indexKey;
  load.index!.set(load.indexKey, entry);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function asSerializationError(error: unknown, key: string): SerializationError {
  if (error instanceof SerializationError) {
    error.key ??= key;
    return error;
  }
  return new SerializationError(`the value for "${key}" cannot be encoded: ${String((error as Error)?.message ?? error)}`, { key, cause: error });
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      deepFreeze(k);
      deepFreeze(v);
    }
  } else if (value instanceof Set) {
    for (const v of value) deepFreeze(v);
  } else if (!ArrayBuffer.isView(value)) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** Waits for `promises` to settle, at most `ms`. */
async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled(promises), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
