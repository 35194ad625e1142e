import { LOCK_TIMEOUT_MS, shopSuite } from './shop-suite.js';
import { useShop } from './shop.js';

describe('replicas: three processes on one Redis', () => {
  const shop = useShop({ kind: 'redis', init: { lockTimeout: LOCK_TIMEOUT_MS } });
  shopSuite(shop, { invalidations: 1_000 });
});
