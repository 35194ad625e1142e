import type { Redis } from 'ioredis';
import { MemoryRedisServer, type MemoryRedis } from '../../lib/testing/index.js';
import { engineContract } from './contract.js';

describe('tiercache/testing: the contract on MemoryRedisServer', () => {
  engineContract('MemoryRedisServer', () => {
    const server = new MemoryRedisServer();
    let clients: MemoryRedis[] = [];
    const track = (client: MemoryRedis): MemoryRedis => {
      clients.push(client);
      return client;
    };
    return {
      l2: () => ({ redis: track(server.client()) as unknown as Redis }),
      client: () => track(server.client()),
      kill: async () => server.kill(),
      restart: async () => server.restart(),
      async reset() {
        for (const client of clients) client.disconnect();
        clients = [];
      },
    };
  });
});
