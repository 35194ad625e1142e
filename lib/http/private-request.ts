import type { HttpCachePolicy } from './cache-control.js';
import { combineFieldLines, trimOws, type HeaderValue, type RequestHeaders } from './field-value.js';
import { parseVary } from './vary.js';

/**
 * Private requests: a response to a request with credentials must not reach a shared cache.
 * RFC 9111 3.5 keeps a shared cache from storing a response to a request with Authorization
 * unless the response says `public`, `s-maxage` or `must-revalidate`, which tiercache's default
 * policy does; and a response built for a session cookie is no more shareable than one built for
 * an Authorization header.
 */

/** Why a request is private: which of its fields carry credentials. */
export interface PrivateRequestReasons {
  /** The request has an Authorization field (RFC 9110 11.6.2), whatever its value. */
  readonly authorization: boolean;
  /** The request has a cookie named in `privateCookies` (any cookie, without the list). */
  readonly cookie: boolean;
}

/**
 * The names of the cookies in Cookie field values (RFC 6265 5.4: `name=value` pairs separated by
 * `;`), in order. Several field lines (HTTP/2 splits the field, RFC 9113 8.2.3) are read as one; a
 * pair without `=` has the empty name, as browsers send it.
 */
export function cookieNames(cookie: HeaderValue): string[] {
  const text = typeof cookie === 'string' || cookie === undefined ? cookie : cookie.join('; ');
  if (text === undefined) return [];
  const names: string[] = [];
  for (const pair of text.split(';')) {
    const trimmed = trimOws(pair);
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    names.push(eq === -1 ? '' : trimOws(trimmed.slice(0, eq)));
  }
  return names;
}

/**
 * Which credentials `headers` (by lower-case name) carry. `privateCookies` lists the cookie names
 * (case-sensitive, RFC 6265 5.4) that make a request private; without it, any cookie does, and
 * `[]` means none does.
 */
export function privateRequestReasons(headers: RequestHeaders, privateCookies?: readonly string[]): PrivateRequestReasons {
  const authorization = combineFieldLines(headers.authorization) !== undefined;
  const names = cookieNames(headers.cookie);
  const cookie = privateCookies === undefined ? names.length > 0 : names.some((name) => privateCookies.includes(name));
  return { authorization, cookie };
}

/** True when the response to a request with `headers` must stay out of shared caches. */
export function isPrivateRequest(headers: RequestHeaders, privateCookies?: readonly string[]): boolean {
  const reasons = privateRequestReasons(headers, privateCookies);
  return reasons.authorization || reasons.cookie;
}

/**
 * `policy` as it applies to the request with `headers` (API.md section 3): for a private request,
 * `private` instead of `public`, no `s-maxage`, no `CDN-Cache-Control`, and `Vary: Authorization`
 * and/or `Vary: Cookie` added, so a browser cache does not hand one user's response to another
 * user of the same browser (RFC 9110 12.5.5). A `noStore` policy is returned unchanged: nothing
 * is stored to leak. A request without credentials gets `policy` unchanged.
 */
export function applyPrivateRequest(policy: HttpCachePolicy, headers: RequestHeaders, privateCookies?: readonly string[]): HttpCachePolicy {
  if (policy.noStore === true) return policy;
  const reasons = privateRequestReasons(headers, privateCookies);
  if (!reasons.authorization && !reasons.cookie) return policy;
  const vary = parseVary(policy.vary, reasons.authorization ? 'Authorization' : undefined, reasons.cookie ? 'Cookie' : undefined);
  return { ...policy, visibility: 'private', sMaxAge: undefined, cdnMaxAge: undefined, vary };
}
