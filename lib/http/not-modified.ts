/**
 * The header section of a 304 (Not Modified) response, derived from the one the 200 would have had
 * (RFC 9110 15.4.5).
 */

/** Response fields by name, as Node's `getHeaders()` or Koa's `ctx.response.headers` give them. */
export interface ResponseHeaders {
  readonly [name: string]: string | number | readonly string[] | undefined;
}

/**
 * The fields a 304 MUST carry when the 200 would have (RFC 9110 15.4.5): "Content-Location, Date,
 * ETag, and Vary; Cache-Control and Expires".
 */
export const NOT_MODIFIED_REQUIRED: readonly string[] = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary'];

/**
 * Representation metadata and framing a 304 leaves out. RFC 9110 15.4.5: "a sender SHOULD NOT
 * generate representation metadata other than the above listed fields unless said metadata exists
 * for the purpose of guiding cache updates". These describe content the 304 does not have:
 * Content-Type (8.3), Content-Encoding (8.4), Content-Language (8.5), Content-Length (8.6, which a
 * 304 may only carry with the exact length of the 200, unknowable here once a compressor runs),
 * Content-Range (14.4), Content-Disposition (RFC 6266), Content-MD5 (obsolete), Content-Digest
 * (RFC 9530) and Transfer-Encoding (RFC 9112 6.1).
 */
export const NOT_MODIFIED_DROPPED: readonly string[] = [
  'content-type',
  'content-encoding',
  'content-language',
  'content-length',
  'content-range',
  'content-disposition',
  'content-md5',
  'content-digest',
  'transfer-encoding',
];

const DROPPED = new Set(NOT_MODIFIED_DROPPED);

/**
 * The fields of a 304 answering a request whose 200 would have carried `headers`; names keep their
 * spelling, values are the same values (not copies of arrays).
 *
 * - Kept: the fields of `NOT_MODIFIED_REQUIRED`, so a cache freshens its stored response with the
 *   same Cache-Control, ETag and Vary the 200 had (RFC 9111 4.3.4).
 * - Dropped: the fields of `NOT_MODIFIED_DROPPED`.
 * - Last-Modified: kept only when there is no ETag. RFC 9110 15.4.5 gives that very case as its
 *   example of metadata that guides cache updates ("Last-Modified might be useful if the response
 *   does not have an ETag field"); with an ETag, the strong ETag selects the stored response to
 *   update (RFC 9111 4.3.4) and the stored Last-Modified stays as it was, so sending it again
 *   guides nothing.
 * - Every other field (Set-Cookie, RateLimit, CDN-Cache-Control, Cache-Tag, CORS fields...) is not
 *   representation metadata and is kept as the 200 would have had it.
 */
export function notModifiedHeaders(headers: ResponseHeaders): Record<string, string | number | readonly string[]> {
  const names = Object.keys(headers);
  const hasEtag = names.some((name) => name.toLowerCase() === 'etag' && headers[name] !== undefined);
  const result: Record<string, string | number | readonly string[]> = {};
  for (const name of names) {
    const value = headers[name];
    const lower = name.toLowerCase();
    if (value === undefined || DROPPED.has(lower)) continue;
    if (lower === 'last-modified' && hasEtag) continue;
    result[name] = value;
  }
  return result;
}

/**
 * The fields to remove from a response so that what is left is what `notModifiedHeaders` keeps:
 * for a server that edits its response in place (Node's `removeHeader`) rather than building a
 * new header section. `names` are the response's field names in lower case, as Node's
 * `getHeaderNames()` gives them.
 */
export function notModifiedRemovals(names: readonly string[]): string[] {
  const hasEtag = names.includes('etag');
  return names.filter((name) => DROPPED.has(name) || (hasEtag && name === 'last-modified'));
}
