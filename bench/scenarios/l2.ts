/**
 * L2 hits: tiercache with L1 off against Redis, next to raw ioredis GETs of the very same
 * Redis keys (so the same payload bytes cross the wire), sequential and with 100 calls in
 * flight, with and without ioredis auto-pipelining.
 */
import { Redis } from 'ioredis';
import { createCache } from '../../lib/index.js';
import type { BenchCase } from '../harness.js';
import { IN_FLIGHT, KEYS, STRING_KEYS, inFlight, makeProduct, type Product } from '../workload.js';
import type { SampleTimes, Scenario } from './scenario.js';

export const L2_SEQ_GROUP = 'L2 hit (L1 off), sequential';
export const L2_FLIGHT_GROUP = `L2 hit (L1 off), ${IN_FLIGHT} in flight`;
export const RAW_SEQ = 'ioredis GET';
export const RAW_SEQ_PIPELINED = 'ioredis GET, auto-pipelining';
export const RAW_FLIGHT = `ioredis GET x${IN_FLIGHT}`;
export const RAW_FLIGHT_PIPELINED = `ioredis GET x${IN_FLIGHT}, auto-pipelining`;

const NAMESPACE = 'bench-l2';

export async function l2Scenario(redisUrl: string, times: SampleTimes): Promise<Scenario> {
  const cache = createCache({ namespace: NAMESPACE, l1: false, l2: { redis: redisUrl }, bus: false, defaults: { ttl: '1h' } });
  const state = await cache.ready();
  if (state.l2 !== 'connected') throw new Error(`L2 scenario: Redis at ${redisUrl} is ${state.l2}`);
  for (let i = 0; i < KEYS; i++) await cache.getOrSet(STRING_KEYS[i]!, async () => makeProduct(i));
  const factory = async (): Promise<Product> => makeProduct(-1);

  const plain = new Redis(redisUrl);
  const pipelined = new Redis(redisUrl, { enableAutoPipelining: true });
  // The keys tiercache wrote, whatever their layout: raw GETs then move the same bytes.
  const redisKeys = (await plain.keys(`${NAMESPACE}:*`)).filter((key) => key.includes('{')).sort();
  if (redisKeys.length !== KEYS) throw new Error(`L2 scenario: found ${redisKeys.length} entries in Redis, expected ${KEYS}`);

  const cases: BenchCase[] = [
    {
      group: L2_SEQ_GROUP,
      name: RAW_SEQ,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await plain.get(redisKeys[i % KEYS]!);
      },
    },
    {
      group: L2_SEQ_GROUP,
      name: RAW_SEQ_PIPELINED,
      baseline: RAW_SEQ,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await pipelined.get(redisKeys[i % KEYS]!);
      },
    },
    {
      group: L2_SEQ_GROUP,
      name: 'tiercache getOrSet, L2 hit',
      baseline: RAW_SEQ,
      sampleMs: times.l2,
      run: async (ops) => {
        for (let i = 0; i < ops; i++) await cache.getOrSet(STRING_KEYS[i % KEYS]!, factory);
      },
    },
    {
      group: L2_FLIGHT_GROUP,
      name: RAW_FLIGHT,
      baseline: RAW_FLIGHT_PIPELINED,
      sampleMs: times.l2,
      run: (ops) => inFlight(ops, IN_FLIGHT, (i) => plain.get(redisKeys[i % KEYS]!)),
    },
    {
      group: L2_FLIGHT_GROUP,
      name: RAW_FLIGHT_PIPELINED,
      sampleMs: times.l2,
      run: (ops) => inFlight(ops, IN_FLIGHT, (i) => pipelined.get(redisKeys[i % KEYS]!)),
    },
    {
      group: L2_FLIGHT_GROUP,
      name: `tiercache getOrSet x${IN_FLIGHT}, L2 hit`,
      baseline: RAW_FLIGHT_PIPELINED,
      target: 0.9,
      sampleMs: times.l2,
      run: (ops) => inFlight(ops, IN_FLIGHT, (i) => cache.getOrSet(STRING_KEYS[i % KEYS]!, factory)),
    },
  ];

  return {
    cases,
    check: () => {
      const stats = cache.stats();
      if (stats.factoryCalls !== KEYS || stats.errors !== 0) {
        throw new Error(`L2 scenario: ${stats.factoryCalls} factory calls and ${stats.errors} errors, expected ${KEYS} and 0`);
      }
    },
    close: async () => {
      await cache.close();
      await Promise.all([plain.quit(), pipelined.quit()]);
    },
  };
}
