import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Cached, createCache, setDefaultCache } from '../../lib/index.js';

interface Product {
  id: number;
  name: string;
  price: number;
}

class ProductService {
  queries = 0;

  @Cached({ ttl: '5m', grace: '1h' })
  async getProduct(id: number): Promise<Product | null> {
    this.queries++;
    await new Promise((resolve) => setTimeout(resolve, 20)); // stands for the database
    return id > 0 ? { id, name: `Product ${id}`, price: 10 * id } : null;
  }
}

export async function main(): Promise<void> {
  const redisUrl = process.env['REDIS_URL'];
  const cache = createCache({
    namespace: `shop-${Date.now().toString(36)}`, // unique per run, so runs never share entries
    l1: { maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 },
    l2: redisUrl ? { redis: redisUrl } : false, // L1 only without Redis
    defaults: { ttl: '1m', grace: '10m' },
  });
  setDefaultCache(cache);
  try {
    const { l2, bus } = await cache.ready(); // each 'connected', 'unavailable' or 'disabled'
    console.log('L2:', l2, 'bus:', bus);
    assert.equal(bus, redisUrl ? 'connected' : 'disabled'); // the bus is on whenever L2 is

    const products = new ProductService();
    console.log(await products.getProduct(1)); // a miss: the method runs
    console.log(await products.getProduct(1)); // an L1 hit: it does not
    console.log(await products.getProduct(-1)); // null is a value: cached too
    console.log(await products.getProduct(-1));
    assert.equal(products.queries, 2);

    const stats = cache.stats().methods['ProductService.getProduct'];
    console.log(stats); // { hits: { l1: 2, l2: 0 }, misses: 2, factoryCalls: 2, ... }
    assert.equal(stats?.hits.l1, 2);
  } finally {
    setDefaultCache(undefined);
    await cache.close(); // quits the Redis connection it opened
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
