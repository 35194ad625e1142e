import { EventEmitter } from 'node:events';
import type { Codec } from '../codec/codec.js';
import { CacheConfigError, CacheKeyError, CacheTimeoutError, SerializationError } from '../errors.js';
import { Flight } from '../lock/flight.js';
import { MemoryTier } from '../tiers/memory-tier.js';
import { RedisTier, UNAVAILABLE } from '../tiers/redis-tier.js';
import { coarseClock, systemClock, type Clock } from './clock.js';
import { Entry } from './entry.js';
import { readEnvelope, writeEnvelope, type EnvelopeHeader } from './envelope.js';
import { resolveCacheOptions, resolveEntryOptions, type CacheOptions, type EntryOptions, type Logger, type ResolvedCacheOptions, type ResolvedEntryOptions } from './options.js';
import { RefreshState, refreshStorage } from './refresh-context.js';
import { Counters, type CacheStats, type MethodStats } from './stats.js';

/** Payloads of the events of {@link CacheEngine.on}. */
export interface CacheEvents {
  hit: [{ key: string; tier: 'l1' | 'l2'; method: string | undefined }];
  miss: [{ key: string; method: string | undefined }];
  stale: [{ key: string; method: string | undefined }];
  set: [{ key: string; source: 'set' | 'method' }];
  invalidate: [{ keys?: readonly string[]; tags?: readonly string[]; reason: 'delete' | 'set' | 'clear' | 'tags' }];
  error: [error: Error, context: { operation: string; key?: string; method?: string }];
  'bus:connect': [];
  'bus:disconnect': [{ reason: string }];
}
export type CacheEventName = keyof CacheEvents;

/** What `ready()` found. */
export interface ReadyState {
  l2: 'connected' | 'unavailable' | 'disabled';
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
}

/** Options of `get`. */
export interface GetOptions {
  /** Also return a value past its ttl (within grace). @default false */
  allowStale?: boolean;
}

/**
 * The two-tier cache: L1 (lru-cache, this process) over L2 (Redis). Create one with
 * {@link createCache}; the decorators are built on its `getOrSet`.
 */
export class CacheEngine {
  readonly options: ResolvedCacheOptions;
  /** Read on the L1 hit path; coarse unless a clock was injected. @internal */
  readonly hotClock: Clock;
  readonly #clock: Clock;
  readonly #codec: Codec;
  readonly #random: () => number;
  readonly #logger: Logger | undefined;
  readonly #l1: MemoryTier | undefined;
  readonly #l2: RedisTier | undefined;
  readonly #emitter = new EventEmitter();
  readonly #flights = new Map<string, Flight>();
  readonly #direct = new Counters();
  readonly #methods = new Map<string, Counters>();
  readonly #indexes = new Map<string, Map<unknown, Entry>>();
  readonly #pending = new Set<Promise<unknown>>();
  #generation: number | undefined;
  #keyPrefix = '';
  #errors = 0;
  #closed = false;
  #readyPromise: Promise<ReadyState> | undefined;
  /** True while someone listens to `hit`: the hit path reads this instead of asking the emitter. @internal */
  observeHits = false;

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
    if (options.l2 !== false) {
      this.#l2 = new RedisTier(options.l2, options.breaker, this.#clock, {
        error: (error, operation) => this.#error(error, { operation: `redis:${operation}` }),
        ready: () => void this.#syncGeneration(),
        breaker: (state) => this.#logger?.info({ namespace: options.namespace, breaker: state }, `tiercache: Redis circuit breaker ${state}`),
      });
      void this.#syncGeneration();
    }
  }

  /** The entry defaults after resolution (milliseconds). */
  get defaults(): ResolvedEntryOptions {
    return this.options.defaults;
  }

  /**
   * Waits (at most `redisTimeout`) for L2 to be usable and reports what it found. Never rejects
   * for a down Redis: the engine works without it and reconnects by itself.
   */
  ready(): Promise<ReadyState> {
    if (this.#l2 === undefined) return Promise.resolve({ l2: 'disabled' });
    this.#readyPromise ??= this.#l2.ready(this.defaults.redisTimeout).then(async () => {
      await this.#syncGeneration();
      return { l2: this.#l2Usable() ? 'connected' : 'unavailable' };
    });
    const once = this.#readyPromise;
    // A later call asks again: Redis may have come back.
    void once.then(() => {
      if (this.#readyPromise === once) this.#readyPromise = undefined;
    });
    return once;
  }

  /**
   * The value for `key`: from L1, else L2, else `factory()` run once per key however many
   * callers ask at once, then stored in both tiers.
   */
  getOrSet<T>(key: string, factory: () => Promise<T> | T, options?: EntryOptions): Promise<T> {
    let o: ResolvedEntryOptions;
    try {
      checkKey(key);
      o = options === undefined ? this.defaults : resolveEntryOptions(options, this.defaults, '');
    } catch (error) {
      return Promise.reject(error);
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
    }) as Promise<T>;
  }

  /** A fresh value for `key` from L1 or L2, or `undefined`; with `allowStale`, a value within grace too. */
  async get<T = unknown>(key: string, options?: GetOptions): Promise<T | undefined> {
    checkKey(key);
    const allowStale = options?.allowStale === true;
    const now = this.#clock.now();
    const local = this.#l1?.get(key);
    if (local !== undefined) {
      if (now < local.freshUntil || (allowStale && now < local.staleUntil)) {
        this.#direct.l1Hits++;
        return local.value as T;
      }
    }
    const remote = await this.#readL2(key, this.defaults.redisTimeout);
    if (remote !== undefined && (now < remote.freshUntil || (allowStale && now < remote.staleUntil))) {
      this.#direct.l2Hits++;
      if (this.#flights.get(key)?.invalidated !== true) this.#l1?.set(remote);
      return remote.value as T;
    }
    this.#direct.misses++;
    return undefined;
  }

  /** Stores `value` under `key` in L2 then L1. A value the codec refuses throws `SerializationError`. */
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
    const entry = this.#entry(key, this.#codec.decode(payload), payload, o, this.#clock.now(), 0, undefined, undefined, false);
    if (this.#l2Usable()) {
      const written = await this.#l2!.set(this.#redisKey(key), entry.payload, entry.staleUntil - entry.createdAt, o.redisTimeout);
      if (written === UNAVAILABLE) this.#l1?.delete(key);
    }
    if (o.l1) this.#l1?.set(entry);
    else this.#l1?.delete(key);
    this.#emit('set', { key, source: 'set' });
  }

  /** Removes `key` from L2 then L1. A load of `key` running meanwhile does not store its result. */
  async delete(key: string): Promise<void> {
    checkKey(key);
    this.#invalidateFlight(key);
    this.#l1?.delete(key);
    if (this.#l2Usable()) await this.#l2!.del(this.#redisKey(key), this.defaults.redisTimeout);
    // Deleted again after L2: an L2 read that raced the delete may have refilled it.
    this.#l1?.delete(key);
    this.#emit('invalidate', { keys: [key], reason: 'delete' });
  }

  /**
   * Every entry of the namespace, in O(1): the generation that is part of every Redis key is
   * bumped, so old entries are never read again and expire by their TTL. Rate-limit buckets
   * are not touched.
   */
  async clear(): Promise<void> {
    for (const flight of this.#flights.values()) flight.invalidated = true;
    this.#l1?.clear();
    if (this.#l2Usable()) {
      const generation = await this.#l2!.incr(this.#generationKey(), this.defaults.redisTimeout);
      if (generation !== UNAVAILABLE) this.#setGeneration(generation);
    }
    this.#l1?.clear();
    this.#emit('invalidate', { reason: 'clear' });
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
      bus: { in: 0, out: 0 },
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
   * Waits for background refreshes (at most `lockTimeout`), then quits the connections this
   * engine opened. Connections it was given stay open: they belong to their owner.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#pending]),
        new Promise((resolve) => (timer = setTimeout(resolve, this.defaults.lockTimeout))),
      ]);
      clearTimeout(timer);
    }
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

  /** A hit through a method index: now and then, tell L1 the entry is in use so LRU keeps it. @internal */
  touch(entry: Entry): void {
    this.#l1?.get(entry.key);
  }

  /** @internal */
  emitHit(key: string, tier: 'l1' | 'l2', method: string | undefined): void {
    this.#emitter.emit('hit', { key, tier, method });
  }

  /** The whole flow of one call from the L1 lookup on. @internal */
  fetch(key: string, o: ResolvedEntryOptions, load: Load): Promise<unknown> {
    if (o.l1 && this.#l1 !== undefined) {
      const entry = this.#l1.get(key);
      if (entry !== undefined) {
        const now = this.#clock.now();
        if (now < entry.freshUntil) {
          load.counters.l1Hits++;
          if (this.observeHits) this.emitHit(key, 'l1', load.method);
          if (load.index !== undefined) link(entry, load);
          if (now >= entry.earlyAt && !this.#flights.has(key)) this.#refreshEarly(key, o, load, entry);
          return entry.promise;
        }
        if (now < entry.staleUntil) {
          load.counters.stale++;
          this.#emit('stale', { key, method: load.method });
          return this.#serveStale(key, o, load, entry);
        }
        this.#l1.deleteEntry(entry);
      }
    }
    const flight = this.#flights.get(key);
    if (flight !== undefined) {
      load.counters.coalesced++;
      if (flight.produced !== undefined) return this.#answer(key, flight.produced, o, flight.stale, flight);
      // No answer yet means the method for this key is calling itself for the same key: it would wait forever.
      return flight.answer ?? Promise.reject(new CacheConfigError(`the method for "${key}" called itself for the same key`, { option: load.method ?? 'factory' }));
    }
    const lead = new Flight();
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
        const now = this.#clock.now();
        if (load.freeze) deepFreeze(remote.value);
        if (now < remote.freshUntil) {
          this.#release(key, flight);
          load.counters.l2Hits++;
          if (this.observeHits) this.emitHit(key, 'l2', load.method);
          if (o.l1 && !flight.invalidated && this.#l1 !== undefined) {
            this.#l1.set(remote);
            if (load.index !== undefined) link(remote, load);
          }
          return remote.value;
        }
        if (now < remote.staleUntil) previous = remote;
      }
    }
    if (previous === undefined) {
      load.counters.misses++;
      this.#emit('miss', { key, method: load.method });
    } else {
      load.counters.stale++;
      this.#emit('stale', { key, method: load.method });
      flight.stale = previous;
      if (o.l1 && !flight.invalidated) this.#l1?.set(previous);
    }
    const produced = this.#produce(key, o, load, flight, previous);
    return this.#answer(key, produced, o, previous, flight);
  }

  /** Serves a stale L1 entry: joins the refresh under way, or starts one. */
  #serveStale(key: string, o: ResolvedEntryOptions, load: Load, entry: Entry): Promise<unknown> {
    let flight = this.#flights.get(key);
    if (flight === undefined) {
      flight = new Flight();
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

  /** Runs the method once for the flight, then stores its result; the flight ends when both are done. */
  #produce(key: string, o: ResolvedEntryOptions, load: Load, flight: Flight, previous: Entry | undefined): Promise<unknown> {
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
    let result: unknown;
    try {
      result = refreshStorage.run(state, load.run);
    } catch (error) {
      result = Promise.reject(error);
    }
    // A `getOrSet` factory may answer synchronously; a decorated method must return a promise.
    const produced = isThenable(result) || load.method === undefined
      ? Promise.resolve(result).then((value) => this.#store(key, value, o, load, flight, state, started, previous))
      : Promise.reject(
          new CacheConfigError(`the method for "${key}" returned ${typeof result}, not a promise: @Cached wraps async methods only`, {
            option: load.method ?? 'factory',
          }),
        );
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

  async #store(
    key: string,
    result: unknown,
    o: ResolvedEntryOptions,
    load: Load,
    flight: Flight,
    state: RefreshState,
    started: number,
    previous: Entry | undefined,
  ): Promise<unknown> {
    const kept = state.kept && previous !== undefined;
    if (!kept) {
      if (result === undefined && !load.cacheUndefined) return undefined;
      if (load.accept !== undefined && !load.accept(result)) return result;
    }
    if (flight.invalidated) return kept ? previous.value : result;
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
    const entry = this.#entry(key, value, payload, o, now, now - started, etag, lastModified, true);
    // After an L2 read that failed in this flight, skip the write: it would make the caller wait a
    // second redisTimeout, and a write that lands late could overwrite a newer value.
    if (!flight.l2Failed && this.#l2Usable()) {
      await this.#l2!.set(this.#redisKey(key), entry.payload, entry.staleUntil - now, o.redisTimeout);
    }
    if (flight.invalidated) return value;
    if (o.l1 && this.#l1 !== undefined) {
      this.#l1.set(entry);
      if (load.index !== undefined) link(entry, load);
    }
    // The entry is in place: from now on a caller must see it (or its expiry), not join this flight.
    this.#release(key, flight);
    this.#emit('set', { key, source: 'method' });
    return value;
  }

  /** Builds an entry (and its L2 envelope) with jittered ttl and its early-refresh time drawn now. */
  #entry(
    key: string,
    value: unknown,
    payload: string,
    o: ResolvedEntryOptions,
    now: number,
    delta: number,
    etag: string | undefined,
    lastModified: number | undefined,
    jitter: boolean,
  ): Entry {
    const ttl = jitter ? Math.max(1, Math.round(o.ttl * (1 - this.options.ttlJitter * this.#random()))) : o.ttl;
    const freshUntil = now + ttl;
    const header: EnvelopeHeader = { v: 1, c: now, f: freshUntil, s: freshUntil + o.grace, d: delta };
    if (o.tags.length > 0) header.t = o.tags;
    if (etag !== undefined) header.e = etag;
    if (lastModified !== undefined) header.m = lastModified;
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
      tags: header.t ?? [],
      etag: header.e,
      lastModified: header.m,
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

  /** One GET; a stored entry this version cannot read is dropped (and reported), never thrown at the caller. */
  async #readL2(key: string, timeoutMs: number, flight?: Flight): Promise<Entry | undefined> {
    if (!this.#l2Usable()) {
      if (flight !== undefined) flight.l2Failed = true;
      return undefined;
    }
    const raw = await this.#l2!.get(this.#redisKey(key), timeoutMs);
    if (raw === UNAVAILABLE) {
      if (flight !== undefined) flight.l2Failed = true;
      return undefined;
    }
    if (raw === null) return undefined;
    try {
      const { header, payload } = readEnvelope(raw, key);
      return this.#entryFrom(key, this.#codec.decode(payload), header, raw, this.#clock.now());
    } catch (error) {
      this.#error(asSerializationError(error, key), { operation: 'decode', key });
      return undefined;
    }
  }

  #settle(key: string, flight: Flight, produced: Promise<unknown>): void {
    this.#pending.delete(produced);
    this.#release(key, flight);
  }

  #release(key: string, flight: Flight): void {
    if (this.#flights.get(key) === flight) this.#flights.delete(key);
  }

  #invalidateFlight(key: string): void {
    const flight = this.#flights.get(key);
    if (flight !== undefined) flight.invalidated = true;
  }

  // ---------------------------------------------------------------- Redis keys and generation

  #l2Usable(): boolean {
    return this.#l2 !== undefined && this.#generation !== undefined && this.#l2.usable;
  }

  #generationKey(): string {
    return `${this.options.namespace}:generation`;
  }

  /** `<namespace>:<version>:<generation>:{<key>}`: the braces keep an entry and its lock on one cluster slot. */
  #redisKey(key: string): string {
    return `${this.#keyPrefix}{${key}}`;
  }

  #setGeneration(generation: number): void {
    this.#generation = generation;
    this.#keyPrefix = `${this.options.namespace}:${this.options.version}:${generation}:`;
  }

  /** Reads the generation after every (re)connection: a `clear()` may have happened meanwhile. */
  async #syncGeneration(): Promise<void> {
    const l2 = this.#l2;
    if (l2 === undefined || l2.client.status !== 'ready') return;
    this.#generation = undefined;
    try {
      const raw = await withTimeout(l2.client.get(this.#generationKey()), this.defaults.redisTimeout);
      this.#setGeneration(raw === null ? 0 : Number(raw));
      l2.recovered();
    } catch (error) {
      this.#error(error, { operation: 'redis:generation' });
    }
  }

  // ---------------------------------------------------------------- events

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
