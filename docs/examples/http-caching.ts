import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import Koa from 'koa';
import compress from 'koa-compress';
import { Cached, createCache, HttpCacheable, InvalidatesTags, type CacheEngine } from '../../lib/index.js';
import { checkPreconditions, httpCache } from '../../lib/koa/index.js';

interface Product {
  id: number;
  name: string;
  updatedAt: number;
}

let cache: CacheEngine;
let table: Map<number, Product>; // the "database"

class ProductService {
  reads = 0;

  // Browsers and CDNs may keep it 60 s; Last-Modified from the row; the ETag from the JSON bytes.
  @HttpCacheable({ maxAge: 60, sMaxAge: 300, lastModified: (p: Product) => new Date(p.updatedAt) })
  @Cached({ cache: () => cache, ttl: '10m', tags: (id: number) => [`product:${id}`] })
  async getProduct(id: number): Promise<Product | null> {
    this.reads++;
    return table.get(id) ?? null;
  }

  @InvalidatesTags((id: number) => [`product:${id}`], { cache: () => cache })
  async rename(id: number, name: string): Promise<Product> {
    const product = { id, name, updatedAt: Date.now() };
    table.set(id, product);
    return product;
  }
}

export async function main(): Promise<void> {
  const redisUrl = process.env['REDIS_URL'];
  table = new Map([[1, { id: 1, name: 'Lamp', updatedAt: Date.UTC(2026, 0, 2) }]]);
  cache = createCache({ namespace: `http-${Date.now().toString(36)}`, l2: redisUrl ? { redis: redisUrl } : false });
  const products = new ProductService();
  const router = new Router();
  router.get('/products/:id', async (ctx) => {
    const product = await products.getProduct(Number(ctx.params['id']));
    if (product === null) ctx.throw(404, 'no such product');
    ctx.body = product;
  });
  router.put('/products/:id', async (ctx) => {
    const id = Number(ctx.params['id']);
    checkPreconditions(ctx, await products.getProduct(id)); // 412 before the write
    ctx.body = await products.rename(id, 'Desk lamp');
  });

  const app = new Koa();
  const http = httpCache({ cache });
  app.use(compress()); // outermost: compresses what httpCache does not represent
  app.use(http); // request context, caching fields, 304, 412, 429
  app.use(router.routes());
  const server = app.listen(0);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/products/1`;
  try {
    await cache.ready();
    const first = await fetch(url, { headers: { 'accept-encoding': 'identity' } });
    const etag = first.headers.get('etag')!;
    console.log(first.status, etag, first.headers.get('cache-control'), first.headers.get('last-modified'));
    // 200 "30-..." public, max-age=60, s-maxage=300 Fri, 02 Jan 2026 00:00:00 GMT
    assert.equal(first.status, 200);
    assert.match(etag, /^"30-[\w-]{27}"$/); // the byte length in hex, then a digest of the bytes
    assert.equal(first.headers.get('cache-control'), 'public, max-age=60, s-maxage=300');
    assert.equal(first.headers.get('last-modified'), 'Fri, 02 Jan 2026 00:00:00 GMT');

    // The client revalidates: an L1 hit answered 304, without serialising or hashing the body again.
    const before = http.stats();
    const revalidated = await fetch(url, { headers: { 'accept-encoding': 'identity', 'if-none-match': etag } });
    assert.equal(revalidated.status, 304);
    assert.equal(http.stats().hashed, before.hashed);
    assert.equal(http.stats().serialized, before.serialized);
    assert.equal(products.reads, 1);

    // A private request (credentials) never reaches a shared cache.
    const mine = await fetch(url, { headers: { authorization: 'Bearer ada' } });
    assert.equal(mine.headers.get('cache-control'), 'private, max-age=60');
    assert.match(mine.headers.get('vary')!, /Authorization/);

    // A write conditional on a tag the client no longer has: 412, and nothing is written.
    const stale = await fetch(url, { method: 'PUT', headers: { 'if-match': '"0-stale"' } });
    assert.equal(stale.status, 412);
    assert.equal(stale.headers.get('cache-control'), 'no-store');
    assert.equal(table.get(1)!.name, 'Lamp');

    // With the current tag it goes through; the invalidation gives the next GET a new ETag.
    const renamed = await fetch(url, { method: 'PUT', headers: { 'if-match': etag } });
    assert.equal(renamed.status, 200);
    const after = await fetch(url, { headers: { 'accept-encoding': 'identity', 'if-none-match': etag } });
    assert.equal(after.status, 200);
    assert.notEqual(after.headers.get('etag'), etag);
    assert.equal(((await after.json()) as Product).name, 'Desk lamp');
  } finally {
    server.close();
    server.closeAllConnections(); // fetch keeps connections alive
    await cache.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
