import { LOCK_TIMEOUT_MS, shopSuite } from './shop-suite.js';
import { useShop } from './shop.js';

describe('replicas: three processes on a three-master Redis Cluster', () => {
  const shop = useShop({ kind: 'cluster', init: { lockTimeout: LOCK_TIMEOUT_MS } });
  shopSuite(shop, { invalidations: 1_000 });
});
