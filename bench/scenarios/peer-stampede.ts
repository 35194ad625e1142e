/**
 * The peers in the stampede case across processes: in each replica process, a loader per peer
 * that reads a key through the peer and, on a miss, runs the slow method (counted per key), set up
 * as in the in-process peer cases. Imported by `replica-process.ts` on first use only, so the
 * propagation cases run without these clients.
 *
 * What each peer guards against a stampede: BentoCache, an in-process mutex per key (async-mutex);
 * cache-manager's `wrap`, in-process coalescing of concurrent calls; @type-cacheable, pending method
 * calls shared in-process; async-cache-dedupe, in-process deduplication. None locks across
 * processes, so each process may run the method once per key.
 */
import KeyvRedis from '@keyv/redis';
import { Cacheable } from '@type-cacheable/core';
import { IoRedisAdapter } from '@type-cacheable/ioredis-adapter';
import { createCache as createDedupe } from 'async-cache-dedupe';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { Redis } from 'ioredis';
import { Keyv } from 'keyv';

/** The peers, by the name the parent asks for. */
export const STAMPEDE_PEERS = ['BentoCache', 'cache-manager', '@type-cacheable/core', 'async-cache-dedupe'] as const;
export type StampedePeer = (typeof STAMPEDE_PEERS)[number];

export interface PeerLoaders {
  /** Reads `round`'s key through `peer`; on a miss the peer runs `method(round)`. */
  load(peer: StampedePeer, round: number): Promise<unknown>;
  close(): Promise<void>;
}

export function createPeerLoaders(redisUrl: string, namespace: string, method: (peer: StampedePeer, round: number) => Promise<unknown>): PeerLoaders {
  const { hostname, port } = new URL(redisUrl);
  // The memory driver's default (`serialize: true`): with `serialize: false` and an L2, BentoCache
  // 1.6.1 threw now and then in this case (a TypeError in CacheEntry.fromDriver, reading
  // `deserialize` of an undefined serializer) when the key had been filled by another process.
  const bento = new BentoCache({
    default: 'cache',
    ttl: '1h',
    stores: {
      cache: bentostore()
        .useL1Layer(memoryDriver({ maxItems: 10_000 }))
        .useL2Layer(redisDriver({ connection: { host: hostname, port: Number(port), enableAutoPipelining: true } })),
    },
  });

  const memory = new Keyv();
  memory.serialize = undefined;
  memory.deserialize = undefined;
  const manager = createCacheManager({ stores: [memory, new Keyv({ store: new KeyvRedis(redisUrl), namespace: `${namespace}-cm` })] });

  // The adapter given to the decorator itself (not the global `useAdapter`): one per process either way.
  const tcClient = new Redis(redisUrl);
  class TypeCacheable {
    async load(round: number): Promise<unknown> {
      return method('@type-cacheable/core', round);
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(TypeCacheable.prototype, 'load');
  const decorated = Cacheable({ client: new IoRedisAdapter(tcClient), cacheKey: (args: unknown[]) => `${namespace}-tc:${args[0] as number}`, ttlSeconds: 3600 });
  Object.defineProperty(TypeCacheable.prototype, 'load', decorated(TypeCacheable.prototype, 'load', descriptor));
  const typeCacheable = new TypeCacheable();

  const dedupeClient = new Redis(redisUrl);
  const dedupe = createDedupe({ ttl: 3600, storage: { type: 'redis', options: { client: dedupeClient } } }).define('load', (round: number) =>
    method('async-cache-dedupe', round),
  );

  return {
    load: (peer, round) => {
      switch (peer) {
        case 'BentoCache':
          return bento.getOrSet({ key: `${namespace}-bento:${round}`, factory: () => method(peer, round) });
        case 'cache-manager':
          return manager.wrap(`${namespace}-cm:${round}`, () => method(peer, round), 3_600_000);
        case '@type-cacheable/core':
          return typeCacheable.load(round);
        case 'async-cache-dedupe':
          return dedupe.load(round);
      }
    },
    close: async () => {
      await Promise.all([bento.disconnectAll(), manager.disconnect(), tcClient.quit(), dedupeClient.quit()]);
    },
  };
}
