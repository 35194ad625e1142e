/**
 * rate-limiter-flexible on the rate-limit case, set up as its wiki's Redis page shows:
 * `new RateLimiterRedis({ storeClient, points, duration, keyPrefix })` on an ioredis client made
 * with `enableOfflineQueue: false`, each call `limiter.consume(key)`, 100 in flight on the same
 * 1,000 client keys with a limit no call reaches. Its algorithm is a fixed window (one atomic
 * increment with its expiry per call), where `@RateLimited` defaults to a token bucket.
 */
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import type { BenchCase } from '../harness.js';
import { IN_FLIGHT, KEYS, inFlight } from '../workload.js';
import { RAW_EVALSHA_PIPELINED, RL_GROUP } from './ratelimit.js';
import type { SampleTimes, Scenario } from './scenario.js';

const BUCKET_KEYS: readonly string[] = Array.from({ length: KEYS }, (_, i) => `client-${i}`);

export async function rateLimiterFlexibleScenario(redisUrl: string, times: SampleTimes): Promise<Scenario> {
  const client = new Redis(redisUrl, { enableOfflineQueue: false });
  let errors = 0;
  client.on('error', () => errors++);
  await once(client, 'ready');
  const limiter = new RateLimiterRedis({ storeClient: client, points: 1_000_000, duration: 60, keyPrefix: 'bench-rlf' });
  let refused = 0;
  const consume = (i: number): Promise<unknown> =>
    limiter.consume(BUCKET_KEYS[i % KEYS]!).catch((reason: unknown) => {
      // A rejection that is not an Error is a refusal (its RateLimiterRes): none is expected.
      if (reason instanceof Error) throw reason;
      refused++;
    });
  for (let i = 0; i < KEYS; i++) await consume(i);

  const cases: BenchCase[] = [
    {
      group: RL_GROUP,
      name: `rate-limiter-flexible RateLimiterRedis.consume x${IN_FLIGHT}, admitted`,
      baseline: RAW_EVALSHA_PIPELINED,
      sampleMs: times.l2,
      run: (ops) => inFlight(ops, IN_FLIGHT, consume),
    },
  ];
  return {
    cases,
    check: () => {
      if (refused !== 0 || errors !== 0) throw new Error(`rate-limiter-flexible scenario: ${refused} calls refused, ${errors} Redis errors`);
    },
    close: async () => {
      await client.quit();
    },
  };
}
