/**
 * The three algorithms as pure functions over a bucket's state, for the in-process limiter that
 * takes over while Redis is down. They mirror the Lua scripts of scripts.ts line for line, so a
 * bucket behaves the same on either side (spec/ratelimit runs one case table against both).
 */
export type RateLimitAlgorithm = 'token-bucket' | 'sliding-window' | 'fixed-window';

/** What one check decided. Milliseconds; `remaining` may be fractional for the token bucket. */
export interface RateLimitDecision {
  allowed: boolean;
  remaining: number;
  /** Until this call's cost would be admitted (0 when allowed). */
  retryAfterMs: number;
  /** Until the bucket or window is full (empty of use) again. */
  resetMs: number;
}

/** A bucket's state: a = tokens or current count, b = timestamp or window start, c = previous count. */
export interface BucketState {
  a: number;
  b: number;
  c: number;
}

export function decide(
  algorithm: RateLimitAlgorithm,
  state: BucketState | undefined,
  now: number,
  limit: number,
  window: number,
  cost: number,
  consume: boolean,
): { decision: RateLimitDecision; state: BucketState } {
  switch (algorithm) {
    case 'token-bucket':
      return tokenBucket(state, now, limit, window, cost, consume);
    case 'fixed-window':
      return fixedWindow(state, now, limit, window, cost, consume);
    case 'sliding-window':
      return slidingWindow(state, now, limit, window, cost, consume);
  }
}

function tokenBucket(state: BucketState | undefined, now: number, limit: number, window: number, cost: number, consume: boolean) {
  const rate = limit / window;
  let tokens = state?.a ?? limit;
  const stamp = state?.b ?? now;
  if (now > stamp) tokens = Math.min(limit, tokens + (now - stamp) * rate);
  let allowed = false;
  let retry = 0;
  if (tokens >= cost) {
    allowed = true;
    if (consume) tokens -= cost;
  } else {
    retry = (cost - tokens) / rate;
  }
  return {
    decision: { allowed, remaining: tokens, retryAfterMs: retry, resetMs: (limit - tokens) / rate },
    state: consume ? { a: tokens, b: now, c: 0 } : (state ?? { a: limit, b: now, c: 0 }),
  };
}

function fixedWindow(state: BucketState | undefined, now: number, limit: number, window: number, cost: number, consume: boolean) {
  const start = Math.floor(now / window) * window;
  let count = state !== undefined && state.b === start ? state.a : 0;
  const left = start + window - now;
  let allowed = false;
  let retry = 0;
  if (count + cost <= limit) {
    allowed = true;
    if (consume) count += cost;
  } else {
    retry = left;
  }
  return {
    decision: { allowed, remaining: limit - count, retryAfterMs: retry, resetMs: count > 0 ? left : 0 },
    state: consume ? { a: count, b: start, c: 0 } : (state ?? { a: 0, b: start, c: 0 }),
  };
}

function slidingWindow(state: BucketState | undefined, now: number, limit: number, window: number, cost: number, consume: boolean) {
  const start = Math.floor(now / window) * window;
  let count = state?.a ?? 0;
  let previous = state?.c ?? 0;
  if (state === undefined || state.b !== start) {
    previous = state !== undefined && state.b === start - window ? state.a : 0;
    count = 0;
  }
  const elapsed = now - start;
  let estimate = previous * (1 - elapsed / window) + count;
  let allowed = false;
  let retry = 0;
  if (estimate + cost <= limit) {
    allowed = true;
    if (consume) {
      count += cost;
      estimate += cost;
    }
  } else if (count + cost <= limit) {
    retry = window * (1 - (limit - count - cost) / previous) - elapsed;
  } else {
    retry = window - elapsed + Math.max(0, window * (1 - (limit - cost) / count));
  }
  const reset = count > 0 ? 2 * window - elapsed : previous > 0 ? window - elapsed : 0;
  return {
    decision: { allowed, remaining: Math.max(0, limit - estimate), retryAfterMs: Math.max(0, retry), resetMs: reset },
    state: consume ? { a: count, b: start, c: previous } : (state ?? { a: 0, b: start, c: 0 }),
  };
}
