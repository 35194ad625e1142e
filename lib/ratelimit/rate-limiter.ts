import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { CacheEngine } from '../engine/cache-engine.js';
import { describe, parseDuration } from '../engine/duration.js';
import { CacheConfigError, RateLimitError, RateLimitUnavailableError, type RateLimitPolicy } from '../errors.js';
import { traceContext, traced, tracing, type TraceContext } from '../observability/tracing.js';
import type { RedisScript } from '../tiers/redis-script.js';
import { UNAVAILABLE } from '../tiers/redis-tier.js';
import { decide, type BucketState, type RateLimitAlgorithm, type RateLimitDecision } from './algorithms.js';
import { FIXED_WINDOW, SLIDING_WINDOW, TOKEN_BUCKET } from './scripts.js';

/** What to do while Redis cannot be asked. */
export type OnRedisDown = 'local' | 'allow' | 'deny';

/** Settings of one limiter, after resolution. */
export interface RateLimitSettings {
  readonly limit: number;
  readonly windowMs: number;
  readonly algorithm: RateLimitAlgorithm;
  readonly onRedisDown: OnRedisDown;
}

/** The state of a bucket as `peekRateLimit` (and a RateLimitError) reports it. */
export interface RateLimitState {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  readonly resetMs: number;
  readonly retryAfterMs: number;
  readonly policy: RateLimitPolicy;
  /** Where the decision was made: Redis (shared by every replica), this process, or nowhere ('allow' while Redis is down). */
  readonly source: 'redis' | 'local' | 'none';
}

const SCRIPTS: Record<RateLimitAlgorithm, RedisScript> = {
  'token-bucket': TOKEN_BUCKET,
  'sliding-window': SLIDING_WINDOW,
  'fixed-window': FIXED_WINDOW,
};
const ALGORITHMS = Object.keys(SCRIPTS) as RateLimitAlgorithm[];
const DOWN_POLICIES: readonly OnRedisDown[] = ['local', 'allow', 'deny'];
/** Buckets the in-process limiter keeps while Redis is down; the least recently used go first. */
const MAX_LOCAL_BUCKETS = 100_000;
/** Key parts longer than this are hashed, so a bucket key stays bounded. */
const MAX_KEY_PART = 128;

/** Checks `limit`, `window`, `algorithm`, `onRedisDown` once, naming the option at fault. */
export function resolveRateLimitSettings(raw: { limit?: unknown; window?: unknown; algorithm?: unknown; onRedisDown?: unknown }): RateLimitSettings {
  if (typeof raw.limit !== 'number' || !Number.isSafeInteger(raw.limit) || raw.limit < 1) {
    throw new CacheConfigError(`expected a positive integer, got ${describe(raw.limit)}`, { option: 'limit' });
  }
  if (raw.window === undefined) throw new CacheConfigError('is required (a duration such as \'1m\')', { option: 'window' });
  const windowMs = parseDuration(raw.window, 'window');
  if (windowMs < 1) throw new CacheConfigError('must be at least 1 ms', { option: 'window' });
  const algorithm = raw.algorithm ?? 'token-bucket';
  if (!ALGORITHMS.includes(algorithm as RateLimitAlgorithm)) {
    throw new CacheConfigError(`expected one of ${ALGORITHMS.join(', ')}, got ${describe(algorithm)}`, { option: 'algorithm' });
  }
  const onRedisDown = raw.onRedisDown ?? 'local';
  if (!DOWN_POLICIES.includes(onRedisDown as OnRedisDown)) {
    throw new CacheConfigError(`expected one of ${DOWN_POLICIES.join(', ')}, got ${describe(onRedisDown)}`, { option: 'onRedisDown' });
  }
  return Object.freeze({ limit: raw.limit, windowMs, algorithm: algorithm as RateLimitAlgorithm, onRedisDown: onRedisDown as OnRedisDown });
}

/** A cost must be a finite number >= 0, and at most `limit` (else no call could ever pass). */
export function checkCost(cost: unknown, limit: number): number {
  if (typeof cost !== 'number' || !Number.isFinite(cost) || cost < 0) {
    throw new CacheConfigError(`expected a finite number >= 0, got ${describe(cost)}`, { option: 'cost' });
  }
  if (cost > limit) throw new CacheConfigError(`${cost} is above the limit of ${limit}: no call could ever be admitted`, { option: 'cost' });
  return cost;
}

/**
 * One policy's buckets: checked atomically in Redis (one script, one round trip, shared by
 * every replica), or, while Redis is down, by the policy chosen: an in-process limiter of the
 * same algorithm, letting calls through, or refusing them.
 */
export class RateLimiter {
  readonly settings: RateLimitSettings;
  readonly policy: RateLimitPolicy;
  readonly #bucketPrefix: string;
  readonly #local = new LRUCache<string, BucketState>({ max: MAX_LOCAL_BUCKETS });

  /**
   * @param name the policy's name, in errors and headers
   * @param bucketName what keeps this policy's buckets apart from other policies' (`Class.method`)
   */
  constructor(settings: RateLimitSettings, name: string, bucketName: string) {
    this.settings = settings;
    this.policy = Object.freeze({ name, limit: settings.limit, windowMs: settings.windowMs });
    this.#bucketPrefix = escapeKeyPart(bucketName);
  }

  /** Consumes `cost` from `key`'s bucket, or throws `RateLimitError` (or `RateLimitUnavailableError`). */
  consume(engine: CacheEngine, key: string, cost: number): Promise<RateLimitState> {
    if (!tracing.hasSubscribers) return this.#consume(engine, key, cost, undefined);
    const context = traceContext('rateLimit', this.policy.name, key);
    return tracing.tracePromise(() => this.#consume(engine, key, cost, context), context);
  }

  async #consume(engine: CacheEngine, key: string, cost: number, trace: TraceContext | undefined): Promise<RateLimitState> {
    const state = await this.#check(engine, key, cost, true);
    traced(trace, state.allowed ? 'allowed' : 'limited', state.source === 'redis' ? 'l2' : state.source === 'local' ? 'l1' : undefined);
    if (!state.allowed) {
      throw new RateLimitError({ limit: state.limit, remaining: state.remaining, resetMs: state.resetMs, retryAfterMs: state.retryAfterMs, policy: this.policy });
    }
    return state;
  }

  /** The bucket's state and whether a call of `cost` would pass, consuming nothing. */
  peek(engine: CacheEngine, key: string, cost: number): Promise<RateLimitState> {
    return this.#check(engine, key, cost, false);
  }

  async #check(engine: CacheEngine, key: string, cost: number, consume: boolean): Promise<RateLimitState> {
    const { limit, windowMs, algorithm, onRedisDown } = this.settings;
    // The algorithm is part of the key: a policy that changes algorithm starts afresh instead of misreading the old state.
    const bucket = `${engine.options.namespace}:rl:{${this.#bucketPrefix}:${escapeKeyPart(key)}}:${algorithm}`;
    const pending = engine.runScript(SCRIPTS[algorithm], bucket, [limit, windowMs, cost, consume ? 1 : 0]);
    const reply = pending === undefined ? UNAVAILABLE : await pending;
    if (Array.isArray(reply)) {
      return this.#state(
        { allowed: reply[0] === 1, remaining: Number(reply[1]), retryAfterMs: Number(reply[2]), resetMs: Number(reply[3]) },
        'redis',
      );
    }
    // No L2 configured: the in-process limiter is the limiter. Redis down: the policy decides.
    if (pending !== undefined && onRedisDown !== 'local') {
      if (onRedisDown === 'deny') throw new RateLimitUnavailableError(this.policy);
      return this.#state({ allowed: true, remaining: limit, retryAfterMs: 0, resetMs: 0 }, 'none');
    }
    const result = decide(algorithm, this.#local.get(bucket), engine.clock.now(), limit, windowMs, cost, consume);
    if (consume) this.#local.set(bucket, result.state);
    return this.#state(result.decision, 'local');
  }

  #state(decision: RateLimitDecision, source: RateLimitState['source']): RateLimitState {
    return {
      allowed: decision.allowed,
      limit: this.settings.limit,
      remaining: Math.max(0, Math.floor(decision.remaining)),
      resetMs: Math.ceil(decision.resetMs),
      retryAfterMs: Math.ceil(decision.retryAfterMs),
      policy: this.policy,
      source,
    };
  }
}

/**
 * A key part as it goes into a bucket key: `%`, `:`, `{`, `}` and `#` escaped so that no user key can
 * reach into another bucket or break the cluster hash tag; long parts replaced by their SHA-256.
 */
export function escapeKeyPart(part: string): string {
  // '#' too: an escaped part can then never look like the hashed form of a long one.
  const escaped = part.replace(/[%:{}#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return escaped.length <= MAX_KEY_PART ? escaped : `#${createHash('sha256').update(part).digest('base64url')}`;
}
