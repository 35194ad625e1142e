/**
 * tiercache: two-tier (in-process + Redis) caching for the methods of service classes.
 * Every public name is listed here.
 *
 * @module tiercache
 */
export { createCache, setDefaultCache, getDefaultCache } from './engine/default-cache.js';
export { CacheEngine } from './engine/cache-engine.js';
export type { CacheEvents, CacheEventName, ReadyState, GetOptions } from './engine/cache-engine.js';
export type { CacheOptions, EntryOptions, L2Options, Logger, ResolvedCacheOptions, ResolvedEntryOptions } from './engine/options.js';
export { DEFAULT_CACHE_OPTIONS, DEFAULT_ENTRY_OPTIONS } from './engine/options.js';
export type { Duration, DurationUnit } from './engine/duration.js';
export type { Entry } from './engine/entry.js';
export { parseDuration } from './engine/duration.js';
export type { Clock } from './engine/clock.js';
export type { CacheStats, MethodStats } from './engine/stats.js';
export { TRACING_CHANNEL } from './observability/tracing.js';
export type { TraceContext, TraceOutcome, TracedOperation } from './observability/tracing.js';
export { refreshContext } from './engine/refresh-context.js';
export type { RefreshContext, PreviousValue } from './engine/refresh-context.js';
export type { Codec } from './codec/codec.js';
export { jsonCodec } from './codec/json-codec.js';
export { Cached, cacheKeyOf, getCachedMetadata } from './decorators/cached.js';
export type { CachedOptions, CachedMetadata } from './decorators/cached.js';
export type { CacheRef } from './decorators/cache-ref.js';
export { InvalidatesTags, getInvalidatesTagsMetadata } from './decorators/invalidates-tags.js';
export type { InvalidatesTagsOptions, InvalidatesTagsMetadata } from './decorators/invalidates-tags.js';
export { RateLimited, peekRateLimit, getRateLimitedMetadata } from './decorators/rate-limited.js';
export type { RateLimitedOptions } from './decorators/rate-limited.js';
export { HttpCacheable, getHttpCacheMetadata } from './decorators/http-cacheable.js';
export type { HttpCacheableOptions, HttpCacheMetadata, HttpAge, HttpRecord } from './decorators/http-cacheable.js';
export type { HttpCachePolicy } from './http/cache-control.js';
export type { RateLimitAlgorithm, RateLimitDecision } from './ratelimit/algorithms.js';
export type { RateLimitState, OnRedisDown } from './ratelimit/rate-limiter.js';
export { runWithContext, currentContext } from './context/request-context.js';
export type { RequestContext } from './context/request-context.js';
export type { DualMethodDecorator } from './decorators/method-decorator.js';
export {
  TierCacheError,
  isTierCacheError,
  CacheConfigError,
  CacheKeyError,
  SerializationError,
  CacheTimeoutError,
  RateLimitError,
  RateLimitUnavailableError,
} from './errors.js';
export type { TierCacheErrorCode, RateLimitPolicy } from './errors.js';
