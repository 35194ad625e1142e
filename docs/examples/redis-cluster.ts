import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Cluster, Redis } from 'ioredis';
import { createCache, type CacheEngine, type L2Options } from '../../lib/index.js';

/** `REDIS_CLUSTER=127.0.0.1:7000,127.0.0.1:7001,...`: the seed nodes of a cluster. */
function clusterNodes(): { host: string; port: number }[] | undefined {
  const list = process.env['REDIS_CLUSTER'];
  if (list === undefined || list === '') return undefined;
  return list.split(',').map((node) => {
    const [host = '127.0.0.1', port = '6379'] = node.split(':');
    return { host, port: Number(port) };
  });
}

export async function main(): Promise<void> {
  const nodes = clusterNodes();
  const redisUrl = process.env['REDIS_URL'];
  // A cluster if REDIS_CLUSTER is set; else one Redis (the key layout is the same); else L1 only.
  const l2: L2Options | false = nodes !== undefined ? { cluster: nodes } : redisUrl ? { redis: redisUrl } : false;
  const namespace = `cluster-${Date.now().toString(36)}`;
  const replica = (): CacheEngine => createCache({ namespace, l2, earlyRefresh: false });
  const a = replica();
  const b = l2 === false ? undefined : replica();
  // A plain client, to look at the keys the engines write.
  const raw = nodes !== undefined ? new Cluster(nodes) : redisUrl ? new Redis(redisUrl) : undefined;
  try {
    await Promise.all([a.ready(), b?.ready()]);
    console.log('ready:', await a.ready()); // { l2: 'connected', bus: 'connected' } with Redis

    // Entries spread over the slots; each is one GET/SET on one node.
    let price = 10;
    let generation = 0; // what clear() increments
    const product = (cache: CacheEngine): Promise<number> =>
      cache.getOrSet('product:1', async () => {
        if (raw !== undefined) {
          // While the method runs, its lock exists, next to the entry: same hash tag, same slot.
          assert.equal(await raw.exists(`${namespace}:1:${generation}:{product:1}:lock`), 1);
        }
        return price;
      }, { ttl: '1m', grace: '10m', tags: ['product:1', 'products'] });
    assert.equal(await product(a), 10);

    if (raw !== undefined && b !== undefined) {
      // <namespace>:<version>:<generation>:{<key>} for the entry, with a PX of ttl + grace.
      const entryKey = `${namespace}:1:0:{product:1}`;
      const pttl = await raw.pttl(entryKey);
      assert.ok(pttl > 60_000 && pttl <= 660_000);
      // One key per tag, <namespace>:tag:{<tag>}, holding its current version ('0': never invalidated).
      // It outlives every entry that carries it.
      assert.equal(await raw.get(`${namespace}:tag:{products}`), '0');
      assert.ok((await raw.pttl(`${namespace}:tag:{products}`)) > pttl);
      if (raw instanceof Cluster) {
        const slot = (key: string): Promise<number> => raw.cluster('KEYSLOT', key);
        assert.equal(await slot(`${entryKey}:lock`), await slot(entryKey));
        console.log('slots:', { entry: await slot(entryKey), tagProducts: await slot(`${namespace}:tag:{products}`) });
      }

      // The other replica reads the entry from L2, then hears the invalidation on the bus
      // (SSUBSCRIBE/SPUBLISH on a cluster, SUBSCRIBE/PUBLISH on one Redis).
      assert.equal(await product(b), 10);
      price = 12;
      const heard = new Promise<void>((resolve) => b.once('invalidate', () => resolve()));
      await a.invalidateTags(['products']);
      await heard;
      assert.equal(await product(b), 12);
      assert.notEqual(await raw.get(`${namespace}:tag:{products}`), '0'); // a new version

      // clear(): one INCR of <namespace>:generation; entry keys move to the new generation.
      await a.clear();
      assert.equal(await raw.get(`${namespace}:generation`), '1');
      generation = 1;
      price = 13;
      assert.equal(await product(a), 13);
      assert.equal(await raw.exists(`${namespace}:1:1:{product:1}`), 1);
    } else {
      // L1 only: tags and clear() act on this process.
      price = 12;
      await a.invalidateTags(['products']);
      assert.equal(await product(a), 12);
    }
  } finally {
    raw?.disconnect();
    await Promise.all([a.close(), b?.close()]);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
