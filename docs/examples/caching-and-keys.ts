import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Cached, cacheKeyOf, createCache, type CacheEngine } from '../../lib/index.js';

interface Filter {
  category: string;
  maxPrice?: number;
}

let cache: CacheEngine;

class Catalog {
  queries = 0;

  // Default key: `Catalog.product:<args>`.
  @Cached({ cache: () => cache, ttl: '10m' })
  async product(id: number): Promise<{ id: number; addedAt: Date; tags: Set<string> } | null> {
    this.queries++;
    return id === 0 ? null : { id, addedAt: new Date('2024-01-01T00:00:00Z'), tags: new Set(['new']) };
  }

  // Object arguments are encoded canonically: key order does not matter.
  @Cached({ cache: () => cache })
  async search(filter: Filter, page: number): Promise<number[]> {
    this.queries++;
    return [page, filter.maxPrice ?? 0];
  }

  // A custom key replaces the `<args>` part; `name` replaces `Catalog.byUser`.
  @Cached({ cache: () => cache, name: 'user-products', key: (user: { id: string; session: string }) => user.id })
  async byUser(user: { id: string; session: string }): Promise<string[]> {
    this.queries++;
    return [`for ${user.id}`];
  }

  // `undefined` is not stored unless `cacheUndefined`; `condition` decides what is stored.
  @Cached({ cache: () => cache, condition: (stock: number | undefined) => stock !== undefined && stock > 0 })
  async stock(id: number): Promise<number | undefined> {
    this.queries++;
    return id === 1 ? 5 : id === 2 ? 0 : undefined;
  }

  // Development aid: values come back deep-frozen, so code that mutates one throws.
  @Cached({ cache: () => cache, freeze: true })
  async settings(): Promise<{ theme: string }> {
    return { theme: 'dark' };
  }
}

export async function main(): Promise<void> {
  const redisUrl = process.env['REDIS_URL'];
  cache = createCache({ namespace: `keys-${Date.now().toString(36)}`, l2: redisUrl ? { redis: redisUrl } : false });
  try {
    await cache.ready();
    const catalog = new Catalog();

    // Keys: `<name>:<args>`, and cacheKeyOf computes them.
    assert.equal(cacheKeyOf(catalog.product, 1), 'Catalog.product:1');
    assert.equal(cacheKeyOf(catalog.search, { maxPrice: 50, category: 'books' }, 2), 'Catalog.search:{category:books,maxPrice:50},2');
    assert.equal(cacheKeyOf(catalog.byUser, { id: 'u42', session: 's1' }), 'user-products:u42');

    // Values come back with their types, from L1 and from L2.
    const product = await catalog.product(1);
    assert.ok(product?.addedAt instanceof Date && product.tags instanceof Set);

    // The same key space as the engine: this removes what catalog.product(1) stored.
    await cache.delete(cacheKeyOf(catalog.product, 1));
    await catalog.product(1);
    assert.equal(catalog.queries, 2);

    // Same filter, other key order: one entry.
    await catalog.search({ category: 'books', maxPrice: 50 }, 1);
    await catalog.search({ maxPrice: 50, category: 'books' }, 1);
    assert.equal(catalog.queries, 3);

    // null is cached (negative caching).
    await catalog.product(0);
    await catalog.product(0);
    assert.equal(catalog.queries, 4);

    // condition: 5 is stored; 0 and undefined are returned but not stored.
    for (const id of [1, 1, 2, 2, 3, 3]) await catalog.stock(id);
    assert.equal(catalog.queries, 4 + 1 + 2 + 2);

    const settings = await catalog.settings();
    assert.throws(() => {
      settings.theme = 'light';
    }, TypeError);

    console.log('keys:', cacheKeyOf(catalog.product, 1), cacheKeyOf(catalog.byUser, { id: 'u42', session: 's1' }));
    console.log('product:', product);
  } finally {
    await cache.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
