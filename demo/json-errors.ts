import type { Context, Middleware, Next } from 'koa';
import { RateLimitError, RateLimitUnavailableError } from '../lib/index.js';

/** An error with an HTTP status, as `ctx.throw` and http-errors make them. */
interface HttpError extends Error {
  status: number;
  expose?: boolean;
  headers?: Record<string, string>;
}

function isHttpError(error: unknown): error is HttpError {
  const status = (error as { status?: unknown } | null)?.status;
  return error instanceof Error && typeof status === 'number' && status >= 400 && status < 600;
}

/**
 * Answers errors as JSON (`{ error, message }`) instead of Koa's plain text, keeping the headers
 * an error carries (`checkPreconditions`'s `Cache-Control: no-store`, a 401's
 * `WWW-Authenticate`). Mounted inside `httpCache`, which then still sees every status and keeps
 * validators off error responses. Rate-limit errors pass through: `httpCache` turns them into
 * 429 (or 503) with their RateLimit fields.
 */
export function jsonErrors(): Middleware {
  // Chained rather than `async`: every request passes here, and an async function with its
  // `await` costs a promise and a tick more on each one.
  return function jsonErrorsMiddleware(ctx: Context, next: Next): Promise<void> {
    return next().then(
      () => notFoundBody(ctx),
      (error: unknown) => errorBody(ctx, error),
    );
  };
}

function errorBody(ctx: Context, error: unknown): void {
  if (error instanceof RateLimitError || error instanceof RateLimitUnavailableError) throw error;
  if (isHttpError(error) && error.status < 500) {
    ctx.status = error.status;
    ctx.set(error.headers ?? {});
    ctx.body = { error: statusText(ctx), message: error.expose === false ? statusText(ctx) : error.message };
    return;
  }
  // A bug or a failure (Redis gone under the repository): logged, and no details leak out.
  ctx.app.emit('error', error, ctx);
  ctx.status = isHttpError(error) ? error.status : 500;
  ctx.body = { error: statusText(ctx), message: 'the server failed to answer this request; see its log' };
}

/** No route matched, or a handler set 404 without a body: the same JSON shape. (httpCache, outside, marks every error response no-store.) */
function notFoundBody(ctx: Context): void {
  if (ctx.status === 404 && ctx.body == null) {
    ctx.body = { error: 'Not Found', message: `no route for ${ctx.method} ${ctx.path}` };
    // Setting a body on Koa's implicit 404 turns it into 200: say 404 again.
    ctx.status = 404;
  }
}

function statusText(ctx: Context): string {
  return ctx.message || String(ctx.status);
}
