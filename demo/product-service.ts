import { Cached, HttpCacheable, InvalidatesTags, type CacheEngine } from '../lib/index.js';
import type { Product, ProductChange, ProductInput, ProductPage } from './product.js';
import type { ProductRepository } from './product-repository.js';

/** The product methods the routes call: reads cached, writes invalidating (DEMO.md's route table). */
export interface ProductService {
  getProduct(id: number): Promise<Product | null>;
  listProducts(page: number, category: string | null): Promise<ProductPage>;
  updateProduct(id: number, patch: Partial<ProductInput>): Promise<ProductChange | null>;
  createProduct(input: ProductInput): Promise<Product>;
}

/**
 * The product service of one app. Each decorator is given `cache` rather than relying on
 * `setDefaultCache`, so several apps (replicas) can run in one process, each with its own engine;
 * a service with one engine per process would call `setDefaultCache(cache)` once and omit it.
 * That is also why the class is declared in a function: decorators are evaluated per class.
 */
export function createProductService(cache: CacheEngine, repository: ProductRepository): ProductService {
  class ProductService {
    // A miss reads the row once for all replicas; `null` (no such product) is cached too, so a
    // client probing unknown ids does not reach the database each time. Both tags go when it changes.
    @HttpCacheable<Product | null>({ maxAge: 60, lastModified: (product) => new Date(product.updatedAt) })
    @Cached({ cache, ttl: '10m', tags: (id: number) => [`product:${id}`, 'products'] })
    async getProduct(id: number): Promise<Product | null> {
      return repository.get(id);
    }

    // Shared caches (a CDN) may keep a page longer than browsers, and serve it stale while they
    // revalidate; any product change drops every page through the `products` tag.
    @HttpCacheable({ maxAge: 30, sMaxAge: 120, staleWhileRevalidate: 30 })
    @Cached({ cache, ttl: '5m', tags: (_page: number, category: string | null) => (category === null ? ['products'] : ['products', `category:${category}`]) })
    async listProducts(page: number, category: string | null): Promise<ProductPage> {
      return repository.list(page, category);
    }

    // The old and the new category are known only from the result: a product that moved must
    // leave the listings of both.
    @InvalidatesTags((id: number) => [`product:${id}`, 'products'], {
      cache,
      fromResult: (change: ProductChange | null) => (change === null ? [] : [...new Set([`category:${change.before.category}`, `category:${change.after.category}`])]),
    })
    async updateProduct(id: number, patch: Partial<ProductInput>): Promise<ProductChange | null> {
      return repository.update(id, patch);
    }

    // A new product changes every listing's total (and may fill a cached 404 for its id).
    @InvalidatesTags(['products'], { cache })
    async createProduct(input: ProductInput): Promise<Product> {
      return repository.create(input);
    }
  }
  return new ProductService();
}
