import { serializeList, type Item } from './structured-field.js';

/**
 * The rate-limit fields of draft-ietf-httpapi-ratelimit-headers (revision 08 and later, the shape
 * revisions 08 to 11 share), both structured-field Lists (RFC 8941 3.1) of Items whose value is
 * the policy name as a String:
 *
 * - `RateLimit-Policy: "search";q=100;w=60` (draft section 3): quota `q` (3.1.1, a non-negative
 *   Integer) over a window `w` in seconds (3.1.3, a positive Integer).
 * - `RateLimit: "search";r=0;t=12` (draft section 4): `r` quota units left (4.1.1, a non-negative
 *   Integer) and `t` seconds until the quota is restored (4.1.2, a non-negative Integer).
 *
 * plus `Retry-After` in delay-seconds (RFC 9110 10.2.3). Shapes match `RateLimitPolicy` and
 * `RateLimitError` of `errors.ts`, so either can be passed as it is.
 */

/** A quota policy: `RateLimitError.policy`. */
export interface RateLimitPolicyInfo {
  readonly name: string;
  /** The quota per window (`q`). */
  readonly limit: number;
  /** The window in milliseconds (`w`, sent in seconds). */
  readonly windowMs: number;
}

/** The state of one quota: a `RateLimitError`, or the state `peekRateLimit` returns. */
export interface RateLimitStatus {
  readonly policy: RateLimitPolicyInfo;
  /** Quota units left; a token bucket's fractional tokens are rounded down. */
  readonly remaining: number;
  /** Milliseconds until the quota is full again (`t`, sent in whole seconds, rounded up). */
  readonly resetMs: number;
}

/**
 * The policy name as a structured-field String, which holds printable ASCII only (RFC 8941 3.3.3):
 * any other character, and `%` itself, is percent-encoded as UTF-8 (`café` is `caf%C3%A9`, a lone
 * surrogate is U+FFFD), so
 * every method name, whatever its script, still names its policy unambiguously.
 */
export function policyName(name: string): string {
  // Buffer encodes a lone surrogate as U+FFFD, where encodeURIComponent would throw.
  return name.replace(/[^\x20-\x24\x26-\x7e]/gu, (char) => [...Buffer.from(char, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}

/** Milliseconds as whole seconds rounded up, so a client never comes back too early. */
export function secondsUp(ms: number): number {
  if (!Number.isFinite(ms)) throw new RangeError(`a duration in milliseconds must be finite, got ${ms}`);
  return ms <= 0 ? 0 : Math.ceil(ms / 1000);
}

function asList<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/**
 * The RateLimit-Policy field value for `policies`: `"<name>";q=<limit>;w=<window seconds>` each,
 * joined by `", "`. The window is rounded up to whole seconds, and is at least 1 (`w` is positive).
 *
 * @throws TypeError for an empty list or a limit that is not a non-negative integer.
 */
export function rateLimitPolicyField(policies: RateLimitPolicyInfo | readonly RateLimitPolicyInfo[]): string {
  return serializeList(
    asList(policies).map((policy): Item => {
      if (!Number.isInteger(policy.limit) || policy.limit < 0) throw new TypeError(`a quota (q) is a non-negative integer, got ${policy.limit}`);
      return { value: policyName(policy.name), params: { q: policy.limit, w: Math.max(1, secondsUp(policy.windowMs)) } };
    }),
  );
}

/**
 * The RateLimit field value for `statuses`: `"<name>";r=<remaining>;t=<seconds>` each, joined by
 * `", "`; `r` is rounded down and `t` up, and both are at least 0.
 */
export function rateLimitField(statuses: RateLimitStatus | readonly RateLimitStatus[]): string {
  return serializeList(
    asList(statuses).map((status): Item => ({
      value: policyName(status.policy.name),
      params: { r: Math.max(0, Math.floor(status.remaining)), t: secondsUp(status.resetMs) },
    })),
  );
}

/** The Retry-After field value (RFC 9110 10.2.3, delay-seconds): whole seconds, rounded up. */
export function retryAfterField(retryAfterMs: number): string {
  return String(secondsUp(retryAfterMs));
}

/** The fields of a 429 for `error` (a `RateLimitError`): RateLimit-Policy, RateLimit and Retry-After. */
export function rateLimitErrorHeaders(error: RateLimitStatus & { readonly retryAfterMs: number }): {
  'RateLimit-Policy': string;
  RateLimit: string;
  'Retry-After': string;
} {
  return {
    'RateLimit-Policy': rateLimitPolicyField(error.policy),
    RateLimit: rateLimitField(error),
    'Retry-After': retryAfterField(error.retryAfterMs),
  };
}
