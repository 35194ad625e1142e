import type { Context, Middleware, Next } from 'koa';
import { enterContext, type RequestContext } from '../context/request-context.js';
import { cacheResolver } from '../decorators/cache-ref.js';
import type { HttpRecord } from '../decorators/http-cacheable.js';
import { RateLimitError, RateLimitUnavailableError } from '../errors.js';
import { negotiateEncoding } from '../http/accept-encoding.js';
import { buildCacheControl, buildCdnCacheControl, capToFreshness, mergePolicies, type HttpCachePolicy } from '../http/cache-control.js';
import { evaluatePreconditions, type PreconditionResult } from '../http/conditional.js';
import { formatHttpDate } from '../http/http-date.js';
import { notModifiedRemovals } from '../http/not-modified.js';
import { applyPrivateRequest } from '../http/private-request.js';
import { rateLimitErrorHeaders, rateLimitField, rateLimitPolicyField, secondsUp } from '../http/ratelimit-headers.js';
import { resolveHttpCacheOptions, type HttpCacheOptions, type ResolvedHttpCacheOptions } from './options.js';
import { codingChooser, type CodingChooser } from './coding-chooser.js';
import { representationOf, type ContentCoding, type Representation, type RepresentationCounters } from './representation.js';

/** What `httpCache(...).stats()` returns. */
export interface HttpCacheStats extends RepresentationCounters {
  /** Requests seen. */
  requests: number;
  /** Responses by status code, errors thrown to Koa included (by their `status`, else 500). */
  statuses: Record<number, number>;
}

/** The middleware, with its counters. */
export interface HttpCacheMiddleware extends Middleware {
  stats(): HttpCacheStats;
}

type RateLimits = NonNullable<RequestContext['rateLimits']>;

/** What a request's helpers (`checkPreconditions`) share with the middleware that serves it. */
export interface RequestState {
  readonly counters: RepresentationCounters;
}

/** Where the middleware leaves its state on the Koa context (a property: cheaper than a WeakMap per request). */
const STATE = Symbol('tiercache.httpCache');

/** The middleware's state for `ctx`, if `httpCache` serves it. */
export function requestStateOf(ctx: Context): RequestState | undefined {
  return (ctx as { [STATE]?: RequestState })[STATE];
}

/**
 * The request context `httpCache` opens: the records' arrays, and the client id read from the
 * Koa context only when a rate limiter asks for it (most requests never do).
 */
class KoaRequestContext implements RequestContext {
  readonly rateLimits: RateLimits = [];
  readonly http: HttpRecord[] = [];
  readonly #ctx: Context;
  readonly #clientIdOf: (ctx: Context) => string | undefined;
  #clientId: string | undefined | null = null;

  constructor(ctx: Context, clientIdOf: (ctx: Context) => string | undefined) {
    this.#ctx = ctx;
    this.#clientIdOf = clientIdOf;
  }

  get clientId(): string | undefined {
    if (this.#clientId === null) this.#clientId = this.#clientIdOf(this.#ctx);
    return this.#clientId;
  }
}

/** Media types worth compressing: text, JSON, XML and JavaScript, with their `+json`/`+xml` kin. */
const COMPRESSIBLE = /^(?:text\/|application\/(?:[\w.-]+\+)?(?:json|xml|javascript|x-javascript)\b)|^image\/svg\+xml\b/i;

/**
 * The Koa middleware of API.md section 3. Per request it:
 *
 * - opens a request context in which `@HttpCacheable` methods record their policy and result, and
 *   `@RateLimited` methods their state (and key on the client, `ctx.ip` by default);
 * - for a GET or HEAD answered 200 by such methods: merges their policies into the safest one,
 *   keeps a request with credentials private, caps the ages to the cached entry's freshness, and
 *   writes Cache-Control, CDN-Cache-Control, ETag, Last-Modified, Vary and the tag header;
 * - negotiates the content coding itself and compresses the body once per cached entry, the
 *   ETag suffixed per coding (`"...-gzip"`, RFC 9110 8.8.3.3), so a HEAD and a 304 carry the ETag
 *   the matching GET would have, and an outer koa-compress leaves these bodies alone;
 * - answers If-None-Match / If-Modified-Since with 304 and a failed If-Match /
 *   If-Unmodified-Since with 412 (RFC 9110 13.2.2), from the stored ETag: a 304 for a cached
 *   entry neither serialises nor hashes the body;
 * - turns `RateLimitError` into 429 with Retry-After, RateLimit-Policy and RateLimit, and
 *   `RateLimitUnavailableError` into 503; error responses get `Cache-Control: no-store` and no
 *   validators;
 * - keeps koa-compress from failing a request that accepts no coding at all (`identity;q=0`).
 *
 * It is not an `async` function: an L1 hit whose encoded form is ready is answered without a
 * promise or a tick of its own beyond the one that waits for the handler.
 */
export function httpCache(options: HttpCacheOptions = {}): HttpCacheMiddleware {
  const o = resolveHttpCacheOptions(options);
  const engineOf = cacheResolver(o.cache);
  const chooseCoding = codingChooser(o.encodings);
  const counters: RepresentationCounters = { serialized: 0, hashed: 0, compressed: 0 };
  const state: RequestState = { counters };
  const statuses: Record<number, number> = {};
  let requests = 0;
  const count = (status: number): void => {
    statuses[status] = (statuses[status] ?? 0) + 1;
  };

  const failed = (ctx: Context, error: unknown): void => {
    if (error instanceof RateLimitError) {
      tooManyRequests(ctx, error);
    } else if (error instanceof RateLimitUnavailableError) {
      unavailable(ctx, error);
    } else {
      count(statusOf(error));
      // Koa's error handler clears the response's fields and then sets `error.headers`.
      if (typeof error === 'object' && error !== null) {
        const carrier = error as { headers?: Record<string, unknown> };
        carrier.headers = { ...carrier.headers, 'Cache-Control': 'no-store' };
      }
      throw error;
    }
    count(ctx.status);
  };

  const finished = (ctx: Context, context: KoaRequestContext): void | Promise<void> => {
    if (context.rateLimits.length > 0) setRateLimitFields(ctx, context.rateLimits);
    // The engine's hot clock (a field a timer refreshes every 2 ms, or the injected clock): ages
    // are whole seconds, and a precondition's date is compared at one-second resolution.
    const sending = respond(ctx, context.http, o, chooseCoding, engineOf()?.hotClock.now() ?? Date.now(), counters);
    if (sending === undefined) return count(ctx.status);
    return sending.then(() => count(ctx.status));
  };

  const middleware = function httpCacheMiddleware(ctx: Context, next: Next): Promise<void> {
    requests++;
    (ctx as { [STATE]?: RequestState })[STATE] = state;
    const context = new KoaRequestContext(ctx, o.clientId);
    let handled: Promise<unknown>;
    try {
      handled = enterContext(context, next);
    } catch (error) {
      handled = Promise.reject(error);
    }
    return handled.then(
      () => finished(ctx, context),
      (error: unknown) => failed(ctx, error),
    );
  } as HttpCacheMiddleware;
  middleware.stats = () => ({ requests, statuses: { ...statuses }, ...counters });
  return middleware;
}

function statusOf(error: unknown): number {
  const status = (error as { status?: unknown; statusCode?: unknown } | null)?.status ?? (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

/**
 * Writes the caching fields of a response, and answers it with 304 or 412 where its
 * preconditions say so. Returns a promise only while an encoded form is being made.
 */
function respond(
  ctx: Context,
  records: readonly HttpRecord[],
  o: ResolvedHttpCacheOptions,
  chooseCoding: CodingChooser,
  now: number,
  counters: RepresentationCounters,
): Promise<void> | undefined {
  const headers = ctx.headers;
  // Nothing acceptable, identity included: send identity (RFC 9110 12.1 lets a server disregard the
  // field) rather than let koa-compress throw on a coding it cannot find. Only a field with a zero
  // weight can refuse identity, so the others are not even parsed.
  const acceptEncoding = headers['accept-encoding'];
  if (acceptEncoding !== undefined && acceptEncoding.includes('q=0') && negotiateEncoding(acceptEncoding, o.encodings.length > 0 ? o.encodings : ['gzip']) === undefined) {
    ctx.compress = false;
  }
  const res = ctx.res;
  // A handler that wrote the response itself: its fields are gone already.
  if (res.headersSent) return undefined;
  const status = ctx.status;
  if (status >= 400) {
    // An error is not a representation: never stored, never validated.
    if (records.length > 0 || !res.hasHeader('Cache-Control')) res.setHeader('Cache-Control', 'no-store');
    res.removeHeader('ETag');
    res.removeHeader('Last-Modified');
    return undefined;
  }
  const method = ctx.method;
  if ((method !== 'GET' && method !== 'HEAD') || status !== 200 || records.length === 0) return undefined;

  // One policy as declared, for a request without credentials (the usual case): its field values
  // come from a memo. Otherwise they are merged, made private and capped afresh.
  const single = records.length === 1 ? records[0]! : undefined;
  const credentials = headers.authorization !== undefined || headers.cookie !== undefined;
  let policy = single !== undefined ? single.policy : mergePolicies(records.map((record) => record.policy))!;
  if (credentials) policy = applyPrivateRequest(policy, headers, o.privateCookies);
  const remaining = remainingFreshness(records, now);
  const control = single !== undefined && !credentials ? memoizedControl(single.base, remaining) : controlOf(remaining === undefined ? policy : capToFreshness(policy, remaining));

  const body: unknown = ctx.body;
  const source = single !== undefined && single.result === body ? single : latestRecordOf(records, body);
  const representation = representationOf(body, contentTypeOf(res), counters, source?.entry);
  let coding: ContentCoding | 'identity' = 'identity';
  if (representation !== undefined) {
    // This body's bytes are known and its ETag says exactly which: no outer compressor may change them.
    ctx.compress = false;
    if (o.encodings.length > 0 && representation.body.length >= o.threshold && COMPRESSIBLE.test(representation.type)) {
      coding = chooseCoding(acceptEncoding);
      // koa-compress, outside, has listed it already (and an exact match is all this skips).
      if (res.getHeader('Vary') !== 'Accept-Encoding') ctx.vary('Accept-Encoding');
    }
  }
  const etag = representation !== undefined && policy.etag !== false ? representation.etagFor(policy.etag ?? 'strong', coding) : undefined;

  // Decided before any field is written, so a 304 writes only what it carries. Compared with the
  // tag of the representation this request selects: a client holding the gzip form matches
  // `"...-gzip"`, and one holding another coding's form gets this one in a 200.
  const ifNoneMatch = headers['if-none-match'];
  const strict = headers['if-match'] !== undefined || headers['if-unmodified-since'] !== undefined;
  let outcome: PreconditionResult = 'proceed';
  if (ifNoneMatch !== undefined && ifNoneMatch === etag && !strict) {
    // A cache revalidating the copy it holds sends back exactly our tag: If-None-Match matches
    // (weak comparison, RFC 9110 13.1.2), and then decides alone (If-Modified-Since is ignored
    // beside it, 13.1.3): 304, without parsing anything.
    outcome = 'not-modified';
  } else if (ifNoneMatch !== undefined || strict || headers['if-modified-since'] !== undefined) {
    outcome = evaluatePreconditions({ method, headers }, { exists: true, etag, lastModified: policy.lastModified }, { now });
  }
  if (outcome === 'precondition-failed') {
    preconditionFailed(ctx);
    return undefined;
  }

  // Straight to Node's response: these values are built here, so Koa's `ctx.set` (a delegate that
  // coerces each value) would only add calls to every response.
  res.setHeader('Cache-Control', control.cacheControl);
  if (control.cdn !== undefined) res.setHeader('CDN-Cache-Control', control.cdn);
  if (policy.vary !== undefined) for (const field of policy.vary) ctx.vary(field);
  if (etag !== undefined) res.setHeader('ETag', etag);
  setTagHeader(ctx, policy, records);
  // A 304 carries Last-Modified only without an ETag (RFC 9110 15.4.5, see notModifiedHeaders).
  if (policy.lastModified !== undefined && (outcome === 'proceed' || etag === undefined)) res.setHeader('Last-Modified', httpDateOf(policy.lastModified));
  if (outcome === 'not-modified') {
    notModified(ctx);
    return undefined;
  }
  return representation === undefined ? undefined : send(ctx, representation, coding);
}

/** The Content-Type the handler set, as a string, or `undefined`. */
function contentTypeOf(res: Context['res']): string | undefined {
  const type = res.getHeader('Content-Type');
  return typeof type === 'string' && type !== '' ? type : undefined;
}

/** The Cache-Control and CDN-Cache-Control values of a policy. */
interface ControlFields {
  readonly cacheControl: string;
  readonly cdn: string | undefined;
}

function controlOf(policy: HttpCachePolicy): ControlFields {
  return { cacheControl: buildCacheControl(policy), cdn: buildCdnCacheControl(policy) };
}

/** Field values by declared policy and by the whole seconds left of the entry's freshness (-1: no entry). */
const controls = new WeakMap<HttpCachePolicy, Map<number, ControlFields>>();

/**
 * The field values of `policy` capped to `remainingMs`, built once per policy and remaining
 * second: a hit reuses them. Seconds beyond the policy's longest age cap nothing, so they share
 * one value; the map is cleared if an odd policy (ages of days) fills it.
 */
function memoizedControl(policy: HttpCachePolicy, remainingMs: number | undefined): ControlFields {
  const longest = Math.max(policy.maxAge ?? 0, policy.sMaxAge ?? 0, policy.cdnMaxAge ?? 0);
  const left = remainingMs === undefined ? -1 : Math.min(remainingMs > 0 ? Math.floor(remainingMs / 1000) : 0, longest);
  let byLeft = controls.get(policy);
  if (byLeft === undefined) controls.set(policy, (byLeft = new Map()));
  let fields = byLeft.get(left);
  if (fields === undefined) {
    fields = controlOf(remainingMs === undefined ? policy : capToFreshness(policy, remainingMs));
    if (byLeft.size >= 256) byLeft.clear();
    byLeft.set(left, fields);
  }
  return fields;
}

/** The last Last-Modified formatted: an entry's responses all carry the same one. */
let lastDate = Number.NaN;
let lastDateText = '';

function httpDateOf(date: Date): string {
  const time = date.getTime();
  if (time !== lastDate) {
    lastDateText = formatHttpDate(date);
    lastDate = time;
  }
  return lastDateText;
}

/** The latest record whose result is `value` (for a response body: the handler sent what the method returned). */
export function latestRecordOf(records: readonly HttpRecord[], value: unknown): HttpRecord | undefined {
  for (let i = records.length - 1; i >= 0; i--) if (records[i]!.result === value) return records[i];
  return undefined;
}

/** Milliseconds left before the earliest of the entries behind the response goes stale; `undefined` without entries. */
function remainingFreshness(records: readonly HttpRecord[], now: number): number | undefined {
  let remaining: number | undefined;
  for (const record of records) {
    if (record.entry === undefined) continue;
    const left = record.entry.freshUntil - now;
    if (remaining === undefined || left < remaining) remaining = left;
  }
  return remaining;
}

/** The tags of the entries behind a shareable response, for a CDN's purge by tag. */
function setTagHeader(ctx: Context, policy: HttpCachePolicy, records: readonly HttpRecord[]): void {
  if (policy.tagHeader === undefined || policy.noStore === true || policy.visibility === 'private') return;
  const tags = new Set<string>();
  for (const record of records) for (const tag of record.entry?.tags ?? []) tags.add(tag);
  if (tags.size === 0) return;
  // Cloudflare's Cache-Tag is comma-separated; Fastly's Surrogate-Key is space-separated.
  ctx.set(policy.tagHeader, [...tags].join(policy.tagHeader === 'Cache-Tag' ? ',' : ' '));
}

/** Sets the body to the representation's bytes under `coding`; a promise only while that form is being compressed. */
function send(ctx: Context, representation: Representation, coding: ContentCoding | 'identity'): Promise<void> | undefined {
  if (coding === 'identity') return setBody(ctx, representation.body, representation.type, undefined);
  const ready = representation.encodedNow(coding);
  if (ready !== undefined) return setBody(ctx, ready, representation.type, coding);
  return representation.encoded(coding).then((bytes) => setBody(ctx, bytes, representation.type, coding));
}

function setBody(ctx: Context, bytes: Buffer, type: string, coding: ContentCoding | undefined): undefined {
  const res = ctx.res;
  // The type first, as the field value it already is: Koa's body setter then keeps it, and its
  // `ctx.type` setter would look the MIME type up again.
  if (res.getHeader('Content-Type') !== type) res.setHeader('Content-Type', type);
  ctx.body = bytes;
  if (coding !== undefined) res.setHeader('Content-Encoding', coding);
  return undefined;
}

/** 304 (RFC 9110 15.4.5): the 200's fields a cache needs to freshen its copy, no content or its metadata. */
function notModified(ctx: Context): void {
  // Koa drops the body with Content-Type and Content-Length when the status becomes 304.
  ctx.status = 304;
  const res = ctx.res;
  for (const name of notModifiedRemovals(res.getHeaderNames())) res.removeHeader(name);
}

function preconditionFailed(ctx: Context): void {
  errorResponse(ctx, 412);
  ctx.body = { error: 'Precondition Failed', message: 'the resource does not match the request\'s If-Match or If-Unmodified-Since' };
}

function setRateLimitFields(ctx: Context, rateLimits: RateLimits): void {
  // One member per policy: a method called twice in a request reports its last state.
  const byName = new Map(rateLimits.map((limit) => [limit.name, limit]));
  const limits = [...byName.values()];
  ctx.set('RateLimit-Policy', rateLimitPolicyField(limits.map(({ name, limit, windowMs }) => ({ name, limit, windowMs }))));
  ctx.set('RateLimit', rateLimitField(limits.map(({ name, limit, windowMs, remaining, resetMs }) => ({ policy: { name, limit, windowMs }, remaining, resetMs }))));
}

function tooManyRequests(ctx: Context, error: RateLimitError): void {
  errorResponse(ctx, 429);
  ctx.set(rateLimitErrorHeaders(error));
  ctx.body = { error: 'Too Many Requests', message: error.message, retryAfter: secondsUp(error.retryAfterMs) };
}

function unavailable(ctx: Context, error: RateLimitUnavailableError): void {
  errorResponse(ctx, 503);
  ctx.body = { error: 'Service Unavailable', message: error.message };
}

function errorResponse(ctx: Context, status: number): void {
  ctx.status = status;
  for (const name of ['ETag', 'Last-Modified', 'CDN-Cache-Control', 'Cache-Tag', 'Surrogate-Key', 'Content-Encoding']) ctx.remove(name);
  ctx.set('Cache-Control', 'no-store');
}
