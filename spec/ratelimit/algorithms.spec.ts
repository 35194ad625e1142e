import { expect } from 'chai';
import { createCache, type CacheEngine } from '../../lib/index.js';
import { decide, type BucketState, type RateLimitAlgorithm } from '../../lib/ratelimit/algorithms.js';
import { RateLimiter, resolveRateLimitSettings } from '../../lib/ratelimit/rate-limiter.js';
import { FakeClock } from '../../lib/testing/index.js';
import { useRedis } from '../helpers/redis-server.js';
import { bucketKey, midWindow, outcomeOf, quiet, redisClockOffset, sleep, wallNow, type Outcome } from './helpers.js';

/**
 * One case table per algorithm, driven against both implementations:
 * - the in-process `decide()` of lib/ratelimit/algorithms.ts, with an explicit `now` (exact);
 * - the Lua script through a real private Redis (RateLimiter + engine.runScript), where the time
 *   is Redis's own clock: "burst" cases run all their steps at once with a long window (less than
 *   a hundredth of a token refills meanwhile); "timed" cases wait on the real time, from a start
 *   aligned on a window boundary of Redis's clock, with every decision at least 0.125 window
 *   before the threshold it would cross if it ran late (steps can only run late).
 *
 * Times in the tables are in windows: `at` since the aligned start of the case, `retry` and
 * `reset` as fractions of the window. `remaining` is what callers see (rounded down).
 */
interface Step {
  at: number;
  cost?: number;
  peek?: boolean;
  allowed: boolean;
  remaining: number;
  retry: number;
  reset: number;
}

interface Case {
  title: string;
  limit: number;
  /** How the Redis side runs it: all at once with a long window, or on the real time with a short one. */
  redis: 'burst' | 'timed';
  steps: Step[];
}

/** Local runs: a window of 1 s from an aligned fake start. */
const LOCAL_WINDOW = 1000;
const LOCAL_START = 1_700_000_000_000;
/** Redis burst runs: a long window, so the burst sees no refill worth a token. */
const BURST_WINDOW = 60_000;
/** Redis timed runs: short windows; every step is >= 0.125 window before the threshold lateness would cross. */
const TIMED_WINDOW: Record<RateLimitAlgorithm, number> = { 'token-bucket': 1000, 'fixed-window': 1000, 'sliding-window': 1000 };
/**
 * A time Redis reports may be below the table's by as much as the step was late (every time the
 * algorithms report shrinks by 1 ms per ms of lateness, or does not move), above it by as much as
 * an earlier step was late (a token bucket refills from its last call), and off by rounding.
 */
const ROUNDING_MS = 2;

const step = (at: number, allowed: boolean, remaining: number, retry: number, reset: number, extra: { cost?: number; peek?: boolean } = {}): Step => ({
  at,
  allowed,
  remaining,
  retry,
  reset,
  ...extra,
});

/**
 * Token bucket, limit 4: capacity 4, refilled continuously at 4 per window (a token every 0.25
 * window). retryAfterMs = (cost - tokens) / rate, resetMs = (limit - tokens) / rate.
 */
const TOKEN_BUCKET: Case[] = [
  {
    title: 'a full bucket admits exactly limit, then refuses with retry = (cost - tokens) / rate',
    limit: 4,
    redis: 'burst',
    steps: [
      step(0, true, 3, 0, 0.25),
      step(0, true, 2, 0, 0.5),
      step(0, true, 1, 0, 0.75),
      step(0, true, 0, 0, 1),
      step(0, false, 0, 0.25, 1),
      step(0, false, 0, 0.25, 1),
    ],
  },
  {
    title: 'refills continuously at limit / window, never above limit',
    limit: 4,
    redis: 'timed',
    steps: [
      step(0, true, 0, 0, 1, { cost: 4 }),
      step(0, false, 0, 0.25, 1),
      // 0.35 window later: 1.4 tokens; one call leaves 0.4.
      step(0.35, true, 0, 0, 0.9),
      step(0.35, false, 0, 0.15, 0.9),
      // 0.25 window later: 0.4 + 1 = 1.4 again.
      step(0.6, true, 0, 0, 0.9),
      // 1.15 windows later the refill would reach 5 tokens: capped at 4.
      step(1.75, true, 4, 0, 0, { peek: true }),
      step(1.75, true, 0, 0, 1, { cost: 4 }),
      step(1.75, false, 0, 0.25, 1),
    ],
  },
  {
    title: 'a cost > 1 takes that many tokens, and waits for all of them',
    limit: 4,
    redis: 'burst',
    steps: [
      step(0, true, 1, 0, 0.75, { cost: 3 }),
      step(0, false, 1, 0.25, 0.75, { cost: 2 }),
      step(0, true, 0, 0, 1, { cost: 1 }),
      step(0, false, 0, 0.75, 1, { cost: 3 }),
    ],
  },
  {
    title: 'a cost of 0 always passes and takes nothing, even from an empty bucket',
    limit: 4,
    redis: 'burst',
    steps: [
      step(0, true, 4, 0, 0, { cost: 0 }),
      step(0, true, 0, 0, 1, { cost: 4 }),
      step(0, true, 0, 0, 1, { cost: 0 }),
      step(0, true, 0, 0, 1, { cost: 0 }),
      step(0, false, 0, 0.25, 1),
    ],
  },
  {
    title: 'peek consumes nothing',
    limit: 4,
    redis: 'burst',
    steps: [
      step(0, true, 4, 0, 0, { peek: true }),
      step(0, true, 4, 0, 0, { peek: true, cost: 4 }),
      step(0, true, 3, 0, 0.25),
      step(0, true, 3, 0, 0.25, { peek: true }),
      step(0, true, 3, 0, 0.25, { peek: true }),
      step(0, false, 3, 0.25, 0.25, { peek: true, cost: 4 }),
      step(0, true, 0, 0, 1, { cost: 3 }),
      step(0, false, 0, 0.25, 1, { peek: true }),
      step(0, false, 0, 0.25, 1, { peek: true }),
      step(0, false, 0, 0.25, 1),
    ],
  },
];

/**
 * Fixed window, limit 3: at most 3 per window aligned on multiples of the window; the count
 * starts again at each boundary. retryAfterMs = resetMs = the time left in the window.
 */
const FIXED_WINDOW: Case[] = [
  {
    title: 'admits exactly limit per aligned window and starts again at the boundary',
    limit: 3,
    redis: 'timed',
    steps: [
      step(0.1, true, 2, 0, 0.9),
      step(0.1, true, 1, 0, 0.9),
      step(0.1, true, 0, 0, 0.9),
      step(0.1, false, 0, 0.9, 0.9),
      step(0.1, false, 0, 0.9, 0.9, { peek: true }),
      step(0.75, false, 0, 0.25, 0.25),
      step(1.1, true, 2, 0, 0.9),
      step(1.1, true, 1, 0, 0.9),
      step(1.1, true, 0, 0, 0.9),
      step(1.1, false, 0, 0.9, 0.9),
    ],
  },
  {
    title: 'aligns windows on the clock, not on the first call: limit at the end of one window, limit again just after',
    limit: 3,
    redis: 'timed',
    steps: [
      step(0.85, true, 2, 0, 0.15),
      step(0.85, true, 1, 0, 0.15),
      step(0.85, true, 0, 0, 0.15),
      step(0.85, false, 0, 0.15, 0.15),
      step(1.1, true, 2, 0, 0.9),
      step(1.1, true, 1, 0, 0.9),
      step(1.1, true, 0, 0, 0.9),
      step(1.1, false, 0, 0.9, 0.9),
    ],
  },
  {
    title: 'cost > 1, cost 0 and peek',
    limit: 3,
    redis: 'timed',
    steps: [
      step(0.1, true, 3, 0, 0, { peek: true, cost: 3 }),
      step(0.1, true, 1, 0, 0.9, { cost: 2 }),
      step(0.1, false, 1, 0.9, 0.9, { cost: 2 }),
      step(0.1, true, 1, 0, 0.9, { peek: true }),
      step(0.1, true, 1, 0, 0.9, { cost: 0 }),
      step(0.1, true, 0, 0, 0.9, { cost: 1 }),
      step(0.1, true, 0, 0, 0.9, { cost: 0 }),
      step(0.1, false, 0, 0.9, 0.9, { peek: true }),
      step(0.1, false, 0, 0.9, 0.9),
    ],
  },
];

/**
 * Sliding window, limit 4: the weighted two-window estimate
 *   estimate = previous × (1 − elapsed / window) + current,
 * a call of `cost` passes when estimate + cost <= limit. remaining = limit − estimate;
 * resetMs = until both windows are empty (2 windows − elapsed with calls in this window, else
 * the end of this window); retryAfterMs = until the decayed estimate leaves room for the cost.
 */
const SLIDING_WINDOW: Case[] = [
  {
    title: 'an empty window admits exactly limit',
    limit: 4,
    redis: 'timed',
    steps: [
      step(0.1, true, 3, 0, 1.9),
      step(0.1, true, 2, 0, 1.9),
      step(0.1, true, 1, 0, 1.9),
      step(0.1, true, 0, 0, 1.9),
      // count + cost > limit: wait for the next window, then until 4 × (1 − e) + 1 <= 4, e = 0.25.
      step(0.1, false, 0, 0.9 + 0.25, 1.9),
      step(0.1, false, 0, 0.9 + 0.25, 1.9, { peek: true }),
    ],
  },
  {
    title: 'weighs the previous window by how much of it the sliding window still covers',
    limit: 4,
    redis: 'timed',
    steps: [
      step(0.1, true, 0, 0, 1.9, { cost: 4 }),
      // e = 0.625: estimate 4 × 0.375 = 1.5: two more pass (3.5), a third would make 4.5.
      step(1.625, true, 1, 0, 1.375),
      step(1.625, true, 0, 0, 1.375),
      step(1.625, false, 0, 0.75 - 0.625, 1.375),
      // e = 0.875: 4 × 0.125 + 2 = 2.5: one more (3.5).
      step(1.875, true, 0, 0, 1.125),
      step(1.875, false, 0, 1 - 0.875, 1.125),
      // Next window, e = 0.5: previous 3 → 1.5: two more (3.5); the third waits until 3 × (1 − e) <= 1.
      step(2.5, true, 1, 0, 1.5),
      step(2.5, true, 0, 0, 1.5),
      step(2.5, false, 0, 2 / 3 - 0.5, 1.5),
    ],
  },
  {
    title: 'forgets a previous window once a whole window has passed; peek consumes nothing',
    limit: 4,
    redis: 'timed',
    steps: [
      step(0.1, true, 0, 0, 1.9, { cost: 4 }),
      // e = 0.1 of the next window: estimate 3.6, nothing counted here yet.
      step(1.1, false, 0, 0.25 - 0.1, 0.9, { peek: true }),
      step(1.1, false, 0, 0.25 - 0.1, 0.9, { peek: true }),
      // Window 2: window 0 is two windows back: an empty estimate.
      step(2.1, true, 4, 0, 0, { peek: true }),
      step(2.1, true, 0, 0, 1.9, { cost: 4 }),
    ],
  },
  {
    title: 'cost > 1 and cost 0',
    limit: 4,
    redis: 'timed',
    steps: [
      step(0.1, true, 1, 0, 1.9, { cost: 3 }),
      // 3 + 2 > 4 in this window: next window, until 3 × (1 − e) + 2 <= 4, e = 1/3.
      step(0.1, false, 1, 0.9 + 1 / 3, 1.9, { cost: 2 }),
      step(0.1, true, 1, 0, 1.9, { cost: 0 }),
      step(0.1, true, 0, 0, 1.9, { cost: 1 }),
      step(0.1, true, 0, 0, 1.9, { cost: 0 }),
      step(0.1, false, 0, 0.9 + 0.25, 1.9),
    ],
  },
];

const TABLES: [RateLimitAlgorithm, Case[]][] = [
  ['token-bucket', TOKEN_BUCKET],
  ['fixed-window', FIXED_WINDOW],
  ['sliding-window', SLIDING_WINDOW],
];

interface Played {
  window: number;
  got: Outcome[];
  /** How late each step's answer came, against the table's time, in ms. */
  late: number[];
}

/** The raw decision of `decide` for a step, as a caller would see it. */
function seen(decision: { allowed: boolean; remaining: number; retryAfterMs: number; resetMs: number }): Outcome {
  return {
    allowed: decision.allowed,
    // Float noise (0.19999999999999996 tokens) must not change the floor.
    remaining: Math.max(0, Math.floor(decision.remaining + 1e-9)),
    retryAfterMs: decision.retryAfterMs,
    resetMs: decision.resetMs,
  };
}

function describeStep(c: Case, i: number): string {
  const s = c.steps[i]!;
  return `step ${i} (at ${s.at}, cost ${s.cost ?? 1}${s.peek === true ? ', peek' : ''})`;
}

/** Runs a case on `decide()` with an explicit clock, checking retryAfterMs and resetMs by probing around them. */
function runLocal(algorithm: RateLimitAlgorithm, c: Case): void {
  const window = LOCAL_WINDOW;
  let state: BucketState | undefined;
  c.steps.forEach((s, i) => {
    const now = LOCAL_START + Math.round(s.at * window);
    const cost = s.cost ?? 1;
    const result = decide(algorithm, state, now, c.limit, window, cost, s.peek !== true);
    const what = describeStep(c, i);
    const got = seen(result.decision);
    expect(got.allowed, `${what}: allowed`).to.equal(s.allowed);
    expect(got.remaining, `${what}: remaining`).to.equal(s.remaining);
    expect(got.retryAfterMs, `${what}: retryAfterMs`).to.be.closeTo(s.retry * window, 1e-6);
    expect(got.resetMs, `${what}: resetMs`).to.be.closeTo(s.reset * window, 1e-6);
    if (s.peek !== true) state = result.state;

    // retryAfterMs is the earliest time the same call passes (with nothing else happening)...
    if (!s.allowed) {
      const retryAt = now + Math.ceil(got.retryAfterMs - 1e-9);
      expect(decide(algorithm, state, retryAt, c.limit, window, cost, false).decision.allowed, `${what}: allowed after retryAfterMs`).to.equal(true);
      expect(decide(algorithm, state, retryAt - 1, c.limit, window, cost, false).decision.allowed, `${what}: refused 1 ms before retryAfterMs`).to.equal(false);
    }
    // ...and resetMs the earliest time the bucket is untouched again.
    const resetAt = now + Math.ceil(got.resetMs - 1e-9);
    expect(decide(algorithm, state, resetAt, c.limit, window, 0, false).decision.remaining, `${what}: full after resetMs`).to.be.closeTo(c.limit, 1e-9);
    if (got.resetMs >= 1) {
      expect(decide(algorithm, state, resetAt - 1, c.limit, window, 0, false).decision.remaining, `${what}: not full 1 ms before resetMs`).to.be.below(c.limit);
    }
  });
}

describe('rate-limit algorithms', () => {
  describe('in process: decide() with an explicit clock', () => {
    for (const [algorithm, table] of TABLES) {
      describe(algorithm, () => {
        for (const c of table) it(c.title, () => runLocal(algorithm, c));
      });
    }

    it('sliding window: within its stated error of the true count of the last window', () => {
      // The stated error of the weighted two-window estimate (docs/rate-limiting-sliding-window.md):
      // it counts the previous window's calls as if they had been spread evenly over it. So:
      // (1) under steady traffic the calls admitted in ANY trailing window stay within [limit − 1, limit];
      // (2) calls bunched at the END of the previous window are under-counted: a trailing window
      //     can hold up to limit × (1 + elapsed / window) < 2 × limit calls;
      // (3) calls bunched at its START are over-counted: calls are refused while the trailing
      //     window holds fewer than limit.
      const limit = 10;
      const window = LOCAL_WINDOW;
      const trailing = (admitted: number[], from: number, to: number): { lowest: number; highest: number } => {
        let lowest = Infinity;
        let highest = 0;
        for (let end = from; end < to; end++) {
          const inWindow = admitted.filter((t) => t > end - window && t <= end).length;
          lowest = Math.min(lowest, inWindow);
          highest = Math.max(highest, inWindow);
        }
        return { lowest, highest };
      };

      // An attempt every 1/40 window (4 × the limit) for 8 windows: window 0 fills at its start (3),
      // then the admitted calls spread out evenly (1).
      const admitted: number[] = [];
      let state: BucketState | undefined;
      for (let t = LOCAL_START; t < LOCAL_START + 8 * window; t += window / 40) {
        const result = decide('sliding-window', state, t, limit, window, 1, true);
        state = result.state;
        if (result.decision.allowed) admitted.push(t);
      }
      const steady = trailing(admitted, LOCAL_START + 2 * window, LOCAL_START + 8 * window);
      expect(steady, 'steady traffic from window 2 on').to.deep.equal({ lowest: limit - 1, highest: limit });
      // (3) 10 calls in the first 225 ms of window 0 are counted as spread over it: 1.225 windows
      // after the start only the 2 calls of window 1 are in the trailing window, and more are refused.
      const afterBurst = trailing(admitted, LOCAL_START + window, LOCAL_START + 2 * window);
      expect(afterBurst, 'window 1, after a burst at the start of window 0').to.deep.equal({ lowest: 2, highest: limit - 1 });

      // (2) and (3) with the examples of docs/rate-limiting-sliding-window.md ("The approximation
      // error"), limit 100, window 1 s:
      const admits = (state: BucketState | undefined, at: number, calls: number): { admitted: number; state: BucketState | undefined } => {
        let admitted = 0;
        for (let i = 0; i < calls; i++) {
          const result = decide('sliding-window', state, LOCAL_START + at, 100, window, 1, true);
          state = result.state;
          if (result.decision.allowed) admitted++;
        }
        return { admitted, state };
      };
      // Over-admission: 100 calls at 0.9999 s, then 99 at 1.9998 s are all admitted: 199 within one second.
      const late = admits(undefined, 999.9, 100);
      expect(late.admitted).to.equal(100);
      expect(admits(late.state, 1999.8, 150).admitted, 'at 1.9998 s after 100 at 0.9999 s').to.equal(99);
      // Under-admission: 100 calls at 1.000 s; at 2.0001 s none is admitted though none happened
      // in the last second; half a window later, 50 are.
      const early = admits(undefined, 1000, 100);
      expect(early.admitted).to.equal(100);
      const next = admits(early.state, 2000.1, 10);
      expect(next.admitted, 'at 2.0001 s after 100 at 1.000 s').to.equal(0);
      expect(admits(next.state, 2500, 100).admitted, 'at 2.5 s').to.equal(50);
    });
  });

  describe('in Redis: the Lua scripts on Redis time', function () {
    this.timeout(20_000);
    const redis = useRedis();
    let engine: CacheEngine;
    let offset = 0;
    let run = 0;
    const namespace = `rlalg${process.pid}`;

    before(async () => {
      engine = quiet(createCache({ namespace, l2: { redis: redis().url } }));
      expect(await engine.ready()).to.deep.include({ l2: 'connected' });
      offset = await redisClockOffset(redis().client());
      // Loads the three scripts (and warms this process up) before any step is timed.
      for (const [algorithm] of TABLES) {
        await new RateLimiter(resolveRateLimitSettings({ limit: 1, window: 1000, algorithm }), 'warm-up', 'warm-up').consume(engine, 'k', 1);
      }
    });
    after(async () => {
      await engine?.close();
    });

    /** Redis's clock, read locally. */
    const redisNow = (): number => wallNow() + offset;

    /** Plays a case against Redis, on Redis's clock, and returns what each step saw. */
    async function playOnRedis(algorithm: RateLimitAlgorithm, c: Case): Promise<Played> {
      const window = c.redis === 'burst' ? BURST_WINDOW : TIMED_WINDOW[algorithm];
      const limiter = new RateLimiter(resolveRateLimitSettings({ limit: c.limit, window, algorithm }), 'table', `table.${++run}`);
      // Start on a window boundary of Redis's clock (the windows are aligned on it); a burst starts now.
      let start = c.redis === 'burst' ? redisNow() : Math.ceil((redisNow() + 20) / window) * window;
      const got: Outcome[] = [];
      const late: number[] = [];
      for (const [i, s] of c.steps.entries()) {
        const planned = start + s.at * window;
        await sleep(planned - redisNow());
        const sent = redisNow();
        // A token bucket's clock starts at its first call: the rest is planned from when that was sent.
        if (i === 0 && algorithm === 'token-bucket') start += sent - planned;
        const cost = s.cost ?? 1;
        got.push(await outcomeOf(s.peek === true ? limiter.peek(engine, 'k', cost) : limiter.consume(engine, 'k', cost)));
        // Measured once the answer is in: an upper bound of how late the script ran.
        late.push(redisNow() - (start + s.at * window));
      }
      return { window, got, late };
    }

    // The cases wait on the real time: they are played all at once (each on its own bucket), and
    // each test checks its own. Started once the engine is up (hooks run in order).
    const plays = new Map<Case, Promise<Played>>();
    before(() => {
      for (const [algorithm, table] of TABLES) {
        for (const c of table) {
          const play = playOnRedis(algorithm, c);
          play.catch(() => {}); // awaited by its test
          plays.set(c, play);
        }
      }
    });

    async function checkOnRedis(c: Case): Promise<void> {
      const { window, got, late } = await plays.get(c)!;
      c.steps.forEach((s, i) => {
        const what = `${describeStep(c, i)} in ${JSON.stringify(got)}, late by ${JSON.stringify(late.map(Math.round))} ms`;
        const g = got[i]!;
        const lateness = Math.max(0, late[i]!);
        // A token bucket counts from its earlier calls: their lateness shifts its times up.
        const earlier = Math.max(0, ...late.slice(0, i));
        // The table's margins are 0.125 window: a step later than 0.1 window would prove nothing.
        expect(lateness, `${what}: the step ran too late for the table to hold`).to.be.below(0.1 * window);
        expect(g.allowed, `${what}: allowed`).to.equal(s.allowed);
        expect(g.remaining, `${what}: remaining`).to.equal(s.remaining);
        expect(g.retryAfterMs, `${what}: retryAfterMs`).to.be.within(Math.max(0, s.retry * window - lateness - ROUNDING_MS), s.retry * window + earlier + ROUNDING_MS);
        expect(g.resetMs, `${what}: resetMs`).to.be.within(Math.max(0, s.reset * window - lateness - ROUNDING_MS), s.reset * window + earlier + ROUNDING_MS);
      });
    }

    for (const [algorithm, table] of TABLES) {
      describe(algorithm, () => {
        for (const c of table) it(`${c.title} (${c.redis}, window ${c.redis === 'burst' ? BURST_WINDOW : TIMED_WINDOW[algorithm]} ms)`, () => checkOnRedis(c));
      });
    }

    it('peek writes nothing; a consume leaves a key with a TTL, so an idle bucket vanishes', async () => {
      const client = redis().client();
      for (const algorithm of ['token-bucket', 'fixed-window', 'sliding-window'] as const) {
        const limiter = new RateLimiter(resolveRateLimitSettings({ limit: 10, window: 10_000, algorithm }), 'ttl', 'ttl.check');
        const key = bucketKey(namespace, 'ttl.check', 'user', algorithm);
        await limiter.peek(engine, 'user', 1);
        expect(await client.exists(key), `${algorithm}: a peek created the bucket`).to.equal(0);
        await limiter.consume(engine, 'user', 1);
        const ttl = await client.pttl(key);
        // Token bucket: until full again (1/rate = 1 s for one token) + 1 s; fixed: the rest of
        // the window + 1 s; sliding: until both windows are empty + 1 s.
        const bounds = { 'token-bucket': [1900, 2000], 'fixed-window': [1000, 11_000], 'sliding-window': [11_000, 21_000] }[algorithm];
        expect(ttl, `${algorithm}: PTTL`).to.be.within(bounds[0]!, bounds[1]!);
      }
    });

    it('reloads its script after NOSCRIPT (SCRIPT FLUSH) and keeps the count', async () => {
      const limiter = new RateLimiter(resolveRateLimitSettings({ limit: 3, window: 60_000 }), 'flush', 'flush.check');
      await limiter.consume(engine, 'k', 2);
      await redis().client().script('FLUSH');
      expect((await limiter.consume(engine, 'k', 1)).remaining).to.equal(0);
      expect((await outcomeOf(limiter.consume(engine, 'k', 1))).allowed).to.equal(false);
    });

    it('uses Redis time, not the engine clock: engines whose clocks disagree by years share one count', async () => {
      const past = quiet(createCache({ namespace, l2: { redis: redis().url }, clock: new FakeClock(946_684_800_000) }));
      const future = quiet(createCache({ namespace, l2: { redis: redis().url }, clock: new FakeClock(4_102_444_800_000) }));
      try {
        await Promise.all([past.ready(), future.ready()]);
        for (const algorithm of ['token-bucket', 'fixed-window', 'sliding-window'] as const) {
          // About an hour, with Redis's clock mid-window: no boundary during the test.
          const window = midWindow(redisNow(), 3_600_000);
          const limiter = new RateLimiter(resolveRateLimitSettings({ limit: 4, window, algorithm }), 'skew', `skew.${algorithm}`);
          const outcomes = [];
          for (const e of [past, future, engine, past, future]) outcomes.push(await outcomeOf(limiter.consume(e, 'k', 1)));
          expect(outcomes.map((o) => o.allowed), algorithm).to.deep.equal([true, true, true, true, false]);
          expect(outcomes.map((o) => o.remaining), algorithm).to.deep.equal([3, 2, 1, 0, 0]);
        }
      } finally {
        await Promise.all([past.close(), future.close()]);
      }
    });
  });
});
