import type { Context } from 'koa';

/** The largest request body the shop accepts: a product is a few hundred bytes. */
export const BODY_LIMIT = 16 * 1024;

/**
 * Reads the request's JSON body. A few lines instead of a body-parser dependency, and called by
 * the handler rather than run as a middleware, so the handler decides when: a PUT checks that
 * the product exists and its preconditions before it looks at the body (RFC 9110 13.2.1).
 *
 * Throws 415 for another media type, 413 above `limit` bytes, 400 for no body or bad JSON.
 */
export async function readJsonBody(ctx: Context, limit = BODY_LIMIT): Promise<unknown> {
  // `is` answers null when there is no body at all (no Content-Length, no Transfer-Encoding).
  const type = ctx.request.is('application/json', '+json');
  if (type === null) ctx.throw(400, 'a JSON body is required');
  if (type === false) {
    ctx.throw(415, `expected Content-Type: application/json, got ${ctx.request.type === '' ? 'none' : ctx.request.type}`);
  }
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limit) ctx.throw(413, `the body is over ${limit} bytes`);

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Checked as it arrives too: a chunked body declares no length.
    if (size > limit) ctx.throw(413, `the body is over ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') ctx.throw(400, 'a JSON body is required');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    ctx.throw(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
}
