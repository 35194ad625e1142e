/**
 * BentoCache in the invalidation-propagation case: in each replica process, a BentoCache with
 * both layers and its Redis bus (`useBus(redisBusDriver(...))`, as its docs set up multi-instance
 * L1 sync). The sender calls `delete({ key })` (L1, L2, then a Delete message on the bus); the
 * others note when their `bus:message:received` event fires for the key.
 */
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis';

export interface PeerBus {
  /** Deletes `key` here and tells the other instances. */
  delete(key: string): Promise<unknown>;
  close(): Promise<void>;
}

export async function createPeerBus(redisUrl: string, onReceived: (keys: readonly string[]) => void): Promise<PeerBus> {
  const { hostname, port } = new URL(redisUrl);
  const connection = { host: hostname, port: Number(port) };
  const bento = new BentoCache({
    default: 'cache',
    ttl: '1h',
    stores: {
      cache: bentostore()
        // The default `serialize: true`, as in the peers' stampede case (see peer-stampede.ts).
        .useL1Layer(memoryDriver({ maxItems: 10_000 }))
        .useL2Layer(redisDriver({ connection: { ...connection, enableAutoPipelining: true } }))
        .useBus(redisBusDriver({ connection })),
    },
  });
  bento.on('bus:message:received', ({ message }: { message: { keys: string[] } }) => onReceived(message.keys));
  // One call creates the store's local cache, which the bus delivers messages to.
  await bento.getOrSet({ key: 'bench-bus-warmup', factory: () => 1 });
  return {
    delete: (key) => bento.delete({ key }),
    close: () => bento.disconnectAll(),
  };
}
