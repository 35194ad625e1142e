import { currentContext } from '../context/request-context.js';
import { describe, parseDuration, type Duration } from '../engine/duration.js';
import type { Entry } from '../engine/entry.js';
import { CacheConfigError } from '../errors.js';
import type { HttpCachePolicy } from '../http/cache-control.js';
import { isToken } from '../http/field-value.js';
import { entryOfCall, entryOfHit } from './cached.js';
import { metadataOf, methodOf } from './metadata.js';
import { dualMethodDecorator, type DualMethodDecorator } from './method-decorator.js';

/** An HTTP age: a number of seconds, or a duration string (`'90s'`, `'5m'`) rounded down to whole seconds. */
export type HttpAge = number | Exclude<Duration, number>;

/** Options of {@link HttpCacheable} (API.md section 2). `R` is the method's return type. */
export interface HttpCacheableOptions<R = any> {
  /** `max-age` for every cache (RFC 9111 5.2.2.1). @default 0 */
  maxAge?: HttpAge;
  /** `s-maxage` for shared caches (RFC 9111 5.2.2.10); never sent on a private response. */
  sMaxAge?: HttpAge;
  /** `CDN-Cache-Control: max-age=...` (RFC 9213); never sent on a private response. */
  cdnMaxAge?: HttpAge;
  /** `stale-while-revalidate` (RFC 5861 3). */
  staleWhileRevalidate?: HttpAge;
  /** `stale-if-error` (RFC 5861 4). */
  staleIfError?: HttpAge;
  /** @default 'public', but a request with credentials always gets `private` (see `httpCache`). */
  visibility?: 'public' | 'private';
  /** `no-store`: nothing else is sent. @default false */
  noStore?: boolean;
  /** `no-cache`: stored, but revalidated before every use. @default false */
  noCache?: boolean;
  /** `must-revalidate`: never served stale; drops the stale-* directives. @default false */
  mustRevalidate?: boolean;
  /** `immutable` (RFC 8246), with a max-age above 0. @default false */
  immutable?: boolean;
  /** Request fields the response varies on (RFC 9110 12.5.5), merged with the others'. */
  vary?: readonly string[];
  /** A strong or weak ETag from the identity body's bytes, or none. @default 'strong' */
  etag?: 'strong' | 'weak' | false;
  /**
   * The Last-Modified of a result. Called only for a result that is not `null` or `undefined` (a
   * 404 has no date). @default the `lastModified` the method set through `refreshContext()`
   */
  lastModified?: (result: NonNullable<Awaited<R>>) => Date | number | undefined;
  /** Emits the cached entry's tags in this field, for CDN purges by tag. */
  tagHeader?: 'Cache-Tag' | 'Surrogate-Key';
}

/** What `getHttpCacheMetadata` returns: the options as given, and the policy they resolve to. */
export interface HttpCacheMetadata {
  readonly options: Readonly<HttpCacheableOptions>;
  /** Ages in whole seconds, flags and `vary` checked; `lastModified` is per result, so absent here. */
  readonly policy: HttpCachePolicy;
}

/**
 * What one `@HttpCacheable` call inside a request leaves for the HTTP layer: the policy, the
 * result, and the cache entry that result came from (when `@Cached` below served it).
 */
export interface HttpRecord {
  /** The method's policy, with the Last-Modified of this result. */
  readonly policy: HttpCachePolicy;
  /**
   * The method's policy as declared (the same object on every call): what the HTTP layer keys
   * the field values it builds from a policy on, so a hit rebuilds none of them.
   */
  readonly base: HttpCachePolicy;
  readonly result: unknown;
  /** The entry of `result`: its freshness caps `max-age`, its tags feed `tagHeader`. */
  readonly entry: Entry | undefined;
}

const AGES = ['maxAge', 'sMaxAge', 'cdnMaxAge', 'staleWhileRevalidate', 'staleIfError'] as const;
const FLAGS = ['noStore', 'noCache', 'mustRevalidate', 'immutable'] as const;
const KNOWN = new Set<string>([...AGES, ...FLAGS, 'visibility', 'vary', 'etag', 'lastModified', 'tagHeader']);

/**
 * Declares the HTTP caching policy of the method's result. Inside a request context (the Koa
 * middleware `httpCache` opens one per request) each call records its policy and result, from
 * which the middleware writes Cache-Control, ETag, Last-Modified and Vary and answers conditional
 * requests; outside one it returns the method's promise untouched. Put it above `@Cached`, so it
 * sees the cached entry (freshness, tags) behind the result.
 */
export function HttpCacheable<R = any>(options: HttpCacheableOptions<R> = {}): DualMethodDecorator<any[]> {
  const metadata = resolveHttpCacheable(options as HttpCacheableOptions);
  const { policy } = metadata;
  const lastModifiedOf = options.lastModified as ((result: unknown) => Date | number | undefined) | undefined;

  return dualMethodDecorator<any[]>('@HttpCacheable', 'http', metadata, (method) => {
    const build = (result: unknown, entry: Entry | undefined): HttpRecord => {
      let lastModified: Date | undefined;
      if (lastModifiedOf !== undefined) {
        if (result !== null && result !== undefined) lastModified = checkedDate(lastModifiedOf(result));
      } else if (entry?.lastModified !== undefined) {
        lastModified = new Date(entry.lastModified);
      }
      return { policy: lastModified === undefined ? policy : { ...policy, lastModified }, base: policy, result, entry };
    };
    // An entry's value never changes, so neither does its record: built at the first request that
    // needs it (one call of `lastModified`) and kept in the entry's slot for every later hit.
    const recordOfEntry = (entry: Entry): HttpRecord => {
      const kept = entry.httpRecord as HttpRecord | undefined;
      if (kept !== undefined && kept.base === policy) return kept;
      const record = Object.freeze(build(entry.value, entry));
      entry.httpRecord = record;
      return record;
    };
    const record = (result: unknown, self: unknown, args: readonly unknown[]): HttpRecord => {
      // The entry this result came from, if `@Cached` (below) served it and L1 still holds it.
      const found = entryOfCall(method, self, args);
      return found !== undefined && found.value === result ? recordOfEntry(found) : build(result, undefined);
    };
    const wrapper = function httpCacheable(this: unknown): unknown {
      const pending: unknown = method.apply(this, arguments as unknown as unknown[]);
      if (typeof (pending as { then?: unknown } | null)?.then !== 'function') {
        return Promise.reject(
          new CacheConfigError(`${String(method.name)} returned ${typeof pending}, not a promise: @HttpCacheable wraps async methods only`, { option: '@HttpCacheable' }),
        );
      }
      const records = currentContext()?.http;
      if (records === undefined) return pending;
      // An L1 hit of the `@Cached` method below: its entry is known now, so the record is made
      // (or reused) at once and the promise passes through untouched, with no extra tick.
      const hit = entryOfHit(pending);
      if (hit !== undefined) {
        try {
          records.push(recordOfEntry(hit));
        } catch (error) {
          return Promise.reject(error);
        }
        return pending;
      }
      const args = Array.prototype.slice.call(arguments) as unknown[];
      return (pending as Promise<unknown>).then((result) => {
        records.push(record(result, this, args));
        return result;
      });
    };
    Object.defineProperty(wrapper, 'name', { value: method.name });
    return wrapper;
  });
}

function checkedDate(value: unknown): Date | undefined {
  if (value === undefined) return undefined;
  const time = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Number.NaN;
  if (!Number.isFinite(time)) throw new CacheConfigError(`expected a valid Date or epoch milliseconds, got ${describe(value)}`, { option: 'lastModified' });
  return new Date(time);
}

/** Checks the options once, at decoration, each error naming its option. */
function resolveHttpCacheable(raw: HttpCacheableOptions): HttpCacheMetadata {
  if (typeof raw !== 'object' || raw === null) throw new CacheConfigError(`expected an options object, got ${describe(raw)}`, { option: '@HttpCacheable' });
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) throw new CacheConfigError(`unknown option (known: ${[...KNOWN].join(', ')})`, { option: key });
  }
  const policy: { -readonly [K in keyof HttpCachePolicy]: HttpCachePolicy[K] } = {};
  for (const name of AGES) if (raw[name] !== undefined) policy[name] = httpAge(raw[name], name);
  for (const name of FLAGS) {
    const flag = raw[name];
    if (flag === undefined) continue;
    if (typeof flag !== 'boolean') throw new CacheConfigError(`expected a boolean, got ${describe(flag)}`, { option: name });
    policy[name] = flag;
  }
  if (raw.visibility !== undefined) {
    if (raw.visibility !== 'public' && raw.visibility !== 'private') throw new CacheConfigError(`expected 'public' or 'private', got ${describe(raw.visibility)}`, { option: 'visibility' });
    policy.visibility = raw.visibility;
  }
  if (raw.vary !== undefined) {
    if (!Array.isArray(raw.vary)) throw new CacheConfigError(`expected an array of field names, got ${describe(raw.vary)}`, { option: 'vary' });
    for (const field of raw.vary as unknown[]) {
      if (typeof field !== 'string' || (field !== '*' && !isToken(field))) {
        throw new CacheConfigError(`expected field names (RFC 9110 5.1 tokens) or '*', got ${describe(field)}`, { option: 'vary' });
      }
    }
    policy.vary = [...raw.vary];
  }
  if (raw.etag !== undefined) {
    if (raw.etag !== 'strong' && raw.etag !== 'weak' && raw.etag !== false) throw new CacheConfigError(`expected 'strong', 'weak' or false, got ${describe(raw.etag)}`, { option: 'etag' });
    policy.etag = raw.etag;
  }
  if (raw.lastModified !== undefined && typeof raw.lastModified !== 'function') {
    throw new CacheConfigError(`expected a function of the result, got ${describe(raw.lastModified)}`, { option: 'lastModified' });
  }
  if (raw.tagHeader !== undefined) {
    if (raw.tagHeader !== 'Cache-Tag' && raw.tagHeader !== 'Surrogate-Key') throw new CacheConfigError(`expected 'Cache-Tag' or 'Surrogate-Key', got ${describe(raw.tagHeader)}`, { option: 'tagHeader' });
    policy.tagHeader = raw.tagHeader;
  }
  return { options: Object.freeze({ ...raw }), policy: Object.freeze(policy) };
}

/** Seconds from a number of seconds or a duration string, rounded down (RFC 9111 1.2.2 delta-seconds). */
function httpAge(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.floor(value);
    throw new CacheConfigError(`expected a non-negative finite number of seconds, got ${String(value)}`, { option });
  }
  return Math.floor(parseDuration(value, option) / 1000);
}

/** The options `@HttpCacheable` was given on `methodName` of a class or instance (either decorator mode), or `undefined`. */
export function getHttpCacheMetadata(classOrInstance: object, methodName: string | symbol): HttpCacheMetadata | undefined {
  return metadataOf(methodOf(classOrInstance, methodName), 'http') as HttpCacheMetadata | undefined;
}
