import Router from '@koa/router';
import type { Context } from 'koa';
import { checkPreconditions } from '../lib/koa/index.js';
import type { AccountService } from './account-service.js';
import { readJsonBody } from './json-body.js';
import { parseProductInput, parseProductPatch } from './product-input.js';
import type { ProductService } from './product-service.js';
import type { SearchService } from './search-service.js';

/** The services behind the shop's routes, one instance each per app. */
export interface ShopServices {
  readonly products: ProductService;
  readonly accounts: AccountService;
  readonly search: SearchService;
}

/** Ids are positive integers: anything else names no product (404), and is never a cache key. */
const ID = /^[1-9]\d{0,8}$/;
/** RFC 6750 2.1 `Bearer <token>`; the demo takes the token to be the user's name. */
const BEARER = /^Bearer +([A-Za-z0-9._-]{1,64})$/i;
const MAX_QUERY = 100;

/**
 * The shop API of DEMO.md. Handlers only move values between HTTP and the services: caching,
 * validators, 304s, 412s on GET and 429s are the decorators' and `httpCache`'s work.
 */
export function shopRoutes(services: ShopServices): Router {
  const { products, accounts, search } = services;
  const router = new Router();

  router.get('/products/:id', async (ctx) => {
    const id = productId(ctx.params['id']);
    const product = id === undefined ? null : await products.getProduct(id);
    if (product === null) return notFound(ctx, ctx.params['id']);
    ctx.body = product;
  });

  router.get('/products', async (ctx) => {
    ctx.body = await products.listProducts(pageParam(ctx), categoryParam(ctx));
  });

  router.put('/products/:id', async (ctx) => {
    const id = productId(ctx.params['id']);
    const current = id === undefined ? null : await products.getProduct(id);
    // RFC 9110 13.2.1: preconditions are ignored where the answer would be an error without them.
    if (id === undefined || current === null) return notFound(ctx, ctx.params['id']);
    // Before the write, against what a GET would show now: a client whose If-Match names an
    // older ETag (someone else wrote in between, on any replica) gets 412 and must re-read.
    checkPreconditions(ctx, current);
    const patch = parseProductPatch(await readJsonBody(ctx));
    const change = await products.updateProduct(id, patch);
    if (change === null) return notFound(ctx, ctx.params['id']);
    ctx.body = change.after;
  });

  router.post('/products', async (ctx) => {
    // The collection's current representation is its first page: `If-None-Match: *` ("only if
    // nothing is there") fails with 412, and `If-Match` with the page's ETag works as for a PUT.
    // Looked up only when asked, so a plain POST does not pay for it.
    if (hasPreconditions(ctx)) checkPreconditions(ctx, await products.listProducts(1, null));
    const product = await products.createProduct(parseProductInput(await readJsonBody(ctx)));
    ctx.status = 201;
    ctx.set('Location', `/products/${product.id}`);
    ctx.body = product;
  });

  router.get('/me', async (ctx) => {
    const user = bearerUser(ctx);
    ctx.body = await accounts.getProfile(user);
  });

  router.get('/search', async (ctx) => {
    const query = single(ctx.query['q']) ?? '';
    if (query.length > MAX_QUERY) ctx.throw(400, `"q" must be at most ${MAX_QUERY} characters`);
    ctx.body = await search.search(query);
  });

  return router;
}

function productId(param: string | undefined): number | undefined {
  return param !== undefined && ID.test(param) ? Number(param) : undefined;
}

function notFound(ctx: Context, id: string | undefined): void {
  ctx.status = 404;
  ctx.body = { error: 'Not Found', message: `no product with id ${JSON.stringify(id ?? '')}` };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function pageParam(ctx: Context): number {
  const raw = single(ctx.query['page']);
  if (raw === undefined || raw === '') return 1;
  if (!/^[1-9]\d{0,5}$/.test(raw)) ctx.throw(400, `"page" must be a whole number from 1, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function categoryParam(ctx: Context): string | null {
  const raw = single(ctx.query['category'])?.trim();
  if (raw === undefined || raw === '') return null;
  if (raw.length > MAX_QUERY) ctx.throw(400, `"category" must be at most ${MAX_QUERY} characters`);
  return raw;
}

function hasPreconditions(ctx: Context): boolean {
  const h = ctx.headers;
  return h['if-match'] !== undefined || h['if-none-match'] !== undefined || h['if-unmodified-since'] !== undefined || h['if-modified-since'] !== undefined;
}

/** The user of `Authorization: Bearer <user>`, else 401 (RFC 6750 3: with WWW-Authenticate). */
function bearerUser(ctx: Context): string {
  const header = ctx.get('Authorization');
  if (header === '') {
    ctx.throw(401, 'send Authorization: Bearer <user>', { headers: { 'WWW-Authenticate': 'Bearer realm="tiercache-demo"' } });
  }
  const match = BEARER.exec(header);
  if (match === null) {
    ctx.throw(401, 'the token must be 1 to 64 letters, digits, ".", "_" or "-"', {
      headers: { 'WWW-Authenticate': 'Bearer realm="tiercache-demo", error="invalid_token"' },
    });
  }
  return match[1]!;
}
