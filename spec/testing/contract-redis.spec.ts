import type { Redis } from 'ioredis';
import { useRedis } from '../helpers/redis-server.js';
import { engineContract } from './contract.js';

describe('tiercache/testing: the contract on a real Redis', () => {
  const redis = useRedis();
  engineContract('a private redis-server', () => {
    let clients: Redis[] = [];
    const track = (client: Redis): Redis => {
      clients.push(client);
      return client;
    };
    return {
      l2: () => ({ redis: track(redis().client()) }),
      client: () => track(redis().client()),
      kill: () => redis().kill(),
      restart: () => redis().restart(),
      async reset() {
        for (const client of clients) client.disconnect();
        clients = [];
      },
    };
  });
});
