import { AsyncLocalStorage } from 'node:async_hooks';
import type { HttpRecord } from '../decorators/http-cacheable.js';

/** What a request tells the code that runs for it: who the client is, and what was decided. */
export interface RequestContext {
  /** The client the rate limiters key on by default (the Koa middleware sets `ctx.ip`). */
  readonly clientId?: string | undefined;
  /** Filled by `@RateLimited` calls made in the request: the HTTP layer turns them into RateLimit headers. */
  readonly rateLimits?: { name: string; limit: number; remaining: number; resetMs: number; windowMs: number }[];
  /**
   * Filled by the `@HttpCacheable` methods that ran in the request (their policy and result):
   * the HTTP layer merges them into the response's caching headers. Absent: nothing is recorded.
   */
  readonly http?: HttpRecord[];
}

/**
 * The request context lives in an AsyncLocalStorage, created here but entered only by
 * `runWithContext`: code that never calls it never pays for the promise hooks that
 * AsyncLocalStorage turns on (on Node 20) for the whole process.
 */
const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` inside a request context (the Koa middleware does this for every request). */
export function runWithContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run({ rateLimits: [], ...context }, fn);
}

/**
 * Runs `fn` inside `context` as it is, not copied: for a caller that built the context itself,
 * with `rateLimits` and `http` arrays of its own (and possibly a lazy `clientId` getter, which a
 * copy would evaluate). @internal
 */
export function enterContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the request being served, if any. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}
