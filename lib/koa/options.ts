import type { Context } from 'koa';
import { checkCacheRef, type CacheRef } from '../decorators/cache-ref.js';
import { describe } from '../engine/duration.js';
import { CacheConfigError } from '../errors.js';
import type { ContentCoding } from './representation.js';

/** Options of {@link httpCache}. */
export interface HttpCacheOptions {
  /**
   * The engine whose clock dates the cached entries behind responses (for `max-age` capping).
   * @default the default engine at the time of the request, else the system clock
   */
  cache?: CacheRef;
  /**
   * Cookie names that make a request private (RFC 6265 names, case-sensitive). A private request
   * never gets `public`, `s-maxage` or `CDN-Cache-Control`. `[]`: no cookie does.
   * @default any cookie
   */
  privateCookies?: readonly string[];
  /**
   * Content codings applied by `httpCache` itself to the bodies it represents, compressed once per
   * cached entry and reused, with the ETag suffixed per coding. `false`: identity only (and an
   * outer compressor is told to leave these bodies alone, so the ETag stays true).
   * @default { encodings: ['br', 'gzip'], threshold: 1024 }
   */
  compression?: false | { encodings?: readonly ContentCoding[]; threshold?: number };
  /**
   * The client a `@RateLimited` method keys on by default. @default `ctx.ip` (set `app.proxy` to
   * trust X-Forwarded-For)
   */
  clientId?: (ctx: Context) => string | undefined;
}

export interface ResolvedHttpCacheOptions {
  readonly cache: CacheRef | undefined;
  readonly privateCookies: readonly string[] | undefined;
  /** Empty: no compression. */
  readonly encodings: readonly ContentCoding[];
  readonly threshold: number;
  readonly clientId: (ctx: Context) => string | undefined;
}

const KNOWN = new Set(['cache', 'privateCookies', 'compression', 'clientId']);
const CODINGS = new Set<string>(['br', 'gzip', 'deflate']);

/** Checks the options once, with messages that name the option. */
export function resolveHttpCacheOptions(raw: HttpCacheOptions): ResolvedHttpCacheOptions {
  if (typeof raw !== 'object' || raw === null) throw new CacheConfigError(`expected an options object, got ${describe(raw)}`, { option: 'httpCache' });
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) throw new CacheConfigError(`unknown option (known: ${[...KNOWN].join(', ')})`, { option: key });
  }
  checkCacheRef(raw.cache);
  if (raw.privateCookies !== undefined && (!Array.isArray(raw.privateCookies) || raw.privateCookies.some((name) => typeof name !== 'string' || name === ''))) {
    throw new CacheConfigError(`expected an array of cookie names, got ${describe(raw.privateCookies)}`, { option: 'privateCookies' });
  }
  if (raw.clientId !== undefined && typeof raw.clientId !== 'function') throw new CacheConfigError(`expected a function of the Koa context, got ${describe(raw.clientId)}`, { option: 'clientId' });
  let encodings: readonly ContentCoding[] = ['br', 'gzip'];
  let threshold = 1024;
  const compression = raw.compression;
  if (compression === false) {
    encodings = [];
  } else if (compression !== undefined) {
    if (typeof compression !== 'object' || compression === null) throw new CacheConfigError(`expected false or an object, got ${describe(compression)}`, { option: 'compression' });
    for (const key of Object.keys(compression)) {
      if (key !== 'encodings' && key !== 'threshold') throw new CacheConfigError('unknown option (known: encodings, threshold)', { option: `compression.${key}` });
    }
    if (compression.encodings !== undefined) {
      if (!Array.isArray(compression.encodings) || compression.encodings.some((coding) => !CODINGS.has(coding as string))) {
        throw new CacheConfigError(`expected an array of 'br', 'gzip', 'deflate' (best first), got ${describe(compression.encodings)}`, { option: 'compression.encodings' });
      }
      encodings = [...compression.encodings];
    }
    if (compression.threshold !== undefined) {
      if (typeof compression.threshold !== 'number' || !Number.isInteger(compression.threshold) || compression.threshold < 0) {
        throw new CacheConfigError(`expected a whole number of bytes >= 0, got ${describe(compression.threshold)}`, { option: 'compression.threshold' });
      }
      threshold = compression.threshold;
    }
  }
  return {
    cache: raw.cache,
    privateCookies: raw.privateCookies === undefined ? undefined : [...raw.privateCookies],
    encodings,
    threshold,
    clientId: raw.clientId ?? ((ctx) => ctx.ip),
  };
}
