import { serializeDictionary, type Item } from './structured-field.js';
import { parseVary } from './vary.js';

/**
 * The HTTP caching policy of a response: the options of `@HttpCacheable` (API.md section 2) once
 * resolved (ages in whole seconds) and with `lastModified` evaluated for the result at hand.
 */
export interface HttpCachePolicy {
  /** `max-age` (RFC 9111 5.2.2.1) in seconds. @default 0 */
  readonly maxAge?: number | undefined;
  /** `s-maxage` (RFC 9111 5.2.2.10) in seconds, for shared caches; only with `public`. */
  readonly sMaxAge?: number | undefined;
  /** `max-age` of `CDN-Cache-Control` (RFC 9213) in seconds; no field without it. */
  readonly cdnMaxAge?: number | undefined;
  /** `stale-while-revalidate` (RFC 5861 section 3) in seconds; 0 sends nothing. */
  readonly staleWhileRevalidate?: number | undefined;
  /** `stale-if-error` (RFC 5861 section 4) in seconds; 0 sends nothing. */
  readonly staleIfError?: number | undefined;
  /** `public` (RFC 9111 5.2.2.9) or `private` (5.2.2.7). @default 'public' */
  readonly visibility?: 'public' | 'private' | undefined;
  /** `no-store` (RFC 9111 5.2.2.5): overrides every other directive. @default false */
  readonly noStore?: boolean | undefined;
  /** `no-cache` (RFC 9111 5.2.2.4): stored but revalidated on every use. @default false */
  readonly noCache?: boolean | undefined;
  /** `must-revalidate` (RFC 9111 5.2.2.2): never served stale. @default false */
  readonly mustRevalidate?: boolean | undefined;
  /** `immutable` (RFC 8246 section 2): not revalidated while fresh. @default false */
  readonly immutable?: boolean | undefined;
  /** Request fields the response varies on (RFC 9110 12.5.5). */
  readonly vary?: readonly string[] | undefined;
  /** The ETag to send: a strong or weak hash of the identity body, or none. @default 'strong' */
  readonly etag?: 'strong' | 'weak' | false | undefined;
  /** The Last-Modified to send (RFC 9110 8.8.2), evaluated from the method's result. */
  readonly lastModified?: Date | undefined;
  /** The field that carries the entry's tags for CDN purges. */
  readonly tagHeader?: 'Cache-Tag' | 'Surrogate-Key' | undefined;
}

/**
 * RFC 9111 1.2.2: a sender SHOULD NOT generate delta-seconds above 2^31, and a recipient reads
 * anything larger as 2^31.
 */
export const MAX_DELTA_SECONDS = 2_147_483_648;

/**
 * `seconds` as delta-seconds (RFC 9111 1.2.2): rounded down to a whole number, at most 2^31.
 *
 * @throws RangeError for a negative number or NaN.
 */
export function toDeltaSeconds(seconds: number): number {
  if (Number.isNaN(seconds) || seconds < 0) throw new RangeError(`an HTTP age is a number of seconds >= 0 (RFC 9111 1.2.2), got ${seconds}`);
  return Math.min(Math.floor(seconds), MAX_DELTA_SECONDS);
}

/** Stale serving is on unless `must-revalidate` forbids it (RFC 9111 4.2.4). */
function staleSeconds(policy: HttpCachePolicy, seconds: number | undefined): number {
  return policy.mustRevalidate === true || seconds === undefined ? 0 : toDeltaSeconds(seconds);
}

/**
 * The Cache-Control field value of `policy` (RFC 9111 5.2.2), directives in this order:
 * `public`|`private`, `no-cache`, `max-age`, `s-maxage`, `must-revalidate`,
 * `stale-while-revalidate`, `stale-if-error`, `immutable`. Directive order carries no meaning; a
 * fixed one keeps responses byte-identical.
 *
 * - `noStore`: `no-store` alone; nothing else applies to a response that is never stored.
 * - `noCache`: `public, no-cache` or `private, no-cache`; ages would never apply, and a cache must
 *   not serve a no-cache response stale (RFC 9111 4.2.4).
 * - `s-maxage` only with `public`: a `private` response never reaches a shared cache. It also
 *   implies proxy-revalidate for shared caches (RFC 9111 5.2.2.10), which per the RFC keeps them
 *   from using `stale-while-revalidate`; browsers still use it, and most CDNs do too.
 * - `mustRevalidate` drops `stale-while-revalidate` and `stale-if-error`, which it forbids
 *   (RFC 9111 4.2.4).
 * - `immutable` only with a `max-age` above 0: it says the response does not change while fresh.
 */
export function buildCacheControl(policy: HttpCachePolicy): string {
  if (policy.noStore === true) return 'no-store';
  const visibility = policy.visibility ?? 'public';
  if (policy.noCache === true) return `${visibility}, no-cache`;
  const maxAge = toDeltaSeconds(policy.maxAge ?? 0);
  const parts: string[] = [visibility, `max-age=${maxAge}`];
  if (visibility === 'public' && policy.sMaxAge !== undefined) parts.push(`s-maxage=${toDeltaSeconds(policy.sMaxAge)}`);
  if (policy.mustRevalidate === true) parts.push('must-revalidate');
  const swr = staleSeconds(policy, policy.staleWhileRevalidate);
  if (swr > 0) parts.push(`stale-while-revalidate=${swr}`);
  const sie = staleSeconds(policy, policy.staleIfError);
  if (sie > 0) parts.push(`stale-if-error=${sie}`);
  if (policy.immutable === true && maxAge > 0) parts.push('immutable');
  return parts.join(', ');
}

/**
 * The CDN-Cache-Control field value of `policy` (RFC 9213 section 3), a structured-field
 * Dictionary (RFC 9213 2.1, RFC 8941 3.2) such as `max-age=60, stale-while-revalidate=30`; or
 * `undefined`, so no field is sent, when `cdnMaxAge` is not set or the response is `no-store`,
 * `no-cache` or `private`: a CDN without the targeted field obeys Cache-Control (RFC 9213 2.2),
 * which already keeps such a response out of it.
 */
export function buildCdnCacheControl(policy: HttpCachePolicy): string | undefined {
  if (policy.cdnMaxAge === undefined || policy.noStore === true || policy.noCache === true || policy.visibility === 'private') return undefined;
  const maxAge = toDeltaSeconds(policy.cdnMaxAge);
  const members: Record<string, Item> = { 'max-age': { value: maxAge } };
  if (policy.mustRevalidate === true) members['must-revalidate'] = { value: true };
  const swr = staleSeconds(policy, policy.staleWhileRevalidate);
  if (swr > 0) members['stale-while-revalidate'] = { value: swr };
  const sie = staleSeconds(policy, policy.staleIfError);
  if (sie > 0) members['stale-if-error'] = { value: sie };
  if (policy.immutable === true && maxAge > 0) members.immutable = { value: true };
  return serializeDictionary(members);
}

function min(values: readonly number[]): number {
  return values.reduce((a, b) => Math.min(a, b));
}

/**
 * The safest policy that satisfies every one of `policies` (several `@HttpCacheable` methods in one
 * response); `undefined` for none.
 *
 * | field | merged |
 * | --- | --- |
 * | `noStore`, `noCache`, `mustRevalidate` | if any |
 * | `visibility` | `private` if any, else `public` |
 * | `immutable` | if all |
 * | `maxAge` | the shortest (an unset one counts as 0) |
 * | `sMaxAge` | if any sets it: the shortest shared age, each policy's being `sMaxAge ?? maxAge` (RFC 9111 5.2.2.10) |
 * | `cdnMaxAge` | if any sets it: the shortest CDN age, each being `cdnMaxAge ?? sMaxAge ?? maxAge` (RFC 9213 2.2) |
 * | `staleWhileRevalidate`, `staleIfError` | the shortest (an unset one counts as 0, which sends nothing) |
 * | `vary` | the union, first spelling kept, `*` absorbing the rest |
 * | `etag` | `false` if any, else `weak` if any, else `strong` |
 * | `lastModified` | the latest, and none when any part has none: the body's age is then unknown |
 * | `tagHeader` | the first set |
 */
export function mergePolicies(policies: readonly HttpCachePolicy[]): HttpCachePolicy | undefined {
  if (policies.length === 0) return undefined;
  const some = (f: (p: HttpCachePolicy) => boolean): boolean => policies.some(f);
  const shared = (p: HttpCachePolicy): number => p.sMaxAge ?? p.maxAge ?? 0;
  const dates = policies.flatMap((p) => (p.lastModified === undefined ? [] : [p.lastModified.getTime()]));
  const vary = parseVary(...policies.map((p) => p.vary));
  const swr = min(policies.map((p) => p.staleWhileRevalidate ?? 0));
  const sie = min(policies.map((p) => p.staleIfError ?? 0));
  return {
    maxAge: min(policies.map((p) => p.maxAge ?? 0)),
    sMaxAge: some((p) => p.sMaxAge !== undefined) ? min(policies.map(shared)) : undefined,
    cdnMaxAge: some((p) => p.cdnMaxAge !== undefined) ? min(policies.map((p) => p.cdnMaxAge ?? shared(p))) : undefined,
    staleWhileRevalidate: swr > 0 ? swr : undefined,
    staleIfError: sie > 0 ? sie : undefined,
    visibility: some((p) => p.visibility === 'private') ? 'private' : 'public',
    noStore: some((p) => p.noStore === true),
    noCache: some((p) => p.noCache === true),
    mustRevalidate: some((p) => p.mustRevalidate === true),
    immutable: policies.every((p) => p.immutable === true),
    vary: vary.length > 0 ? vary : undefined,
    etag: some((p) => p.etag === false) ? false : some((p) => p.etag === 'weak') ? 'weak' : 'strong',
    lastModified: dates.length === policies.length ? new Date(Math.max(...dates)) : undefined,
    tagHeader: policies.find((p) => p.tagHeader !== undefined)?.tagHeader,
  };
}

/** Options of `capToFreshness`. */
export interface CapOptions {
  /**
   * Cap `sMaxAge` and `cdnMaxAge` too. Turn it off only where shared caches are purged on
   * invalidation (`tagHeader`), so they may keep a response longer than the server's entry.
   * @default true
   */
  readonly shared?: boolean | undefined;
}

/**
 * `policy` with its ages cut to what is left of the cached entry's freshness, `remainingMs`
 * (rounded down to whole seconds; 0 for a stale entry, whose remaining time is 0 or negative), so
 * no downstream cache keeps a response fresh longer than the server's own copy is.
 * `stale-while-revalidate` and `stale-if-error` are not cut: they are about after freshness.
 */
export function capToFreshness(policy: HttpCachePolicy, remainingMs: number, options: CapOptions = {}): HttpCachePolicy {
  const left = remainingMs > 0 ? Math.floor(remainingMs / 1000) : 0;
  const cap = (age: number | undefined): number | undefined => (age === undefined ? undefined : Math.min(age, left));
  const shared = options.shared ?? true;
  return {
    ...policy,
    maxAge: Math.min(policy.maxAge ?? 0, left),
    sMaxAge: shared ? cap(policy.sMaxAge) : policy.sMaxAge,
    cdnMaxAge: shared ? cap(policy.cdnMaxAge) : policy.cdnMaxAge,
  };
}
