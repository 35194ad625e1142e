/**
 * HTTP caching logic as pure functions over field values (STYLE.md habit 6). Internal for now:
 * the Koa layer (`lib/koa/`) imports it from here; `lib/index.ts` does not export it yet.
 */
export type { HeaderValue, RequestHeaders } from './field-value.js';
export { combineFieldLines, isOws, isToken, splitList, trimOws } from './field-value.js';
export type { EntityTag, EntityTagList } from './entity-tag.js';
export { formatEntityTag, parseEntityTag, parseEntityTagList, strongMatch, weakMatch } from './entity-tag.js';
export type { BodyEtagOptions, EtagAlgorithm } from './etag.js';
export { CONTENT_CODINGS, bodyEtag, encodedEtag, identityEtag } from './etag.js';
export type { ParseHttpDateOptions } from './http-date.js';
export { formatHttpDate, parseHttpDate, toHttpSecond } from './http-date.js';
export type { ConditionalRequest, CurrentRepresentation, PreconditionOptions, PreconditionResult } from './conditional.js';
export { evaluateIfMatch, evaluateIfModifiedSince, evaluateIfNoneMatch, evaluateIfUnmodifiedSince, evaluatePreconditions } from './conditional.js';
export type { ResponseHeaders } from './not-modified.js';
export { NOT_MODIFIED_DROPPED, NOT_MODIFIED_REQUIRED, notModifiedHeaders, notModifiedRemovals } from './not-modified.js';
export { mergeVary, parseVary } from './vary.js';
export type { BareItem, Item, Parameters, SfToken } from './structured-field.js';
export {
  serializeBareItem,
  serializeBoolean,
  serializeByteSequence,
  serializeDictionary,
  serializeInteger,
  serializeItem,
  serializeKey,
  serializeList,
  serializeParameters,
  serializeString,
  serializeToken,
  sfToken,
} from './structured-field.js';
export type { CapOptions, HttpCachePolicy } from './cache-control.js';
export { MAX_DELTA_SECONDS, buildCacheControl, buildCdnCacheControl, capToFreshness, mergePolicies, toDeltaSeconds } from './cache-control.js';
export type { PrivateRequestReasons } from './private-request.js';
export { applyPrivateRequest, cookieNames, isPrivateRequest, privateRequestReasons } from './private-request.js';
export type { RateLimitPolicyInfo, RateLimitStatus } from './ratelimit-headers.js';
export { policyName, rateLimitErrorHeaders, rateLimitField, rateLimitPolicyField, retryAfterField, secondsUp } from './ratelimit-headers.js';
