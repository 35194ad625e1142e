import type { Cluster, ClusterNode, ClusterOptions, Redis } from 'ioredis';
import type { Codec } from '../codec/codec.js';
import { jsonCodec } from '../codec/json-codec.js';
import { CacheConfigError } from '../errors.js';
import type { Clock } from './clock.js';
import { describe, parseDuration, type Duration } from './duration.js';

/** A pino-compatible logger: each method takes a context object and a message. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Per-entry settings: engine-wide under `defaults`, per call in `getOrSet`/`set`, per method in `@Cached`. */
export interface EntryOptions {
  /** How long an entry is fresh. @default '1m' */
  ttl?: Duration;
  /**
   * How long after `ttl` an expired entry may still be served: at once while one refresh runs
   * (stale-while-revalidate), or when the method throws (stale-if-error). `0` turns it off.
   * @default '10m'
   */
  grace?: Duration;
  /** Tags carried by the entry, for `invalidateTags`. @default [] */
  tags?: readonly string[];
  /** The longest a call waits for Redis before it goes on without it. @default '250ms' */
  redisTimeout?: Duration;
  /** With a stale value at hand, how long to wait for a fresh one before answering with the stale one. @default undefined (answer at once) */
  softTimeout?: Duration;
  /** With no stale value at hand, how long to wait for the method before `CacheTimeoutError`. @default undefined (no limit) */
  hardTimeout?: Duration;
  /** How long a replica may hold the lock that lets it alone run the method for a key. @default '5s' */
  lockTimeout?: Duration;
  /** `false`: this entry skips the in-process tier. @default true */
  l1?: boolean;
}

/** Where L2 lives: a URL or a client for one Redis, or a Redis Cluster. */
export type L2Options =
  | { redis: string | Redis }
  | { cluster: readonly ClusterNode[] | Cluster; clusterOptions?: ClusterOptions };

/** Options of {@link createCache}. Every duration is milliseconds or a string such as `'30s'`. */
export interface CacheOptions {
  /** Prefix of every Redis key and channel; `[A-Za-z0-9_.-]+`. */
  namespace: string;
  /** Part of every entry key: bump it to orphan every old entry at once. @default 1 */
  version?: number | string;
  /** The in-process tier (lru-cache), or `false` for none. @default { maxEntries: 10_000, maxBytes: 64 MiB } */
  l1?: { maxEntries?: number; maxBytes?: number } | false;
  /** The Redis tier, or `false` for none. @default false */
  l2?: L2Options | false;
  /** Pub/sub invalidation across replicas. @default true when l2 is on */
  bus?: boolean;
  /** Entry settings for every call that does not override them. */
  defaults?: EntryOptions;
  /** How long L1 may still be served once the bus is known to be down. @default 0 */
  maxStaleness?: Duration;
  /** A pino-compatible logger for what goes wrong. @default none */
  logger?: Logger;
  /** The time source. @default the system clock (read coarsely on the hit path) */
  clock?: Clock;
  /** The random source (jitter, early refresh), a function like `Math.random`. @default Math.random */
  random?: () => number;
  /** Turns values into strings for L2 and back. @default jsonCodec */
  codec?: Codec;
  /**
   * Refresh a fresh entry shortly before it expires, with a probability that rises as expiry nears
   * (XFetch: `beta` x the method's last duration x -ln(random)), so hot keys never all expire at once.
   * `false` turns it off. @default { beta: 1 }
   */
  earlyRefresh?: { beta?: number } | false;
  /** Each entry's ttl is shortened by up to this fraction, at random, so keys written together do not expire together. @default 0.05 */
  ttlJitter?: number;
  /** Circuit breaker over Redis. @default { threshold: 3, cooldown: '1s', maxCooldown: '30s' } */
  breaker?: { threshold?: number; cooldown?: Duration; maxCooldown?: Duration };
}

/** Entry options after resolution: milliseconds only. */
export interface ResolvedEntryOptions {
  readonly ttl: number;
  readonly grace: number;
  readonly tags: readonly string[];
  readonly redisTimeout: number;
  readonly softTimeout: number | undefined;
  readonly hardTimeout: number | undefined;
  readonly lockTimeout: number;
  readonly l1: boolean;
}

export interface ResolvedCacheOptions {
  readonly namespace: string;
  readonly version: string;
  readonly l1: { readonly maxEntries: number; readonly maxBytes: number } | false;
  readonly l2: L2Options | false;
  readonly bus: boolean;
  readonly defaults: ResolvedEntryOptions;
  readonly maxStaleness: number;
  readonly logger: Logger | undefined;
  readonly clock: Clock | undefined;
  readonly random: () => number;
  readonly codec: Codec;
  readonly earlyRefreshBeta: number;
  readonly ttlJitter: number;
  readonly breaker: { readonly threshold: number; readonly cooldown: number; readonly maxCooldown: number };
}

/** The defaults every option falls back to. */
export const DEFAULT_ENTRY_OPTIONS: ResolvedEntryOptions = Object.freeze({
  ttl: 60_000,
  grace: 600_000,
  tags: Object.freeze([]),
  redisTimeout: 250,
  softTimeout: undefined,
  hardTimeout: undefined,
  lockTimeout: 5_000,
  l1: true,
});

export const DEFAULT_CACHE_OPTIONS = Object.freeze({
  version: '1',
  l1: Object.freeze({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 }),
  maxStaleness: 0,
  earlyRefreshBeta: 1,
  ttlJitter: 0.05,
  breaker: Object.freeze({ threshold: 3, cooldown: 1_000, maxCooldown: 30_000 }),
});

const NAMESPACE = /^[A-Za-z0-9_.-]+$/;
const ENTRY_KEYS = new Set(['ttl', 'grace', 'tags', 'redisTimeout', 'softTimeout', 'hardTimeout', 'lockTimeout', 'l1']);
const CACHE_KEYS = new Set([
  'namespace', 'version', 'l1', 'l2', 'bus', 'defaults', 'maxStaleness', 'logger', 'clock', 'random', 'codec',
  'earlyRefresh', 'ttlJitter', 'breaker',
]);

/** Resolves and checks the options of `createCache`, once. */
export function resolveCacheOptions(raw: CacheOptions): ResolvedCacheOptions {
  if (typeof raw !== 'object' || raw === null) throw new CacheConfigError(`expected an options object, got ${describe(raw)}`, { option: 'options' });
  rejectUnknown(raw, CACHE_KEYS, '');
  if (typeof raw.namespace !== 'string' || !NAMESPACE.test(raw.namespace)) {
    throw new CacheConfigError(`must match [A-Za-z0-9_.-]+, got ${describe(raw.namespace)}`, { option: 'namespace' });
  }
  const version = raw.version ?? DEFAULT_CACHE_OPTIONS.version;
  if ((typeof version !== 'string' && typeof version !== 'number') || !NAMESPACE.test(String(version))) {
    throw new CacheConfigError(`must be a number or a string matching [A-Za-z0-9_.-]+, got ${describe(version)}`, { option: 'version' });
  }
  const l2 = resolveL2(raw.l2);
  if (raw.bus !== undefined && typeof raw.bus !== 'boolean') throw new CacheConfigError(`expected a boolean, got ${describe(raw.bus)}`, { option: 'bus' });
  return {
    namespace: raw.namespace,
    version: String(version),
    l1: resolveL1(raw.l1),
    l2,
    bus: l2 !== false && (raw.bus ?? true),
    defaults: resolveEntryOptions(raw.defaults, DEFAULT_ENTRY_OPTIONS, 'defaults.'),
    maxStaleness: raw.maxStaleness === undefined ? DEFAULT_CACHE_OPTIONS.maxStaleness : parseDuration(raw.maxStaleness, 'maxStaleness'),
    logger: resolveLogger(raw.logger),
    clock: resolveFunctionHolder(raw.clock, 'now', 'clock'),
    random: resolveFunction(raw.random, 'random') ?? Math.random,
    codec: resolveCodec(raw.codec),
    earlyRefreshBeta: resolveEarlyRefresh(raw.earlyRefresh),
    ttlJitter: resolveFraction(raw.ttlJitter, DEFAULT_CACHE_OPTIONS.ttlJitter, 'ttlJitter'),
    breaker: resolveBreaker(raw.breaker),
  };
}

/**
 * Resolves per-entry options over `base`. Only the given keys change, so a per-call override
 * costs one small object; a call with no options reuses `base` itself.
 */
export function resolveEntryOptions(raw: EntryOptions | undefined, base: ResolvedEntryOptions, prefix: string): ResolvedEntryOptions {
  if (raw === undefined) return base;
  if (typeof raw !== 'object' || raw === null) throw new CacheConfigError(`expected an object, got ${describe(raw)}`, { option: prefix.slice(0, -1) || 'options' });
  rejectUnknown(raw, ENTRY_KEYS, prefix);
  const optional = (value: unknown, name: string, fallback: number | undefined): number | undefined =>
    value === undefined ? fallback : parseDuration(value, prefix + name);
  const resolved: ResolvedEntryOptions = {
    ttl: raw.ttl === undefined ? base.ttl : parseDuration(raw.ttl, `${prefix}ttl`),
    grace: raw.grace === undefined ? base.grace : parseDuration(raw.grace, `${prefix}grace`),
    tags: raw.tags === undefined ? base.tags : resolveTags(raw.tags, `${prefix}tags`),
    redisTimeout: raw.redisTimeout === undefined ? base.redisTimeout : parseDuration(raw.redisTimeout, `${prefix}redisTimeout`),
    softTimeout: optional(raw.softTimeout, 'softTimeout', base.softTimeout),
    hardTimeout: optional(raw.hardTimeout, 'hardTimeout', base.hardTimeout),
    lockTimeout: raw.lockTimeout === undefined ? base.lockTimeout : parseDuration(raw.lockTimeout, `${prefix}lockTimeout`),
    l1: raw.l1 === undefined ? base.l1 : resolveBoolean(raw.l1, `${prefix}l1`),
  };
  if (resolved.ttl < 1) throw new CacheConfigError('must be at least 1 ms: an entry that is never fresh is not cached', { option: `${prefix}ttl` });
  return Object.freeze(resolved);
}

/** Tags are non-empty strings without the characters that would break a Redis key or a header. */
export function resolveTags(tags: unknown, option: string): readonly string[] {
  if (!Array.isArray(tags)) throw new CacheConfigError(`expected an array of strings, got ${describe(tags)}`, { option });
  for (let i = 0; i < tags.length; i++) checkTag(tags[i], `${option}[${i}]`);
  return Object.freeze([...new Set(tags as string[])]);
}

export function checkTag(tag: unknown, option: string): asserts tag is string {
  if (typeof tag !== 'string' || tag.length === 0 || tag.length > 256 || /[\s,{}]/.test(tag)) {
    throw new CacheConfigError(`a tag must be a non-empty string of at most 256 characters without spaces, commas or braces, got ${describe(tag)}`, { option });
  }
}

function resolveL1(raw: CacheOptions['l1']): ResolvedCacheOptions['l1'] {
  if (raw === false) return false;
  if (raw === undefined) return DEFAULT_CACHE_OPTIONS.l1;
  if (typeof raw !== 'object' || raw === null) throw new CacheConfigError(`expected an object or false, got ${describe(raw)}`, { option: 'l1' });
  rejectUnknown(raw, new Set(['maxEntries', 'maxBytes']), 'l1.');
  return Object.freeze({
    maxEntries: resolveCount(raw.maxEntries, DEFAULT_CACHE_OPTIONS.l1.maxEntries, 'l1.maxEntries'),
    maxBytes: resolveCount(raw.maxBytes, DEFAULT_CACHE_OPTIONS.l1.maxBytes, 'l1.maxBytes'),
  });
}

function resolveL2(raw: CacheOptions['l2']): L2Options | false {
  if (raw === undefined || raw === false) return false;
  if (typeof raw !== 'object' || raw === null) throw new CacheConfigError(`expected { redis } or { cluster }, got ${describe(raw)}`, { option: 'l2' });
  if ('redis' in raw && 'cluster' in raw) throw new CacheConfigError('give either redis or cluster, not both', { option: 'l2' });
  if ('redis' in raw) {
    rejectUnknown(raw, new Set(['redis']), 'l2.');
    const redis = raw.redis;
    if (typeof redis === 'string') {
      if (!/^rediss?:\/\//.test(redis)) throw new CacheConfigError(`expected a redis:// or rediss:// URL, got ${describe(redis)}`, { option: 'l2.redis' });
    } else if (!isClient(redis)) {
      throw new CacheConfigError(`expected a URL or an ioredis Redis instance, got ${describe(redis)}`, { option: 'l2.redis' });
    }
    return raw;
  }
  if ('cluster' in raw) {
    rejectUnknown(raw, new Set(['cluster', 'clusterOptions']), 'l2.');
    const cluster = raw.cluster;
    if (!Array.isArray(cluster) && !isClient(cluster)) throw new CacheConfigError(`expected an array of { host, port } or an ioredis Cluster, got ${describe(cluster)}`, { option: 'l2.cluster' });
    if (Array.isArray(cluster)) {
      if (cluster.length === 0) throw new CacheConfigError('expected at least one node', { option: 'l2.cluster' });
      cluster.forEach((node: unknown, i) => {
        const { host, port } = (node ?? {}) as { host?: unknown; port?: unknown };
        if (typeof node !== 'object' || node === null || typeof host !== 'string' || !Number.isInteger(port)) {
          throw new CacheConfigError(`expected { host: string, port: integer }, got ${describe(node)}`, { option: `l2.cluster[${i}]` });
        }
      });
    }
    return raw;
  }
  throw new CacheConfigError('expected { redis: url | Redis } or { cluster: nodes | Cluster }', { option: 'l2' });
}

function isClient(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { sendCommand?: unknown }).sendCommand === 'function';
}

function resolveCount(value: unknown, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new CacheConfigError(`expected a positive integer, got ${describe(value)}`, { option });
  }
  return value;
}

function resolveFraction(value: unknown, fallback: number, option: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw new CacheConfigError(`expected a number in [0, 1), got ${describe(value)}`, { option });
  return value;
}

function resolveBoolean(value: unknown, option: string): boolean {
  if (typeof value !== 'boolean') throw new CacheConfigError(`expected a boolean, got ${describe(value)}`, { option });
  return value;
}

function resolveEarlyRefresh(raw: CacheOptions['earlyRefresh']): number {
  if (raw === false) return 0;
  if (raw === undefined) return DEFAULT_CACHE_OPTIONS.earlyRefreshBeta;
  if (typeof raw !== 'object' || raw === null) throw new CacheConfigError(`expected { beta } or false, got ${describe(raw)}`, { option: 'earlyRefresh' });
  rejectUnknown(raw, new Set(['beta']), 'earlyRefresh.');
  const beta = raw.beta ?? DEFAULT_CACHE_OPTIONS.earlyRefreshBeta;
  if (typeof beta !== 'number' || !(beta >= 0 && beta <= 100)) throw new CacheConfigError(`expected a number in [0, 100], got ${describe(beta)}`, { option: 'earlyRefresh.beta' });
  return beta;
}

function resolveBreaker(raw: CacheOptions['breaker']): ResolvedCacheOptions['breaker'] {
  const base = DEFAULT_CACHE_OPTIONS.breaker;
  if (raw === undefined) return base;
  if (typeof raw !== 'object' || raw === null) throw new CacheConfigError(`expected an object, got ${describe(raw)}`, { option: 'breaker' });
  rejectUnknown(raw, new Set(['threshold', 'cooldown', 'maxCooldown']), 'breaker.');
  const cooldown = raw.cooldown === undefined ? base.cooldown : parseDuration(raw.cooldown, 'breaker.cooldown');
  const maxCooldown = raw.maxCooldown === undefined ? Math.max(base.maxCooldown, cooldown) : parseDuration(raw.maxCooldown, 'breaker.maxCooldown');
  if (maxCooldown < cooldown) throw new CacheConfigError('must be at least breaker.cooldown', { option: 'breaker.maxCooldown' });
  return Object.freeze({ threshold: resolveCount(raw.threshold, base.threshold, 'breaker.threshold'), cooldown, maxCooldown });
}

function resolveLogger(raw: unknown): Logger | undefined {
  if (raw === undefined) return undefined;
  for (const level of ['debug', 'info', 'warn', 'error']) {
    if (typeof (raw as Record<string, unknown> | null)?.[level] !== 'function') {
      throw new CacheConfigError(`expected a pino-compatible logger with a ${level}() method`, { option: 'logger' });
    }
  }
  return raw as Logger;
}

function resolveCodec(raw: Codec | undefined): Codec {
  if (raw === undefined) return jsonCodec;
  if (typeof raw !== 'object' || raw === null || typeof raw.encode !== 'function' || typeof raw.decode !== 'function') {
    throw new CacheConfigError('expected an object with encode(value) and decode(text) methods', { option: 'codec' });
  }
  return raw;
}

function resolveFunction<F>(raw: F | undefined, option: string): F | undefined {
  if (raw !== undefined && typeof raw !== 'function') throw new CacheConfigError(`expected a function, got ${describe(raw)}`, { option });
  return raw;
}

function resolveFunctionHolder<T extends object>(raw: T | undefined, method: string, option: string): T | undefined {
  if (raw !== undefined && typeof (raw as Record<string, unknown> | null)?.[method] !== 'function') {
    throw new CacheConfigError(`expected an object with a ${method}() method`, { option });
  }
  return raw;
}

function rejectUnknown(raw: object, known: ReadonlySet<string>, prefix: string): void {
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) throw new CacheConfigError(`unknown option (known: ${[...known].join(', ')})`, { option: prefix + key });
  }
}
