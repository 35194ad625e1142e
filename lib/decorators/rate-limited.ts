import type { Duration } from '../engine/duration.js';
import { describe } from '../engine/duration.js';
import { CacheConfigError, CacheKeyError } from '../errors.js';
import type { RateLimitAlgorithm } from '../ratelimit/algorithms.js';
import { checkCost, RateLimiter, resolveRateLimitSettings, type OnRedisDown, type RateLimitState } from '../ratelimit/rate-limiter.js';
import { currentContext } from '../context/request-context.js';
import { cacheResolver, checkCacheRef, requireEngine, type CacheRef } from './cache-ref.js';
import { innerOf as innerOfWrapper, metadataOf, methodOf, type AnyFunction } from './metadata.js';
import { dualMethodDecorator, type DualMethodDecorator } from './method-decorator.js';

/** Options of {@link RateLimited}. */
export interface RateLimitedOptions<Args extends unknown[] = any[]> {
  /** Calls (or cost units) per window: a positive integer. */
  limit: number;
  /** The window: for the token bucket, the time to refill from empty to full. */
  window: Duration;
  /** @default 'token-bucket' */
  algorithm?: RateLimitAlgorithm;
  /** The bucket of a call. @default the request's client (see runWithContext), else one bucket for the method */
  key?: (...args: Args) => string;
  /** What a call costs. @default 1 */
  cost?: number | ((...args: Args) => number);
  /** While Redis is down: limit in this process ('local'), let calls through ('allow'), or refuse them ('deny'). @default 'local' */
  onRedisDown?: OnRedisDown;
  /** The policy name in errors and headers. @default the method name */
  name?: string;
  /** The engine whose Redis holds the buckets. @default the one given to setDefaultCache, at the time of each call */
  cache?: CacheRef;
}

const KNOWN = new Set(['limit', 'window', 'algorithm', 'key', 'cost', 'onRedisDown', 'name', 'cache']);
/**
 * The bucket of calls made outside any request when no `key` is given: one for the method. Empty,
 * which no client id or key can be, so none can drain it (or be drained by it).
 */
const SHARED_BUCKET = '';

interface Limited {
  readonly options: RateLimitedOptions;
  /** The method's limiter, created once the declaring class is known. */
  readonly limiterFor: (self: unknown) => RateLimiter;
}

const limitedMethods = new WeakMap<object, Limited>();

/**
 * Limits calls to the method per key, atomically across replicas (one Redis script per call).
 * Over the limit the method is not called and the promise rejects with `RateLimitError`
 * (`limit`, `remaining`, `resetMs`, `retryAfterMs`, `policy`). Options are checked here, at
 * decoration: a constant `cost` above `limit` is a `CacheConfigError`.
 */
export function RateLimited<Args extends unknown[] = any[]>(options: RateLimitedOptions<Args>): DualMethodDecorator<Args> {
  if (typeof options !== 'object' || options === null) throw new CacheConfigError(`expected an options object, got ${describe(options)}`, { option: '@RateLimited' });
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new CacheConfigError(`unknown option (known: ${[...KNOWN].join(', ')})`, { option: key });
  }
  const settings = resolveRateLimitSettings(options);
  const { key: keyOf, cost = 1, name } = options;
  if (keyOf !== undefined && typeof keyOf !== 'function') throw new CacheConfigError(`expected a function, got ${describe(keyOf)}`, { option: 'key' });
  if (typeof cost !== 'function') checkCost(cost, settings.limit);
  if (name !== undefined && (typeof name !== 'string' || name.length === 0 || /["\\\s]/.test(name))) {
    throw new CacheConfigError(`expected a non-empty string without quotes, backslashes or spaces (it goes into headers), got ${describe(name)}`, { option: 'name' });
  }
  checkCacheRef(options.cache);
  const engineOf = cacheResolver(options.cache);
  const costOf = typeof cost === 'function' ? (cost as (...args: unknown[]) => number) : undefined;
  const metadata = Object.freeze({ ...options });

  return dualMethodDecorator<Args>('@RateLimited', 'ratelimited', metadata, (method, site) => {
    let limiter: RateLimiter | undefined;
    const limiterFor = (self: unknown): RateLimiter => {
      if (limiter !== undefined) return limiter;
      const owner = site.declaringClass ?? (self as { constructor?: AnyFunction } | null)?.constructor;
      const methodName = String(site.methodName);
      if (owner === undefined && name === undefined) {
        // Standard decorators learn the class at its first construction: before that, the bucket is unknown.
        throw new CacheConfigError('the bucket of this method is not known yet: construct an instance first, or give @RateLimited a `name`', { option: 'name' });
      }
      // A named policy is one set of buckets wherever the name is used; else the method's own,
      // which is only known (and kept) once the declaring class is.
      limiter = new RateLimiter(settings, name ?? methodName, name ?? `${owner?.name ?? 'anonymous'}.${methodName}`);
      return limiter;
    };
    const limited: Limited = { options: options as RateLimitedOptions, limiterFor };
    const wrapper = async function rateLimited(this: unknown, ...args: unknown[]): Promise<unknown> {
      const engine = requireEngine(engineOf(), '@RateLimited');
      const limiter = limiterFor(this);
      const state = await limiter.consume(engine, bucketOf(keyOf as ((...a: unknown[]) => string) | undefined, args), costOf === undefined ? (cost as number) : checkCost(costOf(...args), settings.limit));
      currentContext()?.rateLimits?.push({ name: limiter.policy.name, limit: state.limit, remaining: state.remaining, resetMs: state.resetMs, windowMs: settings.windowMs });
      const pending: unknown = method.apply(this, args);
      if (typeof (pending as { then?: unknown } | null)?.then !== 'function') {
        throw new CacheConfigError(`${String(site.methodName)} returned ${typeof pending}, not a promise: @RateLimited wraps async methods only`, { option: '@RateLimited' });
      }
      return pending;
    };
    Object.defineProperty(wrapper, 'name', { value: method.name });
    limitedMethods.set(wrapper, limited);
    return wrapper as AnyFunction;
  });
}

/** The bucket of a call: the `key` option, else the request's client, else one bucket for the method. */
function bucketOf(keyOf: ((...args: unknown[]) => string) | undefined, args: unknown[]): string {
  if (keyOf === undefined) {
    const clientId = currentContext()?.clientId;
    return clientId === undefined || clientId === '' ? SHARED_BUCKET : clientId;
  }
  const key = keyOf(...args);
  if (typeof key !== 'string' || key.length === 0) throw new CacheKeyError(`the key function of @RateLimited returned ${describe(key)}, not a non-empty string`);
  return key;
}

/**
 * The state of the bucket `method` would use for `args` (remaining, reset, whether a call would
 * pass), consuming nothing. `method` is a `@RateLimited` method, e.g. `service.search`.
 */
export async function peekRateLimit<Args extends unknown[]>(method: (...args: Args) => unknown, ...args: Args): Promise<RateLimitState> {
  let current: unknown = method;
  let limited: Limited | undefined;
  while (typeof current === 'function' && (limited = limitedMethods.get(current)) === undefined) current = innerOfWrapper(current);
  if (limited === undefined) throw new CacheConfigError('peekRateLimit takes a method decorated with @RateLimited', { option: 'method' });
  const engine = requireEngine(cacheResolver(limited.options.cache)(), '@RateLimited');
  const limiter = limited.limiterFor(undefined);
  const cost = limited.options.cost ?? 1;
  return limiter.peek(engine, bucketOf(limited.options.key as ((...a: unknown[]) => string) | undefined, args), typeof cost === 'function' ? checkCost(cost(...args), limiter.settings.limit) : cost);
}

/** The options `@RateLimited` was given on `methodName` of a class or instance, or `undefined`. */
export function getRateLimitedMetadata(classOrInstance: object, methodName: string | symbol): Readonly<RateLimitedOptions> | undefined {
  return metadataOf(methodOf(classOrInstance, methodName), 'ratelimited') as RateLimitedOptions | undefined;
}
