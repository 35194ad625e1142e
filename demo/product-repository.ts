import { setTimeout as sleep } from 'node:timers/promises';
import { PAGE_SIZE, SEEDED_PRODUCTS, seedProduct, type Product, type ProductChange, type ProductInput, type ProductPage } from './product.js';

/** Matches of a search, at most `limit` of them. */
export interface SearchResult {
  readonly query: string;
  readonly total: number;
  readonly items: readonly Product[];
}

/**
 * The shop's "database". The services cache what it returns; it knows nothing of the cache.
 * Implemented over a Redis hash shared by every replica, or a Map for a demo without Redis.
 */
export interface ProductRepository {
  /** Where the rows live. */
  readonly kind: 'redis' | 'memory';
  get(id: number): Promise<Product | null>;
  /** Page `page` (from 1) of the products, by id, of one category or all. */
  list(page: number, category: string | null): Promise<ProductPage>;
  /** Products whose name contains `query` (any case), or whose category is `query`. */
  search(query: string, limit: number): Promise<SearchResult>;
  /** Applies `patch` and stamps `updatedAt`; `null` for an unknown id. */
  update(id: number, patch: Partial<ProductInput>): Promise<ProductChange | null>;
  /** Adds a product with the next id. */
  create(input: ProductInput): Promise<Product>;
}

/** The page of `rows` (any order) that `list` returns. */
export function pageOf(rows: Iterable<Product>, page: number, category: string | null): ProductPage {
  const matching = [...rows].filter((row) => category === null || row.category === category).sort((a, b) => a.id - b.id);
  const start = (page - 1) * PAGE_SIZE;
  return {
    page,
    pageSize: PAGE_SIZE,
    total: matching.length,
    pages: Math.ceil(matching.length / PAGE_SIZE),
    category,
    items: matching.slice(start, start + PAGE_SIZE),
  };
}

/** The search result over `rows` (any order). */
export function searchOf(rows: Iterable<Product>, query: string, limit: number): SearchResult {
  const needle = query.trim().toLowerCase();
  const matching = [...rows]
    .filter((row) => row.name.toLowerCase().includes(needle) || row.category === needle)
    .sort((a, b) => a.id - b.id);
  return { query, total: matching.length, items: matching.slice(0, limit) };
}

/** The repository of a demo without Redis: this process's memory, so nothing is shared. */
export class MemoryProductRepository implements ProductRepository {
  readonly kind = 'memory';
  readonly #rows = new Map<number, Product>();
  #lastId = SEEDED_PRODUCTS;

  constructor() {
    for (let id = 1; id <= SEEDED_PRODUCTS; id++) this.#rows.set(id, seedProduct(id));
  }

  async get(id: number): Promise<Product | null> {
    return this.#rows.get(id) ?? null;
  }

  async list(page: number, category: string | null): Promise<ProductPage> {
    return pageOf(this.#rows.values(), page, category);
  }

  async search(query: string, limit: number): Promise<SearchResult> {
    return searchOf(this.#rows.values(), query, limit);
  }

  async update(id: number, patch: Partial<ProductInput>): Promise<ProductChange | null> {
    const before = this.#rows.get(id);
    if (before === undefined) return null;
    const after: Product = { ...before, ...patch, updatedAt: new Date().toISOString() };
    this.#rows.set(id, after);
    return { before, after };
  }

  async create(input: ProductInput): Promise<Product> {
    const product: Product = { id: ++this.#lastId, ...input, updatedAt: new Date().toISOString() };
    this.#rows.set(product.id, product);
    return product;
  }
}

/**
 * A repository that takes `ms` per query, as a real database would: it makes a miss visibly
 * slower than a hit, and a stampede visibly expensive without the cache's single-flight.
 */
export class SlowRepository implements ProductRepository {
  readonly #inner: ProductRepository;
  readonly #ms: number;

  constructor(inner: ProductRepository, ms: number) {
    this.#inner = inner;
    this.#ms = ms;
  }

  get kind(): ProductRepository['kind'] {
    return this.#inner.kind;
  }

  async get(id: number): Promise<Product | null> {
    await this.#wait();
    return this.#inner.get(id);
  }

  async list(page: number, category: string | null): Promise<ProductPage> {
    await this.#wait();
    return this.#inner.list(page, category);
  }

  async search(query: string, limit: number): Promise<SearchResult> {
    await this.#wait();
    return this.#inner.search(query, limit);
  }

  async update(id: number, patch: Partial<ProductInput>): Promise<ProductChange | null> {
    await this.#wait();
    return this.#inner.update(id, patch);
  }

  async create(input: ProductInput): Promise<Product> {
    await this.#wait();
    return this.#inner.create(input);
  }

  async #wait(): Promise<void> {
    if (this.#ms > 0) await sleep(this.#ms);
  }
}
