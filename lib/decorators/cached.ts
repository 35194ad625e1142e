import type { CacheEngine } from '../engine/cache-engine.js';
import type { Duration } from '../engine/duration.js';
import { describe } from '../engine/duration.js';
import type { Entry } from '../engine/entry.js';
import { ShapeIndex } from '../engine/shape-index.js';
import { DEFAULT_ENTRY_OPTIONS, resolveEntryOptions, resolveTags, type EntryOptions, type ResolvedEntryOptions } from '../engine/options.js';
import type { Counters } from '../engine/stats.js';
import { CacheConfigError, CacheKeyError } from '../errors.js';
import { encodeArgs, isPrimitiveKey, tryEncodeArg } from '../keys/canonical-key.js';
import { traceContext, traced, tracing, type TraceContext } from '../observability/tracing.js';
import { cacheResolver, checkCacheRef, requireEngine, type CacheRef } from './cache-ref.js';
import { innerOf, metadataOf, methodOf, type AnyFunction } from './metadata.js';
import { dualMethodDecorator, type DualMethodDecorator, type MethodSite } from './method-decorator.js';


/** Options of {@link Cached}. `Args` are the method's parameters, so key and tag builders are typed. */
export interface CachedOptions<Args extends unknown[] = any[], R = any> {
  /** The key prefix and stats name. @default 'Class.method' (the declaring class) */
  name?: string;
  /** Builds the `<args>` part of the key. @default a canonical encoding of the arguments */
  key?: (this: any, ...args: Args) => string;
  /** @default the engine's defaults.ttl */
  ttl?: Duration;
  /** @default the engine's defaults.grace */
  grace?: Duration;
  /** Tags of the entry, fixed or from the arguments. @default [] */
  tags?: readonly string[] | ((...args: Args) => readonly string[]);
  /** The engine. @default the one given to setDefaultCache, at the time of each call */
  cache?: CacheRef;
  /** `false`: return the result without storing it. */
  condition?: (result: Awaited<R>, ...args: Args) => boolean;
  /** Store `undefined` results too. @default false */
  cacheUndefined?: boolean;
  /** Deep-freeze cached values so a caller that mutates one fails loudly (for development). @default false */
  freeze?: boolean;
  /** @default the engine's defaults */
  redisTimeout?: Duration;
  softTimeout?: Duration;
  hardTimeout?: Duration;
  lockTimeout?: Duration;
  /** `false`: skip the in-process tier for this method. @default true */
  l1?: boolean;
}

/** What `getCachedMetadata` returns: the options as given, with the method's name once known. */
export interface CachedMetadata {
  readonly options: Readonly<CachedOptions>;
  readonly name: string | undefined;
}

const ENTRY_OPTION_NAMES = ['ttl', 'grace', 'redisTimeout', 'softTimeout', 'hardTimeout', 'lockTimeout', 'l1'] as const;
const KNOWN = new Set<string>([...ENTRY_OPTION_NAMES, 'name', 'key', 'tags', 'cache', 'condition', 'cacheUndefined', 'freeze']);
/** The state behind each wrapper, for `cacheKeyOf` and `getCachedMetadata`. */
const states = new WeakMap<object, CachedMethod>();
/** The index key of a call with no argument (distinct from a call with `undefined`). */
const NO_ARGS = Symbol('tiercache.noArgs');
/**
 * The entry whose promise a `@Cached` wrapper last returned for an L1 hit. A wrapper right
 * above (`@HttpCacheable`) compares it with the promise it got, and so learns the entry of a hit
 * without building the key and looking it up a second time. One slot, overwritten by each hit:
 * a promise matches only the entry it belongs to, so a stale slot is never mistaken for a match.
 * Reading it empties it, so that an entry L1 evicts is not kept alive here by a request long done.
 */
let lastHit: Entry | undefined;

/** The entry `pending` (a promise a `@Cached` method just returned) resolves to, when that call was an L1 hit. */
export function entryOfHit(pending: unknown): Entry | undefined {
  const entry = lastHit;
  lastHit = undefined;
  return entry !== undefined && entry.promise === pending ? entry : undefined;
}

/**
 * Caches the method's result in the two tiers. Misses for one key run the method once (per
 * process, and across replicas through Redis). Works as a standard and as a legacy decorator.
 *
 * An L1 hit on a method with zero or one primitive argument and the default key allocates
 * nothing: the entry is found by the raw argument in a per-method index and its resolved
 * promise is returned; the key string is built only on a miss.
 */
export function Cached<Args extends unknown[] = any[], R = any>(options: CachedOptions<Args, R> = {}): DualMethodDecorator<Args> {
  const resolved = resolveCachedOptions(options as CachedOptions);
  return dualMethodDecorator<Args>('@Cached', 'cached', resolved.metadata, (method, site) => {
    const state = new CachedMethod(resolved, method, site);
    const wrapper = function cached(this: unknown, arg?: unknown): Promise<unknown> {
      const count = arguments.length;
      // Traced calls take the full path, which records how each call ended.
      if (tracing.hasSubscribers) return state.traced(this, arguments);
      if (count < 2 && state.indexed) {
        const engine = state.engineOf();
        if (engine === state.engine) {
          let entry: Entry | undefined;
          if (count === 0 || typeof arg !== 'object' || arg === null) {
            entry = state.index.get(count === 0 ? NO_ARGS : arg);
          } else {
            // One object argument: found by its values when it is a flat object seen before,
            // else by its encoding in the second index (and then filed by its values). A key the
            // argument cannot make (a function inside) is left to the full path, which rejects.
            entry = state.shapes.get(arg);
            if (entry === undefined) {
              const encoded = tryEncodeArg(arg);
              if (encoded !== undefined) {
                entry = state.argIndex.get(encoded);
                if (entry !== undefined) state.shapes.set(arg, entry);
              }
            }
          }
          // Valid while its epoch is the engine's (no tag looked at), and fresh before its early-refresh time.
          if (entry !== undefined && engine.hotClock.now() < entry.earlyAt && (entry.epoch === engine.epoch || engine.revalidate(entry))) {
            // LRU recency is refreshed on one hit in 64 (the entry hit then): touching the LRU on
            // every hit would halve the speed of the hit path, and hot entries still get touched.
            if ((++state.counters.l1Hits & 63) === 0) engine.touch(entry);
            if (engine.observeHits) engine.emitHit(entry.key, 'l1', state.name);
            lastHit = entry;
            return entry.promise;
          }
        }
      }
      return state.call(this, arguments);
    };
    Object.defineProperty(wrapper, 'name', { value: method.name });
    states.set(wrapper, state);
    return wrapper;
  });
}

/** Options of one decorated method, checked once at decoration. */
interface ResolvedCached {
  readonly entry: EntryOptions;
  readonly name: string | undefined;
  readonly key: ((this: unknown, ...args: unknown[]) => string) | undefined;
  readonly tags: ((...args: unknown[]) => readonly string[]) | undefined;
  readonly cache: CacheRef | undefined;
  readonly condition: ((result: unknown, ...args: unknown[]) => boolean) | undefined;
  readonly cacheUndefined: boolean;
  readonly freeze: boolean;
  readonly metadata: CachedMetadata;
}

function resolveCachedOptions(raw: CachedOptions): ResolvedCached {
  if (typeof raw !== 'object' || raw === null) throw new CacheConfigError(`expected an options object, got ${describe(raw)}`, { option: '@Cached' });
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) throw new CacheConfigError(`unknown option (known: ${[...KNOWN].join(', ')})`, { option: key });
  }
  const entry: EntryOptions = {};
  for (const name of ENTRY_OPTION_NAMES) if (raw[name] !== undefined) (entry as Record<string, unknown>)[name] = raw[name];
  let tags: ResolvedCached['tags'];
  if (typeof raw.tags === 'function') tags = raw.tags as ResolvedCached['tags'];
  else if (raw.tags !== undefined) entry.tags = resolveTags(raw.tags, 'tags');
  // Checked now against the built-in defaults, so a bad duration fails at decoration, not at the first call.
  resolveEntryOptions(entry, DEFAULT_ENTRY_OPTIONS, '');
  if (raw.name !== undefined && (typeof raw.name !== 'string' || raw.name.length === 0 || raw.name.includes('{') || raw.name.includes('}'))) {
    throw new CacheConfigError(`expected a non-empty string without braces, got ${describe(raw.name)}`, { option: 'name' });
  }
  checkFunction(raw.key, 'key');
  checkFunction(raw.condition, 'condition');
  checkCacheRef(raw.cache);
  for (const flag of ['cacheUndefined', 'freeze'] as const) {
    if (raw[flag] !== undefined && typeof raw[flag] !== 'boolean') throw new CacheConfigError(`expected a boolean, got ${describe(raw[flag])}`, { option: flag });
  }
  return {
    entry,
    name: raw.name,
    key: raw.key as ResolvedCached['key'],
    tags,
    cache: raw.cache,
    condition: raw.condition as ResolvedCached['condition'],
    cacheUndefined: raw.cacheUndefined ?? false,
    freeze: raw.freeze ?? false,
    metadata: { options: Object.freeze({ ...raw }), name: raw.name },
  };
}

function checkFunction(value: unknown, option: string): void {
  if (value !== undefined && typeof value !== 'function') throw new CacheConfigError(`expected a function, got ${describe(value)}`, { option });
}

/** The state of one decorated method: its options and its binding to the engine of the last call. */
class CachedMethod {
  readonly #options: ResolvedCached;
  readonly #method: AnyFunction;
  readonly #site: MethodSite;
  /** `<name>:`, the start of every key of this method. */
  #prefix = '';
  /** The index can serve hits only when the key is a function of the raw argument alone. */
  readonly indexed: boolean;
  /** Resolves the engine of a call; chosen once, so the hit path does not test the option's shape. */
  readonly engineOf: () => CacheEngine | undefined;
  name: string | undefined;
  /** The engine the fields below belong to; `null` until the first call. */
  engine: CacheEngine | null = null;
  index: Map<unknown, Entry> = new Map();
  /** Entries by the encoded `<args>` part, for calls whose argument is not a primitive. */
  argIndex: Map<unknown, Entry> = new Map();
  /** The same entries by the values of a flat object argument. */
  shapes: ShapeIndex = new ShapeIndex();
  counters!: Counters;
  entryOptions!: ResolvedEntryOptions;

  constructor(options: ResolvedCached, method: AnyFunction, site: MethodSite) {
    this.#options = options;
    this.#method = method;
    this.#site = site;
    this.indexed = options.key === undefined;
    const cache = options.cache;
    this.engineOf = cacheResolver(cache);
    this.name = options.name ?? (site.declaringClass === undefined ? undefined : nameOf(site.declaringClass, site.methodName));
    if (this.name === undefined) site.onClassKnown = (declaringClass) => (this.name ??= nameOf(declaringClass, site.methodName));
  }

  /** A call published on the tracing channel, with its outcome. */
  traced(self: unknown, args: IArguments): Promise<unknown> {
    const context = traceContext('cached', this.name, undefined);
    return tracing.tracePromise(() => this.call(self, args, context), context);
  }

  /** Everything but the indexed L1 hit: key building, the engine's full flow. */
  call(self: unknown, args: IArguments, trace?: TraceContext): Promise<unknown> {
    try {
      let engine = this.engineOf();
      if (engine !== this.engine) {
        engine = requireEngine(engine, '@Cached');
        this.name ??= nameOf((self as { constructor?: AnyFunction } | null)?.constructor ?? Object, this.#site.methodName);
        this.#bind(engine);
      }
      if (trace !== undefined) trace.method = this.name;
      const count = args.length;
      const encoded = this.#keyOf(self, args);
      const primitive = this.indexed && count < 2 && (count === 0 || isPrimitiveKey(args[0]));
      // Object arguments and custom keys: the entry is found by the `<args>` part alone, in a
      // second per-method index, before the full key is even concatenated.
      if (!primitive) {
        const entry = this.argIndex.get(encoded);
        if (entry !== undefined && engine.hotClock.now() < entry.earlyAt && (entry.epoch === engine.epoch || engine.revalidate(entry))) {
          if ((++this.counters.l1Hits & 63) === 0) engine.touch(entry);
          if (engine.observeHits) engine.emitHit(entry.key, 'l1', this.name);
          if (trace !== undefined) {
            trace.key = entry.key;
            traced(trace, 'hit', 'l1');
          }
          lastHit = entry;
          return entry.promise;
        }
      }
      const index = primitive ? this.index : this.argIndex;
      const indexKey = primitive ? (count === 0 ? NO_ARGS : args[0]) : encoded;
      const key = this.#prefix + encoded;
      if (trace !== undefined) trace.key = key;
      const hit = engine.peek(key, this.entryOptions, this.counters, index, indexKey);
      if (hit !== undefined) {
        traced(trace, 'hit', 'l1');
        return hit;
      }
      return this.#miss(engine, self, Array.prototype.slice.call(args) as unknown[], key, index, indexKey, trace);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #miss(engine: CacheEngine, self: unknown, list: unknown[], key: string, index: Map<unknown, Entry>, indexKey: unknown, trace: TraceContext | undefined): Promise<unknown> {
    let options = this.entryOptions;
    if (this.#options.tags !== undefined) options = { ...options, tags: resolveTags(this.#options.tags(...list), 'tags') };
    const method = this.#method;
    const condition = this.#options.condition;
    return engine.fetch(key, options, {
      run: () => method.apply(self, list),
      accept: condition === undefined ? undefined : (result) => condition(result, ...list),
      cacheUndefined: this.#options.cacheUndefined,
      freeze: this.#options.freeze,
      counters: this.counters,
      method: this.name,
      index,
      indexKey,
      trace,
    });
  }

  /**
   * The L1 entry that holds the result of a call with `args`, found as a hit would find it (no
   * stats, no recency), or `undefined` when L1 holds none for it.
   */
  entryOf(self: unknown, args: readonly unknown[]): Entry | undefined {
    if (this.engine === null) return undefined;
    const count = args.length;
    if (this.indexed && count < 2 && (count === 0 || isPrimitiveKey(args[0]))) return this.index.get(count === 0 ? NO_ARGS : args[0]);
    try {
      return this.argIndex.get(this.#keyOf(self, args));
    } catch {
      return undefined; // a key the call itself could not build: it was never cached
    }
  }

  /** The key of a call, for `cacheKeyOf`. */
  keyOf(self: unknown, args: unknown[]): string {
    if (this.name === undefined) {
      throw new CacheConfigError('the method has no name yet: construct an instance first or give @Cached a `name`', { option: 'name' });
    }
    return `${this.name}:${this.#keyOf(self, args)}`;
  }

  #keyOf(self: unknown, list: ArrayLike<unknown>): string {
    if (this.#options.key === undefined) return encodeArgs(list);
    const custom = this.#options.key.apply(self, list as unknown[]);
    if (typeof custom !== 'string') throw new CacheKeyError(`the key function of ${this.name} returned ${describe(custom)}, not a string`);
    return custom;
  }

  #bind(engine: CacheEngine): void {
    this.#prefix = `${this.name}:`;
    this.entryOptions = resolveEntryOptions(this.#options.entry, engine.defaults, '');
    this.counters = engine.methodCounters(this.name!);
    this.index = engine.methodIndex(this.name!);
    this.argIndex = engine.methodIndex(`${this.name!}\u0000args`);
    this.shapes = engine.methodShapes(this.name!);
    this.engine = engine;
  }
}


function nameOf(declaringClass: AnyFunction, methodName: string | symbol): string {
  return `${declaringClass.name || 'anonymous'}.${String(methodName)}`;
}

/**
 * The cache key `method` uses for `args`, e.g. `cacheKeyOf(catalog.product, 1)` is
 * `'Catalog.product:1'`, so `cache.delete(cacheKeyOf(catalog.product, 1))` drops that entry.
 */
export function cacheKeyOf<Args extends unknown[]>(method: (...args: Args) => unknown, ...args: Args): string {
  const state = stateOf(method);
  if (state === undefined) throw new CacheConfigError('cacheKeyOf takes a method decorated with @Cached', { option: 'method' });
  return state.keyOf(undefined, args);
}

/**
 * The cache entry behind the result of `method` (a `@Cached` method, or a wrapper of one) called
 * on `self` with `args`, while L1 holds it: how the HTTP layer learns an entry's freshness and tags
 * and where it keeps the entry's serialised body. `undefined` for any other function.
 */
export function entryOfCall(method: unknown, self: unknown, args: readonly unknown[]): Entry | undefined {
  return stateOf(method)?.entryOf(self, args);
}

/** The options `@Cached` was given on `methodName` of a class or instance (either decorator mode), or `undefined`. */
export function getCachedMetadata(classOrInstance: object, methodName: string | symbol): CachedMetadata | undefined {
  const fn = methodOf(classOrInstance, methodName);
  const metadata = metadataOf(fn, 'cached') as CachedMetadata | undefined;
  if (metadata === undefined) return undefined;
  return { options: metadata.options, name: stateOf(fn)?.name ?? metadata.name };
}

function stateOf(fn: unknown): CachedMethod | undefined {
  let current = fn;
  while (typeof current === 'function') {
    const state = states.get(current);
    if (state !== undefined) return state;
    current = innerOf(current);
  }
  return undefined;
}
