import { expect } from 'chai';
import {
  CacheConfigError,
  CacheKeyError,
  createCache,
  currentContext,
  isTierCacheError,
  peekRateLimit,
  RateLimited,
  RateLimitError,
  runWithContext,
  type CacheEngine,
  type RateLimitedOptions,
} from '../../lib/index.js';
import { FakeClock } from '../../lib/testing/index.js';
import { useEngines } from '../helpers/engines.js';
import { useRedis } from '../helpers/redis-server.js';
import { expectConfigError, quiet, rejectionOf, thrownBy } from '../ratelimit/helpers.js';

/** Whether the call passed the limiter: true if it resolved, false on a RateLimitError. */
async function admitted(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (error) {
    if (error instanceof RateLimitError) return false;
    throw error;
  }
}

describe('@RateLimited (standard decorators)', () => {
  describe('options, checked when the decorator factory is called', () => {
    const base = { limit: 10, window: '1m' };
    // [title, options, the option the error must name]
    const cases: ReadonlyArray<readonly [title: string, options: unknown, option: string]> = [
      ['no options object', null, '@RateLimited'],
      ['an unknown option', { ...base, limt: 10 }, 'limt'],
      ['limit missing', { window: '1m' }, 'limit'],
      ['limit 0', { ...base, limit: 0 }, 'limit'],
      ['limit -1', { ...base, limit: -1 }, 'limit'],
      ['limit 1.5', { ...base, limit: 1.5 }, 'limit'],
      ["limit '10'", { ...base, limit: '10' }, 'limit'],
      ['limit NaN', { ...base, limit: Number.NaN }, 'limit'],
      ['window missing', { limit: 10 }, 'window'],
      ["window 'soon'", { ...base, window: 'soon' }, 'window'],
      ["window '1 minute'", { ...base, window: '1 minute' }, 'window'],
      ['window 0', { ...base, window: 0 }, 'window'],
      ['window -1', { ...base, window: -1 }, 'window'],
      ['window Infinity', { ...base, window: Number.POSITIVE_INFINITY }, 'window'],
      ["algorithm 'leaky-bucket'", { ...base, algorithm: 'leaky-bucket' }, 'algorithm'],
      ["algorithm 'TOKEN-BUCKET'", { ...base, algorithm: 'TOKEN-BUCKET' }, 'algorithm'],
      ["onRedisDown 'fail'", { ...base, onRedisDown: 'fail' }, 'onRedisDown'],
      ['onRedisDown true', { ...base, onRedisDown: true }, 'onRedisDown'],
      ['cost -1', { ...base, cost: -1 }, 'cost'],
      ['cost NaN', { ...base, cost: Number.NaN }, 'cost'],
      ['cost Infinity', { ...base, cost: Number.POSITIVE_INFINITY }, 'cost'],
      ["cost '1'", { ...base, cost: '1' }, 'cost'],
      ['cost above the limit', { ...base, cost: 11 }, 'cost'],
      ['a name with a space', { ...base, name: 'search api' }, 'name'],
      ['an empty name', { ...base, name: '' }, 'name'],
      ['a name with a quote', { ...base, name: 'search"' }, 'name'],
      ['a name that is not a string', { ...base, name: 42 }, 'name'],
      ['a key that is not a function', { ...base, key: 'userId' }, 'key'],
      ['a cache that is not an engine', { ...base, cache: {} }, 'cache'],
      ['a cache given as a URL', { ...base, cache: 'redis://127.0.0.1:6379' }, 'cache'],
    ];
    for (const [title, options, option] of cases) {
      it(`rejects ${title}, naming ${option}`, () => {
        expectConfigError(thrownBy(() => RateLimited(options as RateLimitedOptions)), option);
      });
    }

    it('says why a constant cost above the limit is refused (not a silent forever-429)', () => {
      const error = thrownBy(() => RateLimited({ limit: 10, window: '1m', cost: 11 })) as CacheConfigError;
      expect(error.message).to.equal('cost: 11 is above the limit of 10: no call could ever be admitted');
    });

    it('accepts the edges: cost 0, cost = limit, limit 1, a decimal duration, every algorithm and policy', () => {
      for (const options of [
        { limit: 10, window: '1m', cost: 0 },
        { limit: 10, window: '1m', cost: 10 },
        { limit: 1, window: 1 },
        { limit: 10, window: '1.5s' },
        { limit: 10, window: '1m', cost: (n: number) => n },
        ...(['token-bucket', 'sliding-window', 'fixed-window'] as const).map((algorithm) => ({ limit: 10, window: '1m' as const, algorithm })),
        ...(['local', 'allow', 'deny'] as const).map((onRedisDown) => ({ limit: 10, window: '1m' as const, onRedisDown })),
        { limit: 10, window: '1m', name: 'search-api.v2:eu', key: () => 'k', cache: () => undefined as unknown as CacheEngine },
      ]) {
        expect(() => RateLimited(options as RateLimitedOptions), JSON.stringify(options)).not.to.throw();
      }
    });
  });

  describe('on a Redis engine', () => {
    const redis = useRedis();
    const engines = useEngines();
    let cache: CacheEngine;
    beforeEach(async () => {
      cache = quiet(await engines.create(redis().url));
    });

    it('over the limit: the method is not called, RateLimitError carries limit, remaining, resetMs, retryAfterMs, policy', async () => {
      const calls: string[] = [];
      class Search {
        @RateLimited({ limit: 3, window: '1m', cache: () => cache })
        async search(q: string): Promise<string> {
          calls.push(q);
          return `results for ${q}`;
        }
      }
      const service = new Search();
      for (const q of ['a', 'b', 'c']) expect(await service.search(q)).to.equal(`results for ${q}`);
      const error = (await rejectionOf(service.search('d'))) as RateLimitError;
      expect(calls, 'the method ran for the admitted calls only').to.deep.equal(['a', 'b', 'c']);
      expect(error).to.be.instanceOf(RateLimitError);
      expect(isTierCacheError(error)).to.equal(true);
      expect(error.name).to.equal('RateLimitError');
      expect(error.code).to.equal('ERR_RATE_LIMITED');
      expect(error.limit).to.equal(3);
      expect(error.remaining).to.equal(0);
      // Token bucket, 3 per minute: a token every 20 s, full again in 60 s (minus the few ms since).
      expect(error.retryAfterMs).to.be.within(19_900, 20_000);
      expect(error.resetMs).to.be.within(59_900, 60_000);
      expect(error.policy).to.deep.equal({ name: 'search', limit: 3, windowMs: 60_000 });
      expect(error.message).to.match(/^rate limit "search" exceeded: retry in \d+ ms$/);
    });

    it('names the policy after `name`, and a fixed window reports the rest of the window', async () => {
      class Reports {
        @RateLimited({ limit: 1, window: '1h', algorithm: 'fixed-window', name: 'reports-api', cache: () => cache })
        async build(): Promise<number> {
          return 1;
        }
      }
      const reports = new Reports();
      await reports.build();
      const error = (await rejectionOf(reports.build())) as RateLimitError;
      expect(error.policy).to.deep.equal({ name: 'reports-api', limit: 1, windowMs: 3_600_000 });
      const left = 3_600_000 - (Date.now() % 3_600_000);
      expect(error.retryAfterMs).to.be.closeTo(left, 100);
      expect(error.resetMs).to.equal(error.retryAfterMs);
    });

    it('a cost function: its value is taken; above the limit it is a CacheConfigError at the call, and the method is not called', async () => {
      let calls = 0;
      class Export {
        @RateLimited({ limit: 10, window: '1m', cost: (rows: number) => rows, cache: () => cache })
        async export(_rows: number): Promise<void> {
          calls++;
        }
      }
      const service = new Export();
      for (const [bad, what] of [[11, '11 is above the limit of 10'], [-1, 'got number -1'], [Number.NaN, 'got number NaN']] as const) {
        const error = await rejectionOf(service.export(bad));
        expectConfigError(error, 'cost');
        expect((error as Error).message).to.include(what);
        expectConfigError(await rejectionOf(peekRateLimit(service.export, bad)), 'cost');
      }
      expect(calls).to.equal(0);
      await service.export(7);
      expect((await peekRateLimit(service.export, 3)).remaining).to.equal(3);
      expect(await rejectionOf(service.export(4))).to.include({ code: 'ERR_RATE_LIMITED', remaining: 3 });
      await service.export(0);
      await service.export(3);
      expect(calls).to.equal(3);
    });

    it('the default key inside runWithContext({ clientId }) is the client: one bucket per client', async () => {
      let calls = 0;
      class Api {
        @RateLimited({ limit: 2, window: '1m', cache: () => cache })
        async get(): Promise<number> {
          return ++calls;
        }
      }
      const api = new Api();
      const as = (clientId: string) => runWithContext({ clientId }, () => admitted(() => api.get()));
      expect([await as('alice'), await as('alice'), await as('alice')], 'alice').to.deep.equal([true, true, false]);
      expect(await runWithContext({ clientId: 'alice' }, () => peekRateLimit(api.get))).to.deep.include({ allowed: false, remaining: 0 });
      expect(await runWithContext({ clientId: 'bob' }, () => peekRateLimit(api.get)), 'bob, before his calls').to.deep.include({ allowed: true, remaining: 2 });
      expect([await as('bob'), await as('bob'), await as('bob')], 'bob has a bucket of his own').to.deep.equal([true, true, false]);
      // Outside any request: one shared bucket, untouched by the clients.
      expect([await admitted(() => api.get()), await admitted(() => api.get()), await admitted(() => api.get())], 'no client').to.deep.equal([true, true, false]);
      // A context without a client id is the shared bucket too.
      expect(await runWithContext({}, () => admitted(() => api.get()))).to.equal(false);
      expect(calls).to.equal(6);
    });

    it('outside a request, one bucket per method: shared by every instance, apart from other methods', async () => {
      class Api {
        @RateLimited({ limit: 2, window: '1m', cache: () => cache })
        async list(): Promise<string> {
          return 'list';
        }

        @RateLimited({ limit: 2, window: '1m', cache: () => cache })
        async item(): Promise<string> {
          return 'item';
        }
      }
      const [one, two] = [new Api(), new Api()];
      await one.list();
      await two.list();
      expect((await admitted(() => one.list())), 'the bucket of Api.list is shared').to.equal(false);
      expect((await admitted(() => two.list()))).to.equal(false);
      expect(await one.item()).to.equal('item');
      expect(await two.item()).to.equal('item');
    });

    it('records each call in the request context, for the RateLimit headers', async () => {
      class Api {
        @RateLimited({ limit: 5, window: '10s', name: 'api', cache: () => cache })
        async get(): Promise<void> {}
      }
      const api = new Api();
      const recorded = await runWithContext({ clientId: '10.0.0.1' }, async () => {
        await api.get();
        await api.get();
        return currentContext()?.rateLimits;
      });
      expect(recorded).to.have.length(2);
      expect(recorded?.[1]).to.deep.include({ name: 'api', limit: 5, remaining: 3, windowMs: 10_000 });
      expect(recorded?.[1]?.resetMs).to.be.within(3900, 4000);
    });

    it('a key function picks the bucket from the arguments; an empty key is a CacheKeyError', async () => {
      class Api {
        @RateLimited({ limit: 1, window: '1m', key: (user: string) => user, cache: () => cache })
        async get(user: string, _q: string): Promise<string> {
          return user;
        }
      }
      const api = new Api();
      await api.get('u1', 'x');
      expect((await admitted(() => api.get('u1', 'y')))).to.equal(false);
      expect(await api.get('u2', 'x')).to.equal('u2');
      const error = await rejectionOf(api.get('', 'x'));
      expect(error).to.be.instanceOf(CacheKeyError);
    });

    describe('user key parts cannot reach into another bucket', () => {
      /** Exhausts the first bucket (limit 1), then says whether a call to the second still passes. */
      async function independent(first: () => Promise<unknown>, second: () => Promise<unknown>): Promise<boolean> {
        expect(await admitted(first), 'the first call').to.equal(true);
        expect(await admitted(first), 'the first bucket is exhausted').to.equal(false);
        return admitted(second);
      }

      it("key 'c:d' on method b vs key 'd' on method 'b:c' of the same class", async () => {
        class A {
          @RateLimited({ limit: 1, window: '1m', key: (k: string) => k, cache: () => cache })
          async b(_k: string): Promise<void> {}

          @RateLimited({ limit: 1, window: '1m', key: (k: string) => k, cache: () => cache })
          async ['b:c'](_k: string): Promise<void> {}
        }
        const a = new A();
        expect(await independent(() => a.b('c:d'), () => a['b:c']('d'))).to.equal(true);
      });

      it("name 'p' with key 'q:r' vs name 'p:q' with key 'r'", async () => {
        class A {
          @RateLimited({ limit: 1, window: '1m', name: 'p', key: (k: string) => k, cache: () => cache })
          async one(_k: string): Promise<void> {}

          @RateLimited({ limit: 1, window: '1m', name: 'p:q', key: (k: string) => k, cache: () => cache })
          async two(_k: string): Promise<void> {}
        }
        const a = new A();
        expect(await independent(() => a.one('q:r'), () => a.two('r'))).to.equal(true);
      });

      it("escapes the escape: key ':' vs key '%3A', key '{' vs key '%7B'", async () => {
        class A {
          @RateLimited({ limit: 1, window: '1m', key: (k: string) => k, cache: () => cache })
          async get(_k: string): Promise<void> {}
        }
        const a = new A();
        expect(await independent(() => a.get(':'), () => a.get('%3A'))).to.equal(true);
        expect(await independent(() => a.get('{'), () => a.get('%7B'))).to.equal(true);
        expect(await independent(() => a.get('%'), () => a.get('%25%'))).to.equal(true);
      });

      it('keeps one hash tag per bucket key, whatever braces the key holds (one cluster slot)', async () => {
        class A {
          @RateLimited({ limit: 5, window: '1m', key: (k: string) => k, cache: () => cache })
          async get(_k: string): Promise<void> {}
        }
        const a = new A();
        for (const key of ['}x{', '{}', 'a}:{b', 'x'.repeat(500)]) await a.get(key);
        const keys = await redis().client().keys(`${engines.namespace()}:rl:*`);
        expect(keys).to.have.length(4);
        for (const key of keys) expect(key, key).to.match(/^[^{}]+:rl:\{[^{}]+\}:token-bucket$/);
      });

      it('a short key that looks like the digest of a long one does not share its bucket', async () => {
        // Parts longer than 128 characters become `#` + base64url(SHA-256(part)); '#' is not
        // escaped, so the literal key `#<that digest>` (44 characters) names the same bucket.
        const { createHash } = await import('node:crypto');
        const long = 'x'.repeat(200);
        const lookalike = `#${createHash('sha256').update(long).digest('base64url')}`;
        class A {
          @RateLimited({ limit: 1, window: '1m', key: (k: string) => k, cache: () => cache })
          async get(_k: string): Promise<void> {}
        }
        const a = new A();
        expect(await independent(() => a.get(long), () => a.get(lookalike)), 'the look-alike key has a bucket of its own').to.equal(true);
      });

      it("a client id cannot reach the bucket of the calls made outside a request", async () => {
        class A {
          @RateLimited({ limit: 1, window: '1m', cache: () => cache })
          async get(): Promise<void> {}
        }
        const a = new A();
        expect(await independent(() => a.get(), () => runWithContext({ clientId: '*' }, () => a.get())), "client '*' has a bucket of its own").to.equal(true);
      });
    });

    describe('peekRateLimit', () => {
      it('reports the bucket a call would use, consuming nothing', async () => {
        class Api {
          @RateLimited({ limit: 5, window: '1m', key: (user: string) => user, cache: () => cache })
          async get(_user: string): Promise<void> {}
        }
        const api = new Api();
        await api.get('u1');
        await api.get('u1');
        for (let i = 0; i < 3; i++) {
          const state = await peekRateLimit(api.get, 'u1');
          expect(state).to.deep.include({ allowed: true, limit: 5, remaining: 3, retryAfterMs: 0, source: 'redis' });
          expect(state.policy).to.deep.equal({ name: 'get', limit: 5, windowMs: 60_000 });
          expect(state.resetMs).to.be.within(23_900, 24_000);
        }
        expect((await peekRateLimit(api.get, 'u2')).remaining, 'another user').to.equal(5);
        await api.get('u1');
        await api.get('u1');
        await api.get('u1');
        const full = await peekRateLimit(api.get, 'u1');
        expect(full).to.deep.include({ allowed: false, remaining: 0, source: 'redis' });
        expect(full.retryAfterMs).to.be.within(11_900, 12_000);
      });

      it('refuses a method that is not rate limited', async () => {
        class Api {
          async get(): Promise<void> {}
        }
        expectConfigError(await rejectionOf(peekRateLimit(new Api().get)), 'method');
      });

      it('a peek before the first call reads the bucket that the calls of another replica use', async () => {
        // Two decorations of the same class, as in two replicas of one service.
        const replica = () => {
          class Quota {
            @RateLimited({ limit: 2, window: '1m', cache: () => cache })
            async use(): Promise<string> {
              return 'used';
            }
          }
          return new Quota();
        };
        const [first, second] = [replica(), replica()];
        await first.use();
        await first.use();
        // The second replica peeks before it made any call: in standard mode its limiter does not
        // exist yet, and peekRateLimit makes one keyed on `use` instead of `Quota.use`.
        expect((await peekRateLimit(second.use)).remaining, 'the shared bucket is empty').to.equal(0);
        expect(await admitted(() => second.use()), 'a third call in total').to.equal(false);
      });
    });

    it('a peek on the prototype before any instance exists refuses, or reads the bucket the calls use', async () => {
      // Standard decorators learn the declaring class at the first construction. Before that, the
      // bucket of `Class.method` is unknown: a peek must not report another (phantom) bucket.
      const replica = () => {
        class Quota {
          @RateLimited({ limit: 2, window: '1m', cache: () => cache })
          async use(): Promise<string> {
            return 'used';
          }
        }
        return Quota;
      };
      const [First, Second] = [replica(), replica()];
      const first = new First();
      await first.use();
      await first.use();
      const peeked = await peekRateLimit(Second.prototype.use).then(
        (state) => state,
        (error: unknown) => error,
      );
      // Either an error that says the class is not known yet, or the shared bucket's real state.
      if (!(peeked instanceof CacheConfigError)) expect(peeked, 'the peek reads the bucket Quota.use').to.deep.include({ remaining: 0, allowed: false });
    });

    it('a method that does not return a promise is a CacheConfigError at the call', async () => {
      class Api {
        @RateLimited({ limit: 5, window: '1m', cache: () => cache })
        get(): Promise<number> {
          return 42 as unknown as Promise<number>;
        }
      }
      expectConfigError(await rejectionOf(new Api().get()), '@RateLimited');
    });

    it('without an engine at the call: a CacheConfigError naming cache', async () => {
      class Api {
        @RateLimited({ limit: 5, window: '1m', cache: () => undefined as unknown as CacheEngine })
        async get(): Promise<void> {}
      }
      expectConfigError(await rejectionOf(new Api().get()), 'cache');
    });
  });

  describe('on an L1-only engine (l2: false): the in-process limiter limits', () => {
    let cache: CacheEngine;
    let clock: FakeClock;
    beforeEach(async () => {
      // The fake clock starts on a whole second: aligned for the fixed window.
      clock = new FakeClock();
      cache = createCache({ namespace: 'rl-local', l2: false, clock });
      expect(await cache.ready()).to.deep.equal({ l2: 'disabled', bus: 'disabled' });
    });
    afterEach(async () => {
      await cache.close();
    });

    it('token bucket: limit, then a token every window / limit on the engine clock', async () => {
      let calls = 0;
      class Api {
        @RateLimited({ limit: 2, window: '1s', cache: () => cache })
        async get(): Promise<number> {
          return ++calls;
        }
      }
      const api = new Api();
      await api.get();
      await api.get();
      const error = (await rejectionOf(api.get())) as RateLimitError;
      expect(error).to.be.instanceOf(RateLimitError);
      expect(error).to.include({ remaining: 0, retryAfterMs: 500, resetMs: 1000 });
      expect(await peekRateLimit(api.get)).to.deep.include({ allowed: false, source: 'local', retryAfterMs: 500 });
      clock.advance(499);
      expect((await admitted(() => api.get()))).to.equal(false);
      clock.advance(1);
      expect(await api.get()).to.equal(3);
      expect((await admitted(() => api.get()))).to.equal(false);
      clock.advance('1h');
      expect(await peekRateLimit(api.get)).to.deep.include({ allowed: true, remaining: 2, resetMs: 0 });
    });

    it('fixed window: limit per aligned window', async () => {
      class Api {
        @RateLimited({ limit: 2, window: '1s', algorithm: 'fixed-window', cache: () => cache })
        async get(): Promise<void> {}
      }
      const api = new Api();
      clock.advance(200);
      await api.get();
      await api.get();
      expect(await rejectionOf(api.get())).to.include({ remaining: 0, retryAfterMs: 800, resetMs: 800 });
      clock.advance(799);
      expect(await rejectionOf(api.get())).to.include({ retryAfterMs: 1 });
      clock.advance(1);
      await api.get();
      await api.get();
      expect((await admitted(() => api.get()))).to.equal(false);
    });

    it('keeps clients apart and ignores onRedisDown (there is no Redis to be down)', async () => {
      class Api {
        @RateLimited({ limit: 1, window: '1m', onRedisDown: 'deny', cache: () => cache })
        async get(): Promise<void> {}
      }
      const api = new Api();
      await runWithContext({ clientId: 'a' }, () => api.get());
      await runWithContext({ clientId: 'b' }, () => api.get());
      expect(await runWithContext({ clientId: 'a' }, () => admitted(() => api.get()))).to.equal(false);
    });
  });
});
