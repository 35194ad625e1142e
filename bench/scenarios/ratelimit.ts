/**
 * Rate limiting: `@RateLimited` (token bucket, 1,000 buckets, a limit no call reaches) with 100
 * calls in flight, next to raw ioredis EVALSHA of the very same Lua script on the very same
 * Redis keys with the same arguments, from a client without and one with auto-pipelining.
 */
import { Redis } from 'ioredis';
import { createCache, peekRateLimit, RateLimited } from '../../lib/index.js';
import { TOKEN_BUCKET } from '../../lib/ratelimit/scripts.js';
import type { RedisScript } from '../../lib/tiers/redis-script.js';
import type { BenchCase } from '../harness.js';
import { IN_FLIGHT, KEYS, inFlight } from '../workload.js';
import type { SampleTimes, Scenario } from './scenario.js';

export const RL_GROUP = `Rate limit (token bucket, ${KEYS.toLocaleString('en-US')} buckets), ${IN_FLIGHT} in flight`;
export const RAW_EVALSHA = `ioredis EVALSHA x${IN_FLIGHT}`;
export const RAW_EVALSHA_PIPELINED = `ioredis EVALSHA x${IN_FLIGHT}, auto-pipelining`;
export const LIMITED = `@RateLimited x${IN_FLIGHT}, admitted`;
/** Absolute floors (ops/s) some cases must reach, besides their ratio targets. */
export const OPS_TARGETS: ReadonlyMap<string, number> = new Map([[LIMITED, 25_000]]);

const NAMESPACE = 'bench-rl';
/** High enough that no call of the run is refused: each bucket sees a few hundred calls a second at most. */
const LIMIT = 1_000_000;
const WINDOW_MS = 60_000;
/** ARGV of the token-bucket script, as the limiter sends it: limit, windowMs, cost, consume. */
const ARGS = [LIMIT, WINDOW_MS, 1, 1] as const;
const BUCKET_KEYS: readonly string[] = Array.from({ length: KEYS }, (_, i) => `client-${i}`);

/** The SHA-1 and body `script` sends, read through a stand-in client (they are private to RedisScript). */
async function textOf(script: RedisScript): Promise<{ sha: string; body: string }> {
  let sha = '';
  let body = '';
  const recorder = {
    evalsha: (s: string) => {
      sha = s;
      return Promise.reject(new Error('NOSCRIPT recorded'));
    },
    eval: (b: string) => {
      body = b;
      return Promise.resolve(null);
    },
  };
  await script.run(recorder as unknown as Redis, 'k', []);
  return { sha, body };
}

export async function rateLimitScenario(redisUrl: string, times: SampleTimes): Promise<Scenario> {
  const cache = createCache({ namespace: NAMESPACE, l1: false, l2: { redis: redisUrl }, bus: false });
  const state = await cache.ready();
  if (state.l2 !== 'connected') throw new Error(`rate-limit scenario: Redis at ${redisUrl} is ${state.l2}`);
  let errors = 0;
  cache.on('error', () => errors++);

  let calls = 0;
  class Api {
    @RateLimited({ cache, limit: LIMIT, window: WINDOW_MS, key: (i: number) => BUCKET_KEYS[i % KEYS]! })
    async search(i: number): Promise<number> {
      calls++;
      return i;
    }
  }
  const api = new Api();
  // One call per bucket creates the buckets; raw EVALSHA then runs on the keys the limiter wrote.
  for (let i = 0; i < KEYS; i++) await api.search(i);

  const plain = new Redis(redisUrl);
  const pipelined = new Redis(redisUrl, { enableAutoPipelining: true });
  const { sha, body } = await textOf(TOKEN_BUCKET);
  if ((await plain.script('LOAD', body)) !== sha) throw new Error('rate-limit scenario: SCRIPT LOAD returned another SHA-1');
  const redisKeys = (await plain.keys(`${NAMESPACE}:rl:*`)).sort();
  if (redisKeys.length !== KEYS) throw new Error(`rate-limit scenario: found ${redisKeys.length} buckets in Redis, expected ${KEYS}`);
  let expectedCalls = KEYS;

  const cases: BenchCase[] = [
    {
      group: RL_GROUP,
      name: RAW_EVALSHA,
      baseline: RAW_EVALSHA_PIPELINED,
      sampleMs: times.l2,
      run: (ops) => inFlight(ops, IN_FLIGHT, (i) => plain.evalsha(sha, 1, redisKeys[i % KEYS]!, ...ARGS)),
    },
    {
      group: RL_GROUP,
      name: RAW_EVALSHA_PIPELINED,
      sampleMs: times.l2,
      run: (ops) => inFlight(ops, IN_FLIGHT, (i) => pipelined.evalsha(sha, 1, redisKeys[i % KEYS]!, ...ARGS)),
    },
    {
      group: RL_GROUP,
      name: LIMITED,
      baseline: RAW_EVALSHA_PIPELINED,
      target: 0.8,
      sampleMs: times.l2,
      run: (ops) => {
        expectedCalls += ops;
        return inFlight(ops, IN_FLIGHT, (i) => api.search(i));
      },
    },
  ];

  return {
    cases,
    check: async () => {
      if (calls !== expectedCalls) throw new Error(`rate-limit scenario: the method ran ${calls} times, expected ${expectedCalls}`);
      if (errors !== 0) throw new Error(`rate-limit scenario: ${errors} Redis errors (timeouts?): some calls were limited in-process`);
      const peeked = await peekRateLimit(api.search, 0);
      if (peeked.source !== 'redis' || !peeked.allowed) throw new Error(`rate-limit scenario: the bucket reads ${JSON.stringify(peeked)}`);
    },
    close: async () => {
      await cache.close();
      await Promise.all([plain.quit(), pipelined.quit()]);
    },
  };
}
