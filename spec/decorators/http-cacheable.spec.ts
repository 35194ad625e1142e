import { expect } from 'chai';
import {
  Cached,
  CacheConfigError,
  createCache,
  currentContext,
  getHttpCacheMetadata,
  HttpCacheable,
  refreshContext,
  runWithContext,
  type CacheEngine,
  type CacheOptions,
  type HttpAge,
  type HttpCacheableOptions,
  type HttpCacheMetadata,
  type HttpCachePolicy,
  type HttpRecord,
  type RequestContext,
} from '../../lib/index.js';
import { FakeClock } from '../../lib/testing/index.js';
import { useEngines } from '../helpers/engines.js';
import { useRedis } from '../helpers/redis-server.js';
import { expectConfigError, rejectionOf, thrownBy } from '../ratelimit/helpers.js';

/** The policy `@HttpCacheable(options)` resolves to, read back through getHttpCacheMetadata. */
function policyOf(options: HttpCacheableOptions): HttpCachePolicy {
  class Probe {
    @HttpCacheable(options)
    async method(): Promise<number> {
      return 1;
    }
  }
  return getHttpCacheMetadata(Probe, 'method')!.policy;
}

/** Runs `call` in a request context that collects the HTTP records, and returns both. */
async function recorded<T>(call: () => Promise<T>): Promise<{ result: T; records: HttpRecord[] }> {
  const records: HttpRecord[] = [];
  const result = await runWithContext({ http: records }, call);
  return { result, records };
}

interface Product {
  id: number;
  updatedAt: number;
}

const UPDATED_AT = Date.UTC(2026, 0, 2, 8, 30);

describe('@HttpCacheable', () => {
  describe('options, checked when the decorator factory is called, each error naming its option', () => {
    // [title, options, the option the error must name]
    const cases: (readonly [title: string, options: unknown, option: string])[] = [
      ['options that are not an object', 'public', '@HttpCacheable'],
      ['null options', null, '@HttpCacheable'],
      ['a number as options', 60, '@HttpCacheable'],
      ['an unknown option', { maxage: 60 }, 'maxage'],
      ['an unknown option beside known ones', { maxAge: 60, public: true }, 'public'],
    ];
    // Every HTTP age refuses the same kinds of input.
    const BAD_AGES: readonly [string, unknown][] = [
      ['a negative number', -1],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
      ["a string without a unit ('90')", '90'],
      ["an unknown unit ('1w')", '1w'],
      ["a space before the unit ('1 m')", '1 m'],
      ["a negative duration ('-5s')", '-5s'],
      ["words ('five minutes')", 'five minutes'],
      ['an empty string', ''],
      ['a boolean', true],
      ['null', null],
      ['an object', { seconds: 60 }],
    ];
    for (const age of ['maxAge', 'sMaxAge', 'cdnMaxAge', 'staleWhileRevalidate', 'staleIfError']) {
      for (const [what, value] of BAD_AGES) cases.push([`${age}: ${what}`, { [age]: value }, age]);
    }
    for (const flag of ['noStore', 'noCache', 'mustRevalidate', 'immutable']) {
      for (const [what, value] of [['the string "true"', 'true'], ['the number 1', 1], ['null', null]] as const) cases.push([`${flag}: ${what}`, { [flag]: value }, flag]);
    }
    cases.push(
      ["visibility 'Public' (case matters)", { visibility: 'Public' }, 'visibility'],
      ["visibility 'shared'", { visibility: 'shared' }, 'visibility'],
      ['visibility true', { visibility: true }, 'visibility'],
      ["vary as a string, not an array", { vary: 'Accept-Language' }, 'vary'],
      ['vary as an object', { vary: { 'Accept-Language': true } }, 'vary'],
      ['vary with a space in a name (not a token, RFC 9110 5.6.2)', { vary: ['Accept Language'] }, 'vary'],
      ['vary with a list in one member', { vary: ['Accept-Language, Cookie'] }, 'vary'],
      ['vary with an empty name', { vary: [''] }, 'vary'],
      ['vary with a colon', { vary: ['Accept-Language:'] }, 'vary'],
      ['vary with a number', { vary: [42] }, 'vary'],
      ['etag true', { etag: true }, 'etag'],
      ["etag 'STRONG'", { etag: 'STRONG' }, 'etag'],
      ["etag 'none'", { etag: 'none' }, 'etag'],
      ['etag null', { etag: null }, 'etag'],
      ["lastModified as a property name ('updatedAt')", { lastModified: 'updatedAt' }, 'lastModified'],
      ['lastModified as a Date', { lastModified: new Date() }, 'lastModified'],
      ['lastModified as a number', { lastModified: 0 }, 'lastModified'],
      ["tagHeader 'cache-tag' (the names are exact)", { tagHeader: 'cache-tag' }, 'tagHeader'],
      ["tagHeader 'Surrogate-Keys'", { tagHeader: 'Surrogate-Keys' }, 'tagHeader'],
      ['tagHeader true', { tagHeader: true }, 'tagHeader'],
      ["tagHeader ['Cache-Tag']", { tagHeader: ['Cache-Tag'] }, 'tagHeader'],
    );
    for (const [title, options, option] of cases) {
      it(`rejects ${title}, naming ${option}`, () => {
        expectConfigError(thrownBy(() => HttpCacheable(options as HttpCacheableOptions)), option);
      });
    }

    it('accepts no options, and the edges of each', () => {
      expect(policyOf({})).to.deep.equal({});
      expect(policyOf(undefined as unknown as HttpCacheableOptions)).to.deep.equal({});
      expect(policyOf({ vary: ['*'] })).to.deep.equal({ vary: ['*'] });
      expect(policyOf({ vary: [] })).to.deep.equal({ vary: [] });
      expect(policyOf({ etag: false, visibility: 'private', noStore: false })).to.deep.equal({ etag: false, visibility: 'private', noStore: false });
    });
  });

  describe('HTTP ages: seconds, or duration strings rounded down to whole seconds (RFC 9111 1.2.2)', () => {
    // [input, seconds]
    const CASES: readonly [number | string, number][] = [
      [0, 0],
      [60, 60],
      [1.9, 1],
      ['90s', 90],
      ['1500ms', 1],
      ['999ms', 0],
      ['1.5m', 90],
      ['5m', 300],
      ['1h', 3600],
      ['1d', 86_400],
    ];
    for (const [input, seconds] of CASES) {
      it(`${JSON.stringify(input)} -> ${seconds} s, for every age`, () => {
        const value = input as HttpAge;
        expect(policyOf({ maxAge: value, sMaxAge: value, cdnMaxAge: value, staleWhileRevalidate: value, staleIfError: value })).to.deep.equal({
          maxAge: seconds,
          sMaxAge: seconds,
          cdnMaxAge: seconds,
          staleWhileRevalidate: seconds,
          staleIfError: seconds,
        });
      });
    }
  });

  describe('getHttpCacheMetadata', () => {
    const lastModified = (p: Product): Date => new Date(p.updatedAt);
    const options: HttpCacheableOptions<Product> = {
      maxAge: '90s',
      sMaxAge: 300,
      cdnMaxAge: '1h',
      staleWhileRevalidate: 30,
      staleIfError: '1d',
      visibility: 'public',
      noStore: false,
      noCache: false,
      mustRevalidate: true,
      immutable: false,
      vary: ['Accept-Language'],
      etag: 'weak',
      lastModified,
      tagHeader: 'Surrogate-Key',
    };
    const POLICY: HttpCachePolicy = {
      maxAge: 90,
      sMaxAge: 300,
      cdnMaxAge: 3600,
      staleWhileRevalidate: 30,
      staleIfError: 86_400,
      visibility: 'public',
      noStore: false,
      noCache: false,
      mustRevalidate: true,
      immutable: false,
      vary: ['Accept-Language'],
      etag: 'weak',
      tagHeader: 'Surrogate-Key',
    };

    class Catalog {
      @HttpCacheable(options)
      @Cached({ cache: () => undefined as unknown as CacheEngine })
      async product(id: number): Promise<Product> {
        return { id, updatedAt: UPDATED_AT };
      }

      @Cached({ cache: () => undefined as unknown as CacheEngine })
      @HttpCacheable({ maxAge: 5 })
      async below(): Promise<number> {
        return 1;
      }

      @Cached({ cache: () => undefined as unknown as CacheEngine })
      async cachedOnly(): Promise<number> {
        return 1;
      }

      async plain(): Promise<number> {
        return 1;
      }
    }

    it('returns the options as given and the policy they resolve to (without lastModified, which is per result)', () => {
      const metadata = getHttpCacheMetadata(Catalog, 'product')!;
      expect(metadata.options).to.deep.equal(options);
      expect(metadata.options.lastModified).to.equal(lastModified);
      expect(Object.isFrozen(metadata.options)).to.equal(true);
      expect(metadata.policy).to.deep.equal(POLICY);
      expect(Object.isFrozen(metadata.policy)).to.equal(true);
    });

    it('is the same from the class and from an instance', () => {
      expect(getHttpCacheMetadata(new Catalog(), 'product')).to.equal(getHttpCacheMetadata(Catalog, 'product'));
    });

    it('finds it below another decorator too', () => {
      expect(getHttpCacheMetadata(Catalog, 'below')?.policy).to.deep.equal({ maxAge: 5 });
    });

    it('is undefined for a method without @HttpCacheable, or no such method', () => {
      expect(getHttpCacheMetadata(Catalog, 'cachedOnly')).to.equal(undefined);
      expect(getHttpCacheMetadata(Catalog, 'plain')).to.equal(undefined);
      expect(getHttpCacheMetadata(Catalog, 'missing')).to.equal(undefined);
    });

    it('copies the options: changing the object given afterwards changes nothing', () => {
      const given: HttpCacheableOptions = { maxAge: 10, vary: ['Accept'] };
      class Probe {
        @HttpCacheable(given)
        async method(): Promise<number> {
          return 1;
        }
      }
      given.maxAge = 99;
      (given.vary as string[]).push('Cookie');
      expect(getHttpCacheMetadata(Probe, 'method')!.policy).to.deep.equal({ maxAge: 10, vary: ['Accept'] });
    });

    it('decorates methods only (standard decorators)', () => {
      const decorate = HttpCacheable({ maxAge: 1 }) as unknown as (value: unknown, context: object) => unknown;
      const error = thrownBy(() => decorate(undefined, { kind: 'field', name: 'x', static: false, private: false, access: {}, metadata: {}, addInitializer: () => {} }));
      expectConfigError(error, '@HttpCacheable');
    });
  });

  describe('outside a request context', () => {
    it('returns the method\'s own promise, the same object, and records nothing', async () => {
      class Plain {
        readonly pending = Promise.resolve({ v: 1 });

        @HttpCacheable({ maxAge: 60 })
        load(): Promise<{ v: number }> {
          return this.pending;
        }
      }
      const plain = new Plain();
      expect(plain.load()).to.equal(plain.pending);
      // A context without `http` (a request served by something else than httpCache) is the same.
      const inOtherContext = runWithContext({ clientId: 'c' }, () => {
        expect(currentContext()?.http).to.equal(undefined);
        return plain.load();
      });
      expect(inOtherContext).to.equal(plain.pending);
      expect(await plain.load()).to.deep.equal({ v: 1 });
    });

    it('over @Cached, an L1 hit is the entry\'s own promise, unwrapped', async () => {
      const cache = createCache({ namespace: 'http-outside', l2: false, earlyRefresh: false });
      try {
        class Catalog {
          @HttpCacheable({ maxAge: 60 })
          @Cached({ cache: () => cache })
          async product(id: number): Promise<Product> {
            return { id, updatedAt: UPDATED_AT };
          }
        }
        const catalog = new Catalog();
        const first = await catalog.product(1);
        const hit = catalog.product(1);
        expect(hit).to.equal(catalog.product(1));
        expect(await hit).to.equal(first);
      } finally {
        await cache.close();
      }
    });

    it('rejects a method that returns no promise with CacheConfigError, at that call', async () => {
      class Wrong {
        @HttpCacheable({ maxAge: 60 })
        load(): Promise<number> {
          return 42 as unknown as Promise<number>;
        }
      }
      const error = (await rejectionOf(new Wrong().load())) as CacheConfigError;
      expectConfigError(error, '@HttpCacheable');
      expect(error.message).to.equal('@HttpCacheable: load returned number, not a promise: @HttpCacheable wraps async methods only');
      const inContext = (await rejectionOf(recorded(() => new Wrong().load()))) as CacheConfigError;
      expectConfigError(inContext, '@HttpCacheable');
    });
  });

  describe('inside a request context: runWithContext({ http: records }, ...)', () => {
    let clock: FakeClock;
    let cache: CacheEngine;
    beforeEach(async () => {
      clock = new FakeClock(Date.UTC(2026, 0, 15, 12));
      cache = createCache({ namespace: 'http-records', l2: false, clock, earlyRefresh: false, ttlJitter: 0 });
      await cache.ready();
    });
    afterEach(async () => {
      await cache.close();
    });

    it('records the policy and the result, with no entry when nothing cached it', async () => {
      class Plain {
        @HttpCacheable({ maxAge: 60, vary: ['Accept'] })
        async load(): Promise<{ v: number }> {
          return { v: 1 };
        }
      }
      const plain = new Plain();
      const { result, records } = await recorded(async () => [await plain.load(), await plain.load()]);
      expect(records).to.have.length(2);
      expect(records[0]!.result).to.equal(result[0]);
      expect(records[1]!.result).to.equal(result[1]);
      expect(records[0]!.policy).to.equal(getHttpCacheMetadata(Plain, 'load')!.policy);
      expect(records[0]!.policy).to.deep.equal({ maxAge: 60, vary: ['Accept'] });
      expect(records[0]!.entry).to.equal(undefined);
    });

    describe('with @Cached below', () => {
      let calls: number;
      let lastModifiedCalls: number;
      class Catalog {
        @HttpCacheable({
          maxAge: 60,
          lastModified: (p: Product) => {
            lastModifiedCalls++;
            return new Date(p.updatedAt);
          },
        })
        @Cached({ cache: () => cache, ttl: '1m', tags: (id: number) => [`product:${id}`, 'products'] })
        async product(id: number): Promise<Product | null> {
          calls++;
          return id > 0 ? { id, updatedAt: UPDATED_AT } : null;
        }

        @HttpCacheable({ maxAge: 60 })
        @Cached({ cache: () => cache, ttl: '1m' })
        async feed(stamp: number): Promise<{ items: number[] }> {
          calls++;
          refreshContext()?.setValidators({ etag: '"upstream"', lastModified: stamp });
          return { items: [stamp] };
        }

        @HttpCacheable({ maxAge: 60, lastModified: () => new Date(UPDATED_AT) })
        @Cached({ cache: () => cache, ttl: '1m' })
        async both(): Promise<{ ok: boolean }> {
          refreshContext()?.setValidators({ lastModified: Date.UTC(2020, 0, 1) });
          return { ok: true };
        }

        @HttpCacheable({ maxAge: 60 })
        @Cached({ cache: () => cache, ttl: '1m' })
        async count(): Promise<number> {
          return 7;
        }
      }
      let catalog: Catalog;
      beforeEach(() => {
        calls = 0;
        lastModifiedCalls = 0;
        catalog = new Catalog();
      });

      it('a miss: the entry that now holds the result, with its key, tags and freshness', async () => {
        const { result, records } = await recorded(() => catalog.product(1));
        expect(records).to.have.length(1);
        const [record] = records;
        expect(record!.result).to.equal(result);
        const entry = record!.entry!;
        expect(entry, 'the entry').to.not.equal(undefined);
        expect(entry.value).to.equal(result);
        expect(entry.key).to.equal('Catalog.product:1');
        expect(entry.tags).to.deep.equal(['product:1', 'products']);
        expect(entry.createdAt).to.equal(clock.now());
        expect(entry.freshUntil).to.equal(clock.now() + 60_000);
        expect(record!.policy).to.deep.equal({ maxAge: 60, lastModified: new Date(UPDATED_AT) });
        expect(calls).to.equal(1);
      });

      it('an L1 hit: the same entry and the same value', async () => {
        const miss = await recorded(() => catalog.product(1));
        clock.advance('10s');
        const hit = await recorded(() => catalog.product(1));
        expect(hit.records[0]!.entry).to.equal(miss.records[0]!.entry);
        expect(hit.result).to.equal(miss.result);
        expect(hit.records[0]!.entry!.freshUntil - clock.now(), 'what is left of its freshness').to.equal(50_000);
        expect(calls).to.equal(1);
        expect(cache.stats().hits.l1).to.equal(1);
      });

      it('lastModified: from the option, called once per cache entry: every hit shares the frozen record made at the miss', async () => {
        const miss = await recorded(() => catalog.product(1));
        const hit = await recorded(() => catalog.product(1));
        expect(lastModifiedCalls).to.equal(1);
        expect(hit.records[0]).to.equal(miss.records[0]);
        expect(Object.isFrozen(hit.records[0])).to.equal(true);
        expect(calls).to.equal(1);
      });

      it('lastModified: called again for the entry that replaces an invalidated one', async () => {
        const first = await recorded(() => catalog.product(1));
        await cache.invalidateTags(['product:1']);
        const second = await recorded(() => catalog.product(1));
        expect(calls).to.equal(2);
        expect(lastModifiedCalls).to.equal(2);
        expect(second.records[0]).to.not.equal(first.records[0]);
        expect(second.records[0]!.entry).to.not.equal(first.records[0]!.entry);
      });

      it('an L1 hit is recorded when the call is made, before its promise settles, and returns the @Cached promise itself', async () => {
        await catalog.product(1);
        const records: HttpRecord[] = [];
        const pending = runWithContext({ http: records }, () => catalog.product(1));
        expect(records, 'recorded synchronously').to.have.length(1);
        expect(records[0]!.entry!.promise, 'no promise of its own').to.equal(pending);
        expect(records[0]!.result).to.equal(await pending);
      });

      it('a lastModified that throws on a hit rejects that call, as it does on a miss', async () => {
        let fail = false;
        class Dated {
          @HttpCacheable({ lastModified: () => (fail ? new Date(Number.NaN) : new Date(UPDATED_AT)) })
          @Cached({ cache: () => cache, ttl: '1m' })
          async item(id: number): Promise<{ id: number }> {
            return { id };
          }
        }
        const dated = new Dated();
        await dated.item(1); // cached, outside a request: no record made yet
        fail = true;
        const error = await runWithContext({ http: [] }, () => dated.item(1)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).to.be.instanceOf(CacheConfigError);
        expect((error as CacheConfigError).option).to.equal('lastModified');
      });

      it('lastModified: not called for a null result, and none recorded', async () => {
        const { result, records } = await recorded(() => catalog.product(0));
        expect(result).to.equal(null);
        expect(lastModifiedCalls).to.equal(0);
        expect(records[0]!.policy).to.equal(getHttpCacheMetadata(Catalog, 'product')!.policy);
        expect(records[0]!.policy).not.to.have.property('lastModified');
        expect(records[0]!.entry!.value, 'a cached null has its entry too').to.equal(null);
      });

      it('lastModified: from refreshContext().setValidators when there is no option, on a miss and on a hit', async () => {
        const stamp = Date.UTC(2026, 0, 5, 6, 7, 8);
        const miss = await recorded(() => catalog.feed(stamp));
        expect(miss.records[0]!.policy).to.deep.equal({ maxAge: 60, lastModified: new Date(stamp) });
        expect(miss.records[0]!.entry!.lastModified).to.equal(stamp);
        expect(miss.records[0]!.entry!.etag).to.equal('"upstream"');
        const hit = await recorded(() => catalog.feed(stamp));
        expect(hit.records[0]!.policy).to.deep.equal({ maxAge: 60, lastModified: new Date(stamp) });
        expect(calls).to.equal(1);
      });

      it('lastModified: the option wins over the validators', async () => {
        const { records } = await recorded(() => catalog.both());
        expect(records[0]!.entry!.lastModified).to.equal(Date.UTC(2020, 0, 1));
        expect(records[0]!.policy.lastModified).to.deep.equal(new Date(UPDATED_AT));
      });

      it('a primitive result has its entry too (found by the call, not by the value)', async () => {
        const { result, records } = await recorded(() => catalog.count());
        expect(result).to.equal(7);
        expect(records[0]!.result).to.equal(7);
        expect(records[0]!.entry!.value).to.equal(7);
        expect(records[0]!.entry!.key).to.equal('Catalog.count:');
      });
    });

    describe('lastModified results', () => {
      // [what the option returns, the recorded Last-Modified, or the error]
      const CASES: readonly [string, unknown, Date | undefined | 'error'][] = [
        ['a Date', new Date(UPDATED_AT), new Date(UPDATED_AT)],
        ['epoch milliseconds', UPDATED_AT, new Date(UPDATED_AT)],
        ['undefined: none', undefined, undefined],
        ['an invalid Date: CacheConfigError', new Date(Number.NaN), 'error'],
        ['a string: CacheConfigError', '2026-01-02', 'error'],
        ['Infinity: CacheConfigError', Number.POSITIVE_INFINITY, 'error'],
      ];
      for (const [what, returned, expected] of CASES) {
        it(`${what}`, async () => {
          class Probe {
            @HttpCacheable({ maxAge: 1, lastModified: () => returned as Date })
            async load(): Promise<{ ok: boolean }> {
              return { ok: true };
            }
          }
          if (expected === 'error') {
            expectConfigError(await rejectionOf(recorded(() => new Probe().load())), 'lastModified');
            return;
          }
          const { records } = await recorded(() => new Probe().load());
          expect(records[0]!.policy.lastModified).to.deep.equal(expected);
        });
      }
    });
  });

  describe('an L2 hit on a second engine (a replica sharing Redis)', () => {
    const redis = useRedis();
    const engines = useEngines();

    function catalogOn(cache: CacheEngine): { product(id: number): Promise<Product>; calls: number } {
      class Catalog {
        calls = 0;

        @HttpCacheable({ maxAge: 60 })
        @Cached({ cache: () => cache, ttl: '1m', tags: (id: number) => [`product:${id}`] })
        async product(id: number): Promise<Product> {
          this.calls++;
          return { id, updatedAt: UPDATED_AT };
        }
      }
      return new Catalog();
    }

    it('records the entry the second engine decoded from L2, with the writer\'s freshness and tags', async () => {
      const writer = await engines.create(redis().url);
      const reader = await engines.create(redis().url);
      const written = await recorded(() => catalogOn(writer).product(1));
      const readerCatalog = catalogOn(reader);
      const read = await recorded(() => readerCatalog.product(1));
      expect(readerCatalog.calls).to.equal(0);
      expect(reader.stats().hits.l2).to.equal(1);
      const entry = read.records[0]!.entry!;
      expect(entry, 'the L2 entry').to.not.equal(undefined);
      expect(entry).not.to.equal(written.records[0]!.entry);
      expect(entry.value).to.equal(read.result);
      expect(read.result).to.deep.equal({ id: 1, updatedAt: UPDATED_AT });
      expect(entry.key).to.equal('Catalog.product:1');
      expect(entry.tags).to.deep.equal(['product:1']);
      expect(entry.freshUntil).to.equal(written.records[0]!.entry!.freshUntil);
      // And the next call on the reader is an L1 hit on that entry.
      const again = await recorded(() => readerCatalog.product(1));
      expect(again.records[0]!.entry).to.equal(entry);
    });
  });

  describe('legacy experimentalDecorators', () => {
    /** Compiled by spec/fixtures/legacy/tsconfig.json into build/legacy/, against its own build of lib/. */
    const FIXTURE = '../../legacy/spec/fixtures/legacy/http-service.js';
    interface Fixture {
      createCache(options: CacheOptions): CacheEngine;
      runWithContext<T>(context: RequestContext, fn: () => T): T;
      getHttpCacheMetadata(target: object, method: string): HttpCacheMetadata | undefined;
      LegacyCatalog: {
        new (): { calls: number; product(id: number): Promise<Product>; feed(): Promise<{ items: number[] }>; notAsync(): Promise<number> };
        cache: CacheEngine | undefined;
      };
      legacyHttpMetadata(): unknown;
    }
    let fixture: Fixture;
    let cache: CacheEngine;
    before(async () => {
      fixture = (await import(FIXTURE)) as Fixture;
    });
    beforeEach(() => {
      cache = fixture.createCache({ namespace: 'legacy-http', l2: false, earlyRefresh: false, ttlJitter: 0, clock: new FakeClock() });
      fixture.LegacyCatalog.cache = cache;
    });
    afterEach(async () => {
      fixture.LegacyCatalog.cache = undefined;
      await cache.close();
    });

    it('getHttpCacheMetadata: the same policy from the class and an instance, also under reflect-metadata', () => {
      const metadata = fixture.getHttpCacheMetadata(fixture.LegacyCatalog, 'product')!;
      expect(metadata.policy).to.deep.equal({ maxAge: 90, sMaxAge: 300, vary: ['Accept-Language'] });
      expect(metadata.options.maxAge).to.equal('90s');
      expect(fixture.getHttpCacheMetadata(new fixture.LegacyCatalog(), 'product')).to.equal(metadata);
      expect(fixture.legacyHttpMetadata()).to.equal(metadata);
      expect(fixture.getHttpCacheMetadata(fixture.LegacyCatalog, 'feed')!.policy).to.deep.equal({ maxAge: 10, etag: 'weak' });
    });

    it('records policy, result and entry in a request context; an L1 hit records the same entry', async () => {
      const catalog = new fixture.LegacyCatalog();
      const records: HttpRecord[] = [];
      const first = await fixture.runWithContext({ http: records }, () => catalog.product(1));
      const second = await fixture.runWithContext({ http: records }, () => catalog.product(1));
      expect(catalog.calls).to.equal(1);
      expect(second).to.equal(first);
      expect(records).to.have.length(2);
      expect(records[0]!.result).to.equal(first);
      expect(records[0]!.entry!.value).to.equal(first);
      expect(records[0]!.entry!.key).to.equal('LegacyCatalog.product:1');
      expect(records[0]!.entry!.tags).to.deep.equal(['product:1']);
      expect(records[1]!.entry).to.equal(records[0]!.entry);
      expect(records[0]!.policy).to.deep.equal({ maxAge: 90, sMaxAge: 300, vary: ['Accept-Language'], lastModified: new Date(Date.UTC(2026, 0, 2)) });
    });

    it('takes Last-Modified from the validators the method set', async () => {
      const records: HttpRecord[] = [];
      await fixture.runWithContext({ http: records }, () => new fixture.LegacyCatalog().feed());
      expect(records[0]!.policy).to.deep.equal({ maxAge: 10, etag: 'weak', lastModified: new Date(Date.UTC(2026, 0, 5)) });
    });

    it('outside a request context, returns the cached promise unwrapped', async () => {
      const catalog = new fixture.LegacyCatalog();
      await catalog.product(2);
      expect(catalog.product(2)).to.equal(catalog.product(2));
    });

    it('rejects a method that returns no promise with CacheConfigError', async () => {
      const error = (await rejectionOf(new fixture.LegacyCatalog().notAsync())) as CacheConfigError;
      // The fixture's own build of lib/: compared by code and option, not by class.
      expect(error.code).to.equal('ERR_CONFIG');
      expect(error.option).to.equal('@HttpCacheable');
    });
  });
});
