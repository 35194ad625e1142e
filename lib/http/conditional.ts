import { parseEntityTag, parseEntityTagList, strongMatch, weakMatch, type EntityTag, type EntityTagList } from './entity-tag.js';
import type { HeaderValue, RequestHeaders } from './field-value.js';
import { parseHttpDate, toHttpSecond } from './http-date.js';

/**
 * Conditional requests (RFC 9110 section 13): If-Match, If-Unmodified-Since, If-None-Match and
 * If-Modified-Since evaluated against the current representation in the order of 13.2.2.
 * If-Range and Range are out of scope (this server sends whole representations).
 */

/** What to do with a request after its preconditions (RFC 9110 13.2.2). */
export type PreconditionResult = 'proceed' | 'not-modified' | 'precondition-failed';

/** The request: its method (case-sensitive, RFC 9110 9.1) and its fields by lower-case name. */
export interface ConditionalRequest {
  readonly method: string;
  readonly headers: RequestHeaders;
}

/** The selected representation, as it is before the request is applied. */
export interface CurrentRepresentation {
  /**
   * Whether the target resource has a current representation; `*` in If-Match and If-None-Match
   * asks exactly this (RFC 9110 13.1.1, 13.1.2).
   */
  readonly exists: boolean;
  /** Its ETag field value (`"..."` or `W/"..."`); none, or an unparseable one, matches no tag. */
  readonly etag?: string | EntityTag | undefined;
  /** Its last modification; compared at one-second resolution, as HTTP dates are (RFC 9110 8.8.2). */
  readonly lastModified?: Date | number | undefined;
}

/** Options of the precondition evaluations. */
export interface PreconditionOptions {
  /**
   * The origin server's clock, in milliseconds: an If-Modified-Since later than it is ignored, and
   * RFC 850 two-digit years are read relative to it.
   * @default Date.now()
   */
  readonly now?: number | undefined;
  /**
   * Maps a received entity-tag to the one the server compares, for tags the server derived from its
   * own (`identityEtag` of `etag.ts` for content-coding suffixes). Both the received tag and its
   * mapping are compared: either matching is a match.
   */
  readonly normalizeTag?: ((tag: EntityTag) => EntityTag) | undefined;
}

/** `CONNECT`, `OPTIONS` and `TRACE` neither select nor modify a representation (RFC 9110 13.2.1). */
const NO_PRECONDITIONS = new Set(['CONNECT', 'OPTIONS', 'TRACE']);

function currentTag(current: CurrentRepresentation): EntityTag | undefined {
  return typeof current.etag === 'string' ? parseEntityTag(current.etag) : current.etag;
}

function listMatches(list: EntityTagList, current: CurrentRepresentation, compare: (a: EntityTag, b: EntityTag) => boolean, options: PreconditionOptions): boolean {
  if (list.any) return current.exists;
  const tag = current.exists ? currentTag(current) : undefined;
  if (tag === undefined) return false;
  const normalize = options.normalizeTag;
  return list.tags.some((received) => compare(received, tag) || (normalize !== undefined && compare(normalize(received), tag)));
}

/**
 * If-Match (RFC 9110 13.1.1): `true` when the condition holds, `false` when it fails, `undefined`
 * when the field is absent or empty. `*` holds when a current representation exists; a list holds
 * when one of its tags matches the current ETag by strong comparison (8.8.3.2), so a weak tag on
 * either side never matches. Malformed members never match.
 */
export function evaluateIfMatch(value: HeaderValue, current: CurrentRepresentation, options: PreconditionOptions = {}): boolean | undefined {
  const list = parseEntityTagList(value);
  return list === undefined ? undefined : listMatches(list, current, strongMatch, options);
}

/**
 * If-None-Match (RFC 9110 13.1.2): `false` when `*` is sent and a current representation exists,
 * or when one of the tags matches the current ETag by weak comparison (8.8.3.2); `true` otherwise;
 * `undefined` when the field is absent or empty. Malformed members never match.
 */
export function evaluateIfNoneMatch(value: HeaderValue, current: CurrentRepresentation, options: PreconditionOptions = {}): boolean | undefined {
  const list = parseEntityTagList(value);
  return list === undefined ? undefined : !listMatches(list, current, weakMatch, options);
}

/** The single HTTP-date of a date precondition, or `undefined` when the field must be ignored. */
function singleDate(value: HeaderValue, options: PreconditionOptions): number | undefined {
  // Several field lines are several members: such a field is ignored (RFC 9110 13.1.3, 13.1.4).
  if (value === undefined || (typeof value !== 'string' && value.length !== 1)) return undefined;
  const line = typeof value === 'string' ? value : value[0];
  return line === undefined ? undefined : parseHttpDate(line, { now: options.now });
}

/**
 * If-Modified-Since (RFC 9110 13.1.3) on its own: `false` (not modified) when the last modification
 * is at or before the date, `true` when after; `undefined` when the field must be ignored: absent,
 * not one valid HTTP-date, no last modification known, or a date later than `now`.
 *
 * A future date is treated as absent. RFC 9110 13.1.3 has the date read "in terms of the origin
 * server's clock", and RFC 2616 14.25 said it outright: "A date which is later than the server's
 * current time is invalid." Honouring one would answer 304 for every change made before that date.
 * The method and If-None-Match rules are applied by `evaluatePreconditions`.
 */
export function evaluateIfModifiedSince(value: HeaderValue, current: CurrentRepresentation, options: PreconditionOptions = {}): boolean | undefined {
  const date = singleDate(value, options);
  if (date === undefined || current.lastModified === undefined) return undefined;
  if (date > toHttpSecond(options.now ?? Date.now())) return undefined;
  return toHttpSecond(current.lastModified) > date;
}

/**
 * If-Unmodified-Since (RFC 9110 13.1.4) on its own: `true` when the last modification is at or
 * before the date, `false` when after; `undefined` when the field must be ignored: absent, not one
 * valid HTTP-date, or no last modification known. The If-Match rule is applied by
 * `evaluatePreconditions`.
 */
export function evaluateIfUnmodifiedSince(value: HeaderValue, current: CurrentRepresentation, options: PreconditionOptions = {}): boolean | undefined {
  const date = singleDate(value, options);
  if (date === undefined || current.lastModified === undefined) return undefined;
  return toHttpSecond(current.lastModified) <= date;
}

/**
 * Evaluates the preconditions of `request` against `current` in the order of RFC 9110 13.2.2:
 *
 * 1. If-Match present: false -> 412.
 * 2. Else If-Unmodified-Since present (and valid): false -> 412.
 * 3. If-None-Match present: false -> 304 for GET and HEAD, 412 for any other method.
 * 4. Else, for GET and HEAD only, If-Modified-Since present (and valid): false -> 304.
 * 5. (If-Range: out of scope.) Otherwise proceed.
 *
 * Preconditions are ignored for CONNECT, OPTIONS and TRACE (13.2.1). Call this only where the
 * response without preconditions would be 2xx or 412 (13.2.1): a 404 stays a 404. The exception of
 * 13.1.1 and 13.1.4 (answering 2xx to a failed precondition of a change that has already been
 * applied) is left to the caller, which alone can know it.
 */
export function evaluatePreconditions(request: ConditionalRequest, current: CurrentRepresentation, options: PreconditionOptions = {}): PreconditionResult {
  const { method, headers } = request;
  if (NO_PRECONDITIONS.has(method)) return 'proceed';
  const ifMatch = evaluateIfMatch(headers['if-match'], current, options);
  if (ifMatch === false) return 'precondition-failed';
  if (ifMatch === undefined && evaluateIfUnmodifiedSince(headers['if-unmodified-since'], current, options) === false) {
    return 'precondition-failed';
  }
  const safe = method === 'GET' || method === 'HEAD';
  const ifNoneMatch = evaluateIfNoneMatch(headers['if-none-match'], current, options);
  if (ifNoneMatch === false) return safe ? 'not-modified' : 'precondition-failed';
  if (ifNoneMatch === undefined && safe && evaluateIfModifiedSince(headers['if-modified-since'], current, options) === false) {
    return 'not-modified';
  }
  return 'proceed';
}
