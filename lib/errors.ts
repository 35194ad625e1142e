/**
 * Every error tiercache throws extends {@link TierCacheError}: a stable `code` to switch on,
 * the original error as `cause`, and the context that names what was wrong.
 */

/** The stable codes, one per error class. */
export type TierCacheErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_KEY'
  | 'ERR_SERIALIZE'
  | 'ERR_RATE_LIMITED'
  | 'ERR_RATE_LIMIT_UNAVAILABLE'
  | 'ERR_TIMEOUT';

/** Base class of every tiercache error. */
export class TierCacheError extends Error {
  /** A stable code: safe to compare against, unlike the message. */
  readonly code: TierCacheErrorCode;

  constructor(code: TierCacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** True when `e` is any tiercache error. */
export function isTierCacheError(e: unknown): e is TierCacheError {
  return e instanceof TierCacheError;
}

/** An option, or the way an API was used, is invalid. `option` names it. */
export class CacheConfigError extends TierCacheError {
  /** The option at fault, as a dotted path (`defaults.ttl`, `l1.maxBytes`), when there is one. */
  readonly option: string | undefined;

  constructor(message: string, options?: { option?: string; cause?: unknown }) {
    super('ERR_CONFIG', options?.option === undefined ? message : `${options.option}: ${message}`, options);
    this.option = options?.option;
  }
}

/** A cache key, or an argument it is built from, cannot be encoded. */
export class CacheKeyError extends TierCacheError {
  /** Where in the arguments the bad part is (`args[0].filter`), when known. */
  readonly path: string | undefined;

  constructor(message: string, options?: { path?: string; cause?: unknown }) {
    super('ERR_KEY', options?.path === undefined ? message : `${message} at ${options.path}`, options);
    this.path = options?.path;
  }
}

/** A value cannot be encoded (or a stored one decoded) by the codec. */
export class SerializationError extends TierCacheError {
  /** Where in the value the bad part is (`value.items[2].fn`), when known. */
  readonly path: string | undefined;
  /** The cache key the value belongs to, when known. */
  key: string | undefined;

  constructor(message: string, options?: { path?: string; key?: string; cause?: unknown }) {
    super('ERR_SERIALIZE', options?.path === undefined ? message : `${message} at ${options.path}`, options);
    this.path = options?.path;
    this.key = options?.key;
  }
}

/** A `hardTimeout` elapsed before the method answered and no stale value was at hand. */
export class CacheTimeoutError extends TierCacheError {
  readonly key: string;
  readonly timeoutMs: number;

  constructor(key: string, timeoutMs: number) {
    super('ERR_TIMEOUT', `the method for "${key}" did not answer within its hardTimeout of ${timeoutMs} ms`);
    this.key = key;
    this.timeoutMs = timeoutMs;
  }
}

/** The policy a rate-limited method runs under, as the HTTP headers show it. */
export interface RateLimitPolicy {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
}

/** A call was over its rate limit: the method was not called. */
export class RateLimitError extends TierCacheError {
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the bucket or window is full again. */
  readonly resetMs: number;
  /** Milliseconds until this call's cost would be admitted. */
  readonly retryAfterMs: number;
  readonly policy: RateLimitPolicy;

  constructor(init: { limit: number; remaining: number; resetMs: number; retryAfterMs: number; policy: RateLimitPolicy }) {
    super('ERR_RATE_LIMITED', `rate limit "${init.policy.name}" exceeded: retry in ${Math.ceil(init.retryAfterMs)} ms`);
    this.limit = init.limit;
    this.remaining = init.remaining;
    this.resetMs = init.resetMs;
    this.retryAfterMs = init.retryAfterMs;
    this.policy = init.policy;
  }
}

/** Redis is down and the limiter was told to deny (`onRedisDown: 'deny'`). */
export class RateLimitUnavailableError extends TierCacheError {
  readonly policy: RateLimitPolicy;

  constructor(policy: RateLimitPolicy, options?: { cause?: unknown }) {
    super('ERR_RATE_LIMIT_UNAVAILABLE', `rate limit "${policy.name}" cannot be checked: Redis is unavailable`, options);
    this.policy = policy;
  }
}
