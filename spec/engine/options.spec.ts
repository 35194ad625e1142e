import { expect } from 'chai';
import { CacheConfigError, createCache, DEFAULT_CACHE_OPTIONS, DEFAULT_ENTRY_OPTIONS, jsonCodec, type CacheOptions } from '../../lib/index.js';
import { resolveCacheOptions } from '../../lib/engine/options.js';

const noop = (): void => undefined;
const logger = { debug: noop, info: noop, warn: noop, error: noop };

/** Calls `fn` and returns what it threw, failing the test if it threw nothing. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  expect.fail('expected a CacheConfigError, but nothing was thrown');
}

/** The error is a CacheConfigError for `option`, and says so first in its message. */
function expectConfigError(error: unknown, option: string): void {
  expect(error).to.be.instanceOf(CacheConfigError);
  const e = error as CacheConfigError;
  expect(e.code).to.equal('ERR_CONFIG');
  expect(e.option).to.equal(option);
  expect(e.message.startsWith(`${option}: `), `message ${JSON.stringify(e.message)} should start with "${option}: "`).to.equal(true);
}

describe('resolveCacheOptions', () => {
  describe('the defaults', () => {
    it('are the documented ones', () => {
      // API.md section 1 and the @default docs of CacheOptions/EntryOptions.
      expect(DEFAULT_ENTRY_OPTIONS).to.deep.equal({
        ttl: 60_000,
        grace: 600_000,
        tags: [],
        redisTimeout: 250,
        softTimeout: undefined,
        hardTimeout: undefined,
        lockTimeout: 5_000,
        l1: true,
      });
      expect(DEFAULT_CACHE_OPTIONS).to.deep.equal({
        version: '1',
        l1: { maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 },
        maxStaleness: 0,
        earlyRefreshBeta: 1,
        ttlJitter: 0.05,
        breaker: { threshold: 3, cooldown: 1_000, maxCooldown: 30_000 },
      });
    });

    it('are frozen, so no caller can change them for everyone', () => {
      expect(Object.isFrozen(DEFAULT_ENTRY_OPTIONS)).to.equal(true);
      expect(Object.isFrozen(DEFAULT_ENTRY_OPTIONS.tags)).to.equal(true);
      expect(Object.isFrozen(DEFAULT_CACHE_OPTIONS)).to.equal(true);
      expect(Object.isFrozen(DEFAULT_CACHE_OPTIONS.l1)).to.equal(true);
      expect(Object.isFrozen(DEFAULT_CACHE_OPTIONS.breaker)).to.equal(true);
    });

    it('are what { namespace } alone resolves to', () => {
      expect(resolveCacheOptions({ namespace: 'x' })).to.deep.equal({
        namespace: 'x',
        version: DEFAULT_CACHE_OPTIONS.version,
        l1: DEFAULT_CACHE_OPTIONS.l1,
        l2: false,
        bus: false,
        defaults: DEFAULT_ENTRY_OPTIONS,
        maxStaleness: DEFAULT_CACHE_OPTIONS.maxStaleness,
        logger: undefined,
        clock: undefined,
        random: Math.random,
        codec: jsonCodec,
        earlyRefreshBeta: DEFAULT_CACHE_OPTIONS.earlyRefreshBeta,
        ttlJitter: DEFAULT_CACHE_OPTIONS.ttlJitter,
        breaker: DEFAULT_CACHE_OPTIONS.breaker,
      });
    });

    it('reuses the defaults object itself when no entry option is given', () => {
      expect(resolveCacheOptions({ namespace: 'x' }).defaults).to.equal(DEFAULT_ENTRY_OPTIONS);
    });
  });

  describe('given valid options', () => {
    it('turns durations into milliseconds and keeps the other defaults', () => {
      const o = resolveCacheOptions({ namespace: 'x', defaults: { ttl: '5m', hardTimeout: '2s' }, maxStaleness: '30s' });
      expect(o.defaults).to.deep.equal({ ...DEFAULT_ENTRY_OPTIONS, ttl: 300_000, hardTimeout: 2_000 });
      expect(o.maxStaleness).to.equal(30_000);
    });

    it('turns the version into a string', () => {
      expect(resolveCacheOptions({ namespace: 'x', version: 2 }).version).to.equal('2');
      expect(resolveCacheOptions({ namespace: 'x', version: 'v2.1' }).version).to.equal('v2.1');
    });

    it('turns the bus on with L2 unless told otherwise, and never without L2', () => {
      const l2 = { redis: 'redis://127.0.0.1:6379' };
      expect(resolveCacheOptions({ namespace: 'x', l2 }).bus).to.equal(true);
      expect(resolveCacheOptions({ namespace: 'x', l2, bus: false }).bus).to.equal(false);
      expect(resolveCacheOptions({ namespace: 'x', l2: false, bus: true }).bus).to.equal(false);
    });

    it('fills a partial l1 and breaker from the defaults', () => {
      const o = resolveCacheOptions({ namespace: 'x', l1: { maxEntries: 5 }, breaker: { threshold: 10 } });
      expect(o.l1).to.deep.equal({ maxEntries: 5, maxBytes: DEFAULT_CACHE_OPTIONS.l1.maxBytes });
      expect(o.breaker).to.deep.equal({ ...DEFAULT_CACHE_OPTIONS.breaker, threshold: 10 });
    });

    it('raises the default breaker.maxCooldown to a longer breaker.cooldown', () => {
      expect(resolveCacheOptions({ namespace: 'x', breaker: { cooldown: '1m' } }).breaker.maxCooldown).to.equal(60_000);
    });

    it('turns earlyRefresh: false into a beta of 0 and l1: false into no L1', () => {
      const o = resolveCacheOptions({ namespace: 'x', earlyRefresh: false, l1: false });
      expect(o.earlyRefreshBeta).to.equal(0);
      expect(o.l1).to.equal(false);
    });

    it('keeps each tag once', () => {
      expect(resolveCacheOptions({ namespace: 'x', defaults: { tags: ['a', 'b', 'a'] } }).defaults.tags).to.deep.equal(['a', 'b']);
    });

    it('keeps the logger, clock, random and codec it is given', () => {
      const clock = { now: () => 0 };
      const random = (): number => 0.5;
      const codec = { name: 'custom', encode: (v: unknown) => JSON.stringify(v), decode: (t: string): unknown => JSON.parse(t) };
      const o = resolveCacheOptions({ namespace: 'x', logger, clock, random, codec });
      expect(o.logger).to.equal(logger);
      expect(o.clock).to.equal(clock);
      expect(o.random).to.equal(random);
      expect(o.codec).to.equal(codec);
    });
  });

  describe('given a bad option', () => {
    // [title, raw options, the dotted path the error must name]
    const cases: ReadonlyArray<readonly [title: string, raw: unknown, option: string]> = [
      ['no options object', undefined, 'options'],
      ['null for the options', null, 'options'],
      ['a missing namespace', {}, 'namespace'],
      ['an empty namespace', { namespace: '' }, 'namespace'],
      ['a namespace with a space', { namespace: 'my shop' }, 'namespace'],
      ['a namespace with a colon', { namespace: 'shop:1' }, 'namespace'],
      ['a namespace that is not a string', { namespace: 42 }, 'namespace'],
      ['a version that is an object', { namespace: 'x', version: {} }, 'version'],
      ['a version with a space', { namespace: 'x', version: 'v 2' }, 'version'],
      ['an empty version', { namespace: 'x', version: '' }, 'version'],
      ['an unknown top-level option', { namespace: 'x', ttl: '1m' }, 'ttl'],
      ['l1 that is true', { namespace: 'x', l1: true }, 'l1'],
      ['l1 that is a number', { namespace: 'x', l1: 100 }, 'l1'],
      ['l1 that is null', { namespace: 'x', l1: null }, 'l1'],
      ['l1.maxEntries 0', { namespace: 'x', l1: { maxEntries: 0 } }, 'l1.maxEntries'],
      ['l1.maxEntries 1.5', { namespace: 'x', l1: { maxEntries: 1.5 } }, 'l1.maxEntries'],
      ["l1.maxEntries '10'", { namespace: 'x', l1: { maxEntries: '10' } }, 'l1.maxEntries'],
      ['l1.maxEntries Infinity', { namespace: 'x', l1: { maxEntries: Number.POSITIVE_INFINITY } }, 'l1.maxEntries'],
      ['l1.maxBytes negative', { namespace: 'x', l1: { maxBytes: -1 } }, 'l1.maxBytes'],
      ["l1.maxBytes '64MB'", { namespace: 'x', l1: { maxBytes: '64MB' } }, 'l1.maxBytes'],
      ['an unknown l1 key', { namespace: 'x', l1: { max: 10 } }, 'l1.max'],
      ['l2 that is a URL string', { namespace: 'x', l2: 'redis://127.0.0.1:6379' }, 'l2'],
      ['l2 that is true', { namespace: 'x', l2: true }, 'l2'],
      ['l2.redis that is not a redis URL', { namespace: 'x', l2: { redis: 'http://127.0.0.1:6379' } }, 'l2.redis'],
      ['l2.redis that is a host name', { namespace: 'x', l2: { redis: '127.0.0.1:6379' } }, 'l2.redis'],
      ['l2.redis that is neither URL nor client', { namespace: 'x', l2: { redis: { host: '127.0.0.1' } } }, 'l2.redis'],
      ['l2 with neither redis nor cluster', { namespace: 'x', l2: { url: 'redis://127.0.0.1' } }, 'l2'],
      ['l2.cluster empty', { namespace: 'x', l2: { cluster: [] } }, 'l2.cluster'],
      ['l2.cluster that is a string', { namespace: 'x', l2: { cluster: 'redis://127.0.0.1:7000' } }, 'l2.cluster'],
      ['bus that is not a boolean', { namespace: 'x', bus: 'yes' }, 'bus'],
      ['defaults that is not an object', { namespace: 'x', defaults: '1m' }, 'defaults'],
      ['defaults.ttl that is not a duration', { namespace: 'x', defaults: { ttl: 'soon' } }, 'defaults.ttl'],
      ['defaults.ttl 0', { namespace: 'x', defaults: { ttl: 0 } }, 'defaults.ttl'],
      ["defaults.ttl '0s'", { namespace: 'x', defaults: { ttl: '0s' } }, 'defaults.ttl'],
      ['defaults.grace negative', { namespace: 'x', defaults: { grace: -1 } }, 'defaults.grace'],
      ['defaults.redisTimeout NaN', { namespace: 'x', defaults: { redisTimeout: Number.NaN } }, 'defaults.redisTimeout'],
      ['defaults.softTimeout bad', { namespace: 'x', defaults: { softTimeout: '1 second' } }, 'defaults.softTimeout'],
      ['defaults.hardTimeout bad', { namespace: 'x', defaults: { hardTimeout: Number.POSITIVE_INFINITY } }, 'defaults.hardTimeout'],
      ['defaults.lockTimeout bad', { namespace: 'x', defaults: { lockTimeout: null } }, 'defaults.lockTimeout'],
      ['defaults.l1 that is not a boolean', { namespace: 'x', defaults: { l1: 'no' } }, 'defaults.l1'],
      ['defaults.tags that is not an array', { namespace: 'x', defaults: { tags: 'products' } }, 'defaults.tags'],
      ['defaults.tags holding a non-string', { namespace: 'x', defaults: { tags: ['a', 42] } }, 'defaults.tags[1]'],
      ['defaults.tags holding an empty string', { namespace: 'x', defaults: { tags: [''] } }, 'defaults.tags[0]'],
      ['defaults.tags holding a string with a space', { namespace: 'x', defaults: { tags: ['ok', 'a b'] } }, 'defaults.tags[1]'],
      ['defaults.tags holding a string with a comma', { namespace: 'x', defaults: { tags: ['a,b'] } }, 'defaults.tags[0]'],
      ['defaults.tags holding a string with braces', { namespace: 'x', defaults: { tags: ['{a}'] } }, 'defaults.tags[0]'],
      ['defaults.tags holding a string over 256 characters', { namespace: 'x', defaults: { tags: ['t'.repeat(257)] } }, 'defaults.tags[0]'],
      ['an unknown defaults key', { namespace: 'x', defaults: { ttl: '1m', stale: '1h' } }, 'defaults.stale'],
      ['maxStaleness bad', { namespace: 'x', maxStaleness: 'forever' }, 'maxStaleness'],
      ['maxStaleness negative', { namespace: 'x', maxStaleness: -5 }, 'maxStaleness'],
      ['a logger missing warn()', { namespace: 'x', logger: { debug: noop, info: noop, error: noop } }, 'logger'],
      ['a logger that is console.log', { namespace: 'x', logger: noop }, 'logger'],
      ['a logger that is null', { namespace: 'x', logger: null }, 'logger'],
      ['a clock without now()', { namespace: 'x', clock: { time: () => 0 } }, 'clock'],
      ['a clock that is Date.now', { namespace: 'x', clock: () => 0 }, 'clock'],
      ['random that is not a function', { namespace: 'x', random: 0.5 }, 'random'],
      ['a codec without encode()', { namespace: 'x', codec: { decode: (t: string) => t } }, 'codec'],
      ['a codec without decode()', { namespace: 'x', codec: { encode: (v: unknown) => String(v) } }, 'codec'],
      ['earlyRefresh that is true', { namespace: 'x', earlyRefresh: true }, 'earlyRefresh'],
      ['earlyRefresh.beta negative', { namespace: 'x', earlyRefresh: { beta: -1 } }, 'earlyRefresh.beta'],
      ['earlyRefresh.beta a string', { namespace: 'x', earlyRefresh: { beta: '1' } }, 'earlyRefresh.beta'],
      ['earlyRefresh.beta NaN', { namespace: 'x', earlyRefresh: { beta: Number.NaN } }, 'earlyRefresh.beta'],
      ['ttlJitter 1', { namespace: 'x', ttlJitter: 1 }, 'ttlJitter'],
      ['ttlJitter -0.1', { namespace: 'x', ttlJitter: -0.1 }, 'ttlJitter'],
      ['ttlJitter NaN', { namespace: 'x', ttlJitter: Number.NaN }, 'ttlJitter'],
      ["ttlJitter '5%'", { namespace: 'x', ttlJitter: '5%' }, 'ttlJitter'],
      ['breaker that is not an object', { namespace: 'x', breaker: 3 }, 'breaker'],
      ['breaker.threshold 0', { namespace: 'x', breaker: { threshold: 0 } }, 'breaker.threshold'],
      ['breaker.threshold 2.5', { namespace: 'x', breaker: { threshold: 2.5 } }, 'breaker.threshold'],
      ['breaker.cooldown bad', { namespace: 'x', breaker: { cooldown: 'a while' } }, 'breaker.cooldown'],
      ['breaker.maxCooldown < cooldown', { namespace: 'x', breaker: { cooldown: '10s', maxCooldown: '5s' } }, 'breaker.maxCooldown'],
      ['an unknown breaker key', { namespace: 'x', breaker: { limit: 3 } }, 'breaker.limit'],
    ];
    for (const [title, raw, option] of cases) {
      it(`throws CacheConfigError naming ${option} for ${title}`, () => {
        expectConfigError(
          thrownBy(() => resolveCacheOptions(raw as CacheOptions)),
          option,
        );
      });
    }
  });

  // Checks that lib/engine/options.ts does not make yet: each of these options is silently
  // accepted today (see the gap list in the issue note). They fail on purpose until it does.
  describe('given a bad option that is not checked yet (known gaps)', () => {
    const gaps: ReadonlyArray<readonly [title: string, raw: unknown, option: string]> = [
      ['an unknown earlyRefresh key', { namespace: 'x', earlyRefresh: { bta: 2 } }, 'earlyRefresh.bta'],
      ['an unknown l2 key', { namespace: 'x', l2: { redis: 'redis://127.0.0.1:6379', tls: true } }, 'l2.tls'],
      ['l2 with both redis and cluster', { namespace: 'x', l2: { redis: 'redis://127.0.0.1:6379', cluster: [{ host: '127.0.0.1', port: 7000 }] } }, 'l2'],
      ['an l2.cluster node that is not { host, port }', { namespace: 'x', l2: { cluster: [42] } }, 'l2.cluster[0]'],
    ];
    for (const [title, raw, option] of gaps) {
      it(`throws CacheConfigError naming ${option} for ${title}`, () => {
        let caught: unknown;
        try {
          resolveCacheOptions(raw as CacheOptions);
        } catch (error) {
          caught = error;
        }
        expect(caught, `${title} is accepted without a word`).to.not.equal(undefined);
        expectConfigError(caught, option);
      });
    }
  });
});

describe('createCache', () => {
  it('throws the same CacheConfigError for a bad option, before opening anything', () => {
    expectConfigError(
      thrownBy(() => createCache({ namespace: 'my shop', l2: false })),
      'namespace',
    );
    expectConfigError(
      thrownBy(() => createCache({ namespace: 'x', l2: false, defaults: { ttl: 'soon' as any } })),
      'defaults.ttl',
    );
    expectConfigError(
      thrownBy(() => createCache({ namespace: 'x', l2: false, l1: { maxEntries: 0 } })),
      'l1.maxEntries',
    );
  });

  it('applies the defaults to an engine built from { namespace }', async () => {
    const cache = createCache({ namespace: 'x', l2: false });
    try {
      expect(cache.defaults).to.equal(DEFAULT_ENTRY_OPTIONS);
      expect(cache.options.l1).to.deep.equal(DEFAULT_CACHE_OPTIONS.l1);
      expect(await cache.ready()).to.deep.equal({ l2: 'disabled', bus: 'disabled' });
    } finally {
      await cache.close();
    }
  });
});
