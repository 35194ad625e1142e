import type { Redis } from 'ioredis';
import { normalizeProduct, SEEDED_PRODUCTS, seedProduct, type Product, type ProductChange, type ProductInput, type ProductPage } from './product.js';
import { pageOf, searchOf, type ProductRepository, type SearchResult } from './product-repository.js';
import { LAST_PRODUCT_ID_KEY, PRODUCTS_KEY } from './redis-keys.js';

/**
 * Merges a patch into a row and stamps it, atomically, so two replicas updating one product at
 * once cannot lose a field or report the wrong old category. Returns the old and the new JSON, or
 * nil for an unknown id. (cjson does not keep key order: rows are normalised when read.)
 */
const UPDATE_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return false end
local row = cjson.decode(current)
for field, value in pairs(cjson.decode(ARGV[2])) do row[field] = value end
row['updatedAt'] = ARGV[3]
local updated = cjson.encode(row)
redis.call('HSET', KEYS[1], ARGV[1], updated)
return { current, updated }
`;

/**
 * The shop's table in a Redis hash (`tiercache-demo:products`), shared by every replica: a write
 * on one replica is a write for all, and only the cache's invalidation keeps their caches honest.
 */
export class RedisProductRepository implements ProductRepository {
  readonly kind = 'redis';
  readonly #redis: Redis;

  /** `redis` stays the caller's: this class never quits it. */
  constructor(redis: Redis) {
    this.#redis = redis;
  }

  /**
   * Writes the 1,000 seeded rows where they are missing. HSETNX per row rather than a "seeded"
   * flag: replicas starting together all run it, none overwrites a row another already changed,
   * and a replica that died halfway leaves nothing for the next one to trip on.
   */
  async seed(): Promise<void> {
    const pipeline = this.#redis.pipeline();
    for (let id = 1; id <= SEEDED_PRODUCTS; id++) pipeline.hsetnx(PRODUCTS_KEY, String(id), JSON.stringify(seedProduct(id)));
    pipeline.set(LAST_PRODUCT_ID_KEY, String(SEEDED_PRODUCTS), 'NX');
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0]!;
  }

  async get(id: number): Promise<Product | null> {
    const json = await this.#redis.hget(PRODUCTS_KEY, String(id));
    return json === null ? null : parseRow(json);
  }

  // A real database would use an index; 1,000 rows of JSON are parsed in about a millisecond.
  async list(page: number, category: string | null): Promise<ProductPage> {
    return pageOf(await this.#all(), page, category);
  }

  async search(query: string, limit: number): Promise<SearchResult> {
    return searchOf(await this.#all(), query, limit);
  }

  async update(id: number, patch: Partial<ProductInput>): Promise<ProductChange | null> {
    const reply = (await this.#redis.eval(UPDATE_SCRIPT, 1, PRODUCTS_KEY, String(id), JSON.stringify(patch), new Date().toISOString())) as [string, string] | null;
    if (reply === null) return null;
    return { before: parseRow(reply[0]), after: parseRow(reply[1]) };
  }

  async create(input: ProductInput): Promise<Product> {
    const id = await this.#redis.incr(LAST_PRODUCT_ID_KEY);
    const product: Product = { id, name: input.name, price: input.price, category: input.category, updatedAt: new Date().toISOString() };
    await this.#redis.hset(PRODUCTS_KEY, String(id), JSON.stringify(product));
    return product;
  }

  async #all(): Promise<Product[]> {
    return (await this.#redis.hvals(PRODUCTS_KEY)).map(parseRow);
  }
}

function parseRow(json: string): Product {
  return normalizeProduct(JSON.parse(json) as Product);
}
