import Router from '@koa/router';
import type Koa from 'koa';
import compress from 'koa-compress';
import { Cached, HttpCacheable, type CacheEngine, type CachedOptions, type HttpCacheableOptions } from '../../lib/index.js';
import { httpCache, type HttpCacheMiddleware, type HttpCacheOptions } from '../../lib/koa/index.js';
import { product, quietApp, type Product } from './helpers.js';

/**
 * The service and app most Koa specs drive: a product catalog whose `getProduct` is
 * `@HttpCacheable` over `@Cached`, served by `compress()` (outermost), `httpCache(...)` and a
 * router. The decorator options are parameters, so each test declares the policy it checks.
 */

/** The policy of API.md section 2's example, with Last-Modified from the row. */
export const DEFAULT_POLICY: HttpCacheableOptions<Product> = {
  maxAge: 60,
  sMaxAge: 300,
  vary: ['Accept-Language'],
  lastModified: (p: Product) => new Date(p.updatedAt),
};

export interface Catalog {
  /** The rows; change one and invalidate `product:<id>` to change the representation. */
  readonly table: Map<number, Product>;
  /** How often `getProduct` ran (misses and refreshes). */
  readonly calls: number;
  /** How often `saveProduct` ran. */
  readonly writes: number;
  getProduct(id: number): Promise<Product | null>;
  /** A product with a short description: a body below the compression threshold. */
  getSummary(id: number): Promise<{ id: number; name: string } | null>;
  saveProduct(id: number, name: string): Promise<Product>;
}

/** The rows of a new catalog: products 1 and 2. */
export function productTable(): Map<number, Product> {
  return new Map<number, Product>([
    [1, product(1)],
    [2, product(2)],
  ]);
}

/**
 * A new catalog service on `cache`, `getProduct` under `policy` and `@Cached(cached)`, over `table`
 * (give two replicas the same one).
 */
export function catalogOf(cache: CacheEngine, policy: HttpCacheableOptions<Product> = DEFAULT_POLICY, cached: CachedOptions<[number]> = {}, table = productTable()): Catalog {
  class ProductService implements Catalog {
    readonly table = table;
    calls = 0;
    writes = 0;

    @HttpCacheable(policy)
    @Cached({ cache: () => cache, ttl: '10m', tags: (id: number) => [`product:${id}`, 'products'], ...cached })
    async getProduct(id: number): Promise<Product | null> {
      this.calls++;
      const row = this.table.get(id);
      return row === undefined ? null : { ...row };
    }

    @HttpCacheable({ maxAge: 60 })
    @Cached({ cache: () => cache, ttl: '10m' })
    async getSummary(id: number): Promise<{ id: number; name: string } | null> {
      const row = this.table.get(id);
      return row === undefined ? null : { id: row.id, name: row.name };
    }

    async saveProduct(id: number, name: string): Promise<Product> {
      this.writes++;
      const row = { ...(this.table.get(id) ?? { id, updatedAt: 0, description: '' }), name, updatedAt: Date.UTC(2026, 0, 3) };
      this.table.set(id, row);
      await cache.invalidateTags([`product:${id}`]);
      return row;
    }
  }
  return new ProductService();
}

/** A large JSON body that no `@HttpCacheable` method produced: koa-compress's business alone. */
export const PLAIN_BODY = { items: Array.from({ length: 200 }, (_, i) => ({ i, label: `item number ${i}` })) };

/**
 * `compress()`, then `httpCache({ cache, ...options })`, then these routes:
 * GET /products/:id (404 when missing), GET /summaries/:id, GET /plain (not cached).
 */
export function catalogApp(catalog: Catalog, cache: CacheEngine, options: HttpCacheOptions = {}): { app: Koa; http: HttpCacheMiddleware; router: Router } {
  const app = quietApp();
  const http = httpCache({ cache, ...options });
  const router = new Router();
  router.get('/products/:id', async (ctx) => {
    const found = await catalog.getProduct(Number(ctx.params['id']));
    if (found === null) ctx.throw(404, 'no such product');
    ctx.body = found;
  });
  router.get('/summaries/:id', async (ctx) => {
    ctx.body = await catalog.getSummary(Number(ctx.params['id']));
  });
  router.get('/plain', (ctx) => {
    ctx.body = PLAIN_BODY;
  });
  app.use(compress());
  app.use(http);
  app.use(router.routes());
  return { app, http, router };
}
