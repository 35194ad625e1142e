/**
 * The demo's own Redis keys. They sit outside the cache's namespace (`shop:...`), as an
 * application's tables would: `cache.clear()` or a version bump never touches them.
 */
const PREFIX = 'tiercache-demo';

/** The cache engine's namespace, the prefix of every key and channel tiercache writes. */
export const CACHE_NAMESPACE = 'shop';

/** The "database" table: a hash of product id to the product's JSON. */
export const PRODUCTS_KEY = `${PREFIX}:products`;
/** The last product id handed out (INCR gives the next one to whichever replica asks). */
export const LAST_PRODUCT_ID_KEY = `${PREFIX}:products:last-id`;
/** Live replicas: a sorted set of replica ids scored by when their snapshot expires. */
export const REPLICAS_KEY = `${PREFIX}:stats:replicas`;

/** One replica's latest stats snapshot (JSON), with a short TTL. */
export function statsKey(replicaId: string): string {
  return `${PREFIX}:stats:${replicaId}`;
}
