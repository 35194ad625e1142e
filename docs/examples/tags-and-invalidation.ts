import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Cached, createCache, InvalidatesTags, type CacheEngine } from '../../lib/index.js';

interface Product {
  id: number;
  name: string;
  category: string;
}

let cache: CacheEngine;

/** The database: the tags function of `update` reads it before the write. */
let db = new Map<number, Product>();

class ProductService {
  queries = 0;

  @Cached({ cache: () => cache, ttl: '5m', tags: (id: number) => [`product:${id}`, 'products'] })
  async product(id: number): Promise<Product | null> {
    this.queries++;
    return db.get(id) ?? null;
  }

  @Cached({ cache: () => cache, ttl: '5m', tags: (category: string) => [`category:${category}`] })
  async inCategory(category: string): Promise<string[]> {
    this.queries++;
    return [...db.values()].filter((p) => p.category === category).map((p) => p.name);
  }

  // The arguments' tags are computed before the call (the product's old category is still in the
  // database), `fromResult` after it (its new category).
  @InvalidatesTags((id: number) => [`product:${id}`, `category:${db.get(id)?.category}`], {
    cache: () => cache,
    fromResult: (product: Product) => [`category:${product.category}`],
  })
  async update(id: number, patch: Partial<Product>): Promise<Product> {
    const product = { ...db.get(id)!, ...patch, id };
    db.set(id, product);
    return product;
  }

  // `when: 'both'` also invalidates before the call: a long import shortens the window in which a
  // concurrent read can cache a half-imported catalogue.
  @InvalidatesTags(['products'], { cache: () => cache, when: 'both' })
  async importCatalog(products: Product[]): Promise<void> {
    for (const product of products) db.set(product.id, product);
  }

  // A write that fails invalidates nothing.
  @InvalidatesTags(['products'], { cache: () => cache })
  async failingWrite(): Promise<void> {
    throw new Error('constraint violated');
  }
}

export async function main(): Promise<void> {
  db = new Map([
    [1, { id: 1, name: 'Dune', category: 'books' }],
    [2, { id: 2, name: 'Kind of Blue', category: 'music' }],
  ]);
  const redisUrl = process.env['REDIS_URL'];
  cache = createCache({ namespace: `tags-${Date.now().toString(36)}`, l2: redisUrl ? { redis: redisUrl } : false });
  const invalidated: string[] = [];
  cache.on('invalidate', ({ tags, remote }) => tags !== undefined && invalidated.push(`${tags.join(' ')}${remote ? ' (from another replica)' : ''}`));
  try {
    await cache.ready(); // until the bus is up, L1 is not trusted
    const products = new ProductService();
    assert.equal((await products.product(1))?.name, 'Dune');
    assert.deepEqual(await products.inCategory('books'), ['Dune']);
    assert.deepEqual(await products.inCategory('music'), ['Kind of Blue']);
    await products.product(1); // an L1 hit: its tags cost nothing, no Redis round trip
    assert.equal(products.queries, 3);

    // Dune moves to music: product:1, category:books (before) and category:music (from the result).
    await products.update(1, { category: 'music' });
    assert.deepEqual(invalidated, ['product:1 category:books category:music']);
    assert.deepEqual(await products.inCategory('books'), []);
    assert.deepEqual(await products.inCategory('music'), ['Dune', 'Kind of Blue']);
    assert.equal((await products.product(1))?.category, 'music');
    assert.equal(products.queries, 6);

    // A failed write invalidates nothing; `when: 'both'` invalidates twice.
    await assert.rejects(products.failingWrite(), /constraint violated/);
    await products.importCatalog([{ id: 3, name: 'Solaris', category: 'books' }]);
    assert.deepEqual(invalidated.slice(1), ['products', 'products']);

    // The engine's own calls: tags on getOrSet (and set), then invalidateTags.
    let version = 1;
    const banner = (): Promise<string> => cache.getOrSet('home:banner', async () => `banner v${version}`, { tags: ['products'] });
    assert.equal(await banner(), 'banner v1');
    version = 2;
    await cache.invalidateTags(['products']);
    assert.equal(await banner(), 'banner v2'); // this replica: as soon as invalidateTags resolved

    // A value read before an invalidation but stored after it is returned to its callers, not stored.
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const slow = cache.getOrSet('home:count', async () => {
      const count = db.size; // read before the invalidation below
      started();
      await gate;
      return count;
    }, { tags: ['products'] });
    await running;
    db.set(4, { id: 4, name: 'Blue Train', category: 'music' });
    await cache.invalidateTags(['products']);
    finish();
    assert.equal(await slow, 3); // its caller gets what the method returned...
    assert.equal(await cache.getOrSet('home:count', async () => db.size, { tags: ['products'] }), 4); // ...but it was not kept

    console.log(invalidated.join('\n'));
  } finally {
    await cache.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
