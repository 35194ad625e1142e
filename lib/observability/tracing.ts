import { tracingChannel } from 'node:diagnostics_channel';

/** The name of the tracing channel: subscribe with `diagnostics_channel.tracingChannel(TRACING_CHANNEL)`. */
export const TRACING_CHANNEL = 'tiercache:operation';

/** What a traced operation was. */
export type TracedOperation = 'cached' | 'getOrSet' | 'invalidateTags' | 'rateLimit';

/**
 * How a traced operation ended:
 * - `hit`: a fresh value from `tier`;
 * - `stale`: a value past its ttl, within grace, from `tier` (a refresh runs behind it);
 * - `miss`: nothing usable was cached: the method ran (`tier: 'method'`);
 * - `coalesced`: joined a load of the same key already under way in this process;
 * - `lock-wait`: another replica held the key's lock; the value came from it through L2
 *   (`tier: 'l2'`), or the method ran here after the wait (`tier: 'method'`);
 * - `allowed` / `limited`: a rate-limit decision;
 * - `invalidated`: tags invalidated.
 */
export type TraceOutcome = 'hit' | 'stale' | 'miss' | 'coalesced' | 'lock-wait' | 'allowed' | 'limited' | 'invalidated';

/**
 * The context object of every event of one traced operation (the same object from `start` to
 * `asyncEnd` or `error`): subscribers time the operation between `start` and `asyncEnd`, and read
 * the outcome, set by then.
 */
export interface TraceContext {
  readonly operation: TracedOperation;
  /** The `@Cached` / `@RateLimited` name (`Class.method`, or the policy name), if any. */
  method: string | undefined;
  /** The cache key, or the rate-limit bucket key, once known. */
  key: string | undefined;
  /** Set before the operation's promise settles (`undefined` if it failed before one was known). */
  outcome: TraceOutcome | undefined;
  /** Where the value came from. */
  tier: 'l1' | 'l2' | 'method' | undefined;
  /** The tags of an `invalidateTags`. */
  tags?: readonly string[];
}

/**
 * One channel for every operation, so one subscription sees all of them. Publishing costs one
 * property read (`hasSubscribers`, about 1 ns) while nobody subscribes; the L1 hit path checks it
 * and takes the traced path only then.
 */
export const tracing = tracingChannel<unknown, TraceContext>(TRACING_CHANNEL);

/** A fresh context for `operation`. */
export function traceContext(operation: TracedOperation, method: string | undefined, key: string | undefined): TraceContext {
  return { operation, method, key, outcome: undefined, tier: undefined };
}

/** Records how a traced operation ended; a no-op without a context (tracing off). */
export function traced(context: TraceContext | undefined, outcome: TraceOutcome, tier?: TraceContext['tier']): void {
  if (context === undefined) return;
  context.outcome = outcome;
  context.tier = tier;
}
