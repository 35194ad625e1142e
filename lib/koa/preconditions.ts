import type { Context } from 'koa';
import { currentContext } from '../context/request-context.js';
import { evaluatePreconditions, type PreconditionResult } from '../http/conditional.js';
import { identityEtag } from '../http/etag.js';
import { latestRecordOf, requestStateOf } from './http-cache.js';
import { representationOf, type RepresentationCounters } from './representation.js';

/** Counters for calls made outside `httpCache` (which has its own). */
const standalone: RepresentationCounters = { serialized: 0, hashed: 0, compressed: 0 };

/**
 * Evaluates the request's preconditions (RFC 9110 13.2.2: If-Match, If-Unmodified-Since,
 * If-None-Match, If-Modified-Since) against `current`, the representation the target has now (a
 * value as a GET would return it; `null` or `undefined`: none), and throws a 412 (through
 * `ctx.throw`) when they fail, before the handler changes anything.
 *
 * The ETag compared is the one a GET of `current` would carry: the strong hash of its JSON body
 * (weak, or none, when the `@HttpCacheable` method that returned `current` in this request says
 * so). A tag the client got with a compressed body (`"...-gzip"`) stands for the same identity
 * body, so it matches too; for If-Match the comparison stays strong (13.1.1). Last-Modified comes
 * from that method's policy, when it has one.
 *
 * Returns the outcome when it is not a failure: `'proceed'`, or `'not-modified'` for a GET or HEAD.
 */
export function checkPreconditions(ctx: Context, current: unknown): Exclude<PreconditionResult, 'precondition-failed'> {
  const exists = current !== null && current !== undefined;
  const records = currentContext()?.http;
  const record = exists && records !== undefined ? latestRecordOf(records, current) : undefined;
  const mode = record?.policy.etag ?? 'strong';
  const representation = exists && mode !== false ? representationOf(current, undefined, requestStateOf(ctx)?.counters ?? standalone, record?.entry) : undefined;
  const outcome = evaluatePreconditions(
    { method: ctx.method, headers: ctx.headers },
    { exists, etag: representation?.etagFor(mode === false ? 'strong' : mode, 'identity'), lastModified: record?.policy.lastModified },
    { normalizeTag: (tag) => identityEtag(tag) },
  );
  if (outcome === 'precondition-failed') {
    ctx.throw(412, 'Precondition Failed: the resource does not match the request\'s If-Match, If-Unmodified-Since or If-None-Match', {
      headers: { 'Cache-Control': 'no-store' },
    });
  }
  return outcome;
}
