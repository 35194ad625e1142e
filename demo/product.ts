/** A product of the shop, as the "database" stores it and the API returns it. */
export interface Product {
  readonly id: number;
  readonly name: string;
  /** In the shop's currency, two decimals. */
  readonly price: number;
  readonly category: string;
  /** When the product last changed (ISO 8601): the route's Last-Modified. */
  readonly updatedAt: string;
}

/** The fields a client may set: all of them on POST, some on PUT. */
export interface ProductInput {
  readonly name: string;
  readonly price: number;
  readonly category: string;
}

/** One page of a product listing. */
export interface ProductPage {
  readonly page: number;
  readonly pageSize: number;
  /** Products matching the filter, over all pages. */
  readonly total: number;
  readonly pages: number;
  readonly category: string | null;
  readonly items: readonly Product[];
}

/** What a PUT changed: the old row tells which category's listings to invalidate. */
export interface ProductChange {
  readonly before: Product;
  readonly after: Product;
}

/** Products 1..1000 exist from the start. */
export const SEEDED_PRODUCTS = 1_000;
/** Products per page of `GET /products`: 20 make a body over 1 KiB, so it is compressed. */
export const PAGE_SIZE = 20;
/** The seeded categories (a PUT or POST may use any other). */
export const CATEGORIES = ['books', 'games', 'garden', 'kitchen', 'music', 'outdoor', 'sports', 'tools'] as const;

const ADJECTIVES = ['Sturdy', 'Compact', 'Classic', 'Deluxe', 'Handy', 'Quiet', 'Bright', 'Rugged', 'Nimble', 'Cosy', 'Smart', 'Vintage'];
const NOUNS: Record<(typeof CATEGORIES)[number], string> = {
  books: 'Novel',
  games: 'Board Game',
  garden: 'Planter',
  kitchen: 'Kettle',
  music: 'Ukulele',
  outdoor: 'Tent',
  sports: 'Racket',
  tools: 'Screwdriver',
};
/** Seeded rows are dated from here, one minute apart, so every replica seeds the same bytes. */
const SEED_EPOCH = Date.UTC(2025, 0, 1);

/**
 * The seeded product `id`: a pure function of the id, so replicas seeding at the same time write
 * identical rows and compute identical ETags.
 */
export function seedProduct(id: number): Product {
  const category = CATEGORIES[id % CATEGORIES.length]!;
  return {
    id,
    name: `${ADJECTIVES[(id * 7) % ADJECTIVES.length]!} ${NOUNS[category]} #${id}`,
    // Whole cents over 100: prices print as 12.34, never 12.340000000000002.
    price: (100 + ((id * 7_919) % 10_000)) / 100,
    category,
    updatedAt: new Date(SEED_EPOCH + id * 60_000).toISOString(),
  };
}

/**
 * A product with its fields in one fixed order. The ETag hashes the JSON text, so a row that
 * went through another encoder (Redis's cjson does not keep key order) must be rebuilt before it
 * is returned.
 */
export function normalizeProduct(row: Product): Product {
  return { id: row.id, name: row.name, price: row.price, category: row.category, updatedAt: row.updatedAt };
}
