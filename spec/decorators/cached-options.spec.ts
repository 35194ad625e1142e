import { expect } from 'chai';
import {
  Cached,
  CacheConfigError,
  CacheKeyError,
  createCache,
  getDefaultCache,
  SerializationError,
  setDefaultCache,
  type CacheEngine,
  type CachedOptions,
} from '../../lib/index.js';

/** Calls `fn` and returns what it threw, failing the test if it threw nothing. */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return expect.fail('expected an error, but nothing was thrown');
}

/** Awaits `promise` and returns its rejection, failing the test if it resolved. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return expect.fail('expected a rejection, but the promise resolved');
}

/** The error is a CacheConfigError for `option`, and says so first in its message. */
function expectConfigError(error: unknown, option: string): void {
  expect(error).to.be.instanceOf(CacheConfigError);
  const e = error as CacheConfigError;
  expect(e.code).to.equal('ERR_CONFIG');
  expect(e.option).to.equal(option);
  expect(e.message.startsWith(`${option}: `), `message ${JSON.stringify(e.message)} should start with "${option}: "`).to.equal(true);
}

function expectKeyError(error: unknown, path: string | undefined): void {
  expect(error).to.be.instanceOf(CacheKeyError);
  const e = error as CacheKeyError;
  expect(e.code).to.equal('ERR_KEY');
  expect(e.path).to.equal(path);
  if (path !== undefined) expect(e.message).to.include(`at ${path}`);
}

describe('@Cached options', () => {
  describe('checked when the decorator factory is called', () => {
    // [title, options, the option the error must name]
    const cases: ReadonlyArray<readonly [title: string, options: unknown, option: string]> = [
      ['an unknown option', { ttll: '5m' }, 'ttll'],
      ['a ttl that is not a duration', { ttl: 'soon' }, 'ttl'],
      ['a ttl of 0', { ttl: 0 }, 'ttl'],
      ['a negative grace', { grace: -1 }, 'grace'],
      ['a redisTimeout that is not a duration', { redisTimeout: '1 second' }, 'redisTimeout'],
      ['a softTimeout that is not a duration', { softTimeout: {} }, 'softTimeout'],
      ['a hardTimeout of Infinity', { hardTimeout: Number.POSITIVE_INFINITY }, 'hardTimeout'],
      ['a lockTimeout that is not a duration', { lockTimeout: null }, 'lockTimeout'],
      ['l1 that is not a boolean', { l1: 'off' }, 'l1'],
      ['tags that are a string', { tags: 'products' }, 'tags'],
      ['tags holding a non-string', { tags: ['products', 7] }, 'tags[1]'],
      ['tags holding an empty string', { tags: [''] }, 'tags[0]'],
      ['tags holding a string with a space', { tags: ['all products'] }, 'tags[0]'],
      ['an empty name', { name: '' }, 'name'],
      ['a name with braces', { name: 'Catalog.{product}' }, 'name'],
      ['a name that is not a string', { name: 42 }, 'name'],
      ['a key that is not a function', { key: 'id' }, 'key'],
      ['a condition that is not a function', { condition: true }, 'condition'],
      ['a cache that is a plain object', { cache: {} }, 'cache'],
      ['a cache that is a number', { cache: 1 }, 'cache'],
      ['a cache that is a string', { cache: 'default' }, 'cache'],
      ['cacheUndefined that is not a boolean', { cacheUndefined: 'yes' }, 'cacheUndefined'],
      ['freeze that is not a boolean', { freeze: 1 }, 'freeze'],
      ['options that are not an object', null, '@Cached'],
    ];
    for (const [title, options, option] of cases) {
      it(`throws CacheConfigError naming ${option} for ${title}`, () => {
        // No class exists yet: the factory call alone throws.
        expectConfigError(
          thrownBy(() => Cached(options as CachedOptions)),
          option,
        );
      });
    }

    it('throws CacheConfigError naming cache for a cache that is null', () => {
      const error = thrownBy(() => Cached({ cache: null as any }));
      expect(error, `cache: null throws ${String(error)}`).to.be.instanceOf(CacheConfigError);
      expectConfigError(error, 'cache');
    });

    it('throws CacheConfigError naming cache for an object that has fetch() but is not an engine', () => {
      const error = (() => {
        try {
          Cached({ cache: { fetch: () => undefined } as any });
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(error, 'an object with only fetch() passes as an engine').to.not.equal(undefined);
      expectConfigError(error, 'cache');
    });

    it('throws while the class is being defined, before any instance exists', () => {
      const error = thrownBy(() => {
        class Catalog {
          @Cached({ ttl: 'soon' as any })
          async product(id: number): Promise<number> {
            return id;
          }
        }
        return Catalog;
      });
      expectConfigError(error, 'ttl');
    });

    it('accepts every valid option', async () => {
      const cache = createCache({ namespace: 'opts', l2: false });
      try {
        expect(() =>
          Cached({
            name: 'Catalog.product',
            key: (id: number) => String(id),
            ttl: '5m',
            grace: 0,
            tags: (id: number) => [`product:${id}`],
            cache,
            condition: () => true,
            cacheUndefined: true,
            freeze: false,
            redisTimeout: 100,
            softTimeout: '50ms',
            hardTimeout: '2s',
            lockTimeout: '1s',
            l1: false,
          }),
        ).to.not.throw();
        expect(() => Cached({ cache: () => cache, tags: ['products'] })).to.not.throw();
      } finally {
        await cache.close();
      }
    });
  });

  describe('checked when the method is called', () => {
    const engines: CacheEngine[] = [];
    let previousDefault: CacheEngine | undefined;

    function engine(): CacheEngine {
      const cache = createCache({ namespace: 'opts', l2: false, earlyRefresh: false });
      engines.push(cache);
      return cache;
    }

    beforeEach(() => {
      previousDefault = getDefaultCache();
    });
    afterEach(async () => {
      setDefaultCache(previousDefault);
      await Promise.all(engines.splice(0).map((c) => c.close()));
    });

    it('rejects with CacheConfigError naming cache when no engine is given and no default is set', async () => {
      setDefaultCache(undefined);
      let calls = 0;
      class Catalog {
        @Cached()
        async product(id: number): Promise<number> {
          calls++;
          return id;
        }
      }
      const error = await rejectionOf(new Catalog().product(1));
      expectConfigError(error, 'cache');
      expect((error as Error).message).to.include('setDefaultCache');
      expect(calls).to.equal(0);
    });

    it('uses a default set after the failed call, for the calls after it', async () => {
      setDefaultCache(undefined);
      class Catalog {
        @Cached()
        async product(id: number): Promise<number> {
          return id;
        }
      }
      const catalog = new Catalog();
      expectConfigError(await rejectionOf(catalog.product(1)), 'cache');
      setDefaultCache(engine());
      expect(await catalog.product(1)).to.equal(1);
    });

    it('rejects with CacheConfigError naming cache when the cache function returns nothing', async () => {
      class Catalog {
        @Cached({ cache: () => undefined as any })
        async product(id: number): Promise<number> {
          return id;
        }
      }
      expectConfigError(await rejectionOf(new Catalog().product(1)), 'cache');
    });

    it('rejects with CacheConfigError naming cache when the cache function returns a non-engine', async () => {
      class Catalog {
        @Cached({ cache: () => ({}) as any })
        async product(id: number): Promise<number> {
          return id;
        }
      }
      const error = await rejectionOf(new Catalog().product(1));
      expect(error, `a non-engine from the cache function gives ${String(error)}`).to.be.instanceOf(CacheConfigError);
      expectConfigError(error, 'cache');
    });

    it('rejects with CacheConfigError when the method returns a non-promise, and caches nothing', async () => {
      const cache = engine();
      let calls = 0;
      class Catalog {
        @Cached({ cache })
        product(id: number): number {
          calls++;
          return id;
        }
      }
      const catalog = new Catalog();
      const error = await rejectionOf(catalog.product(1) as unknown as Promise<number>);
      expectConfigError(error, 'Catalog.product');
      expect((error as Error).message).to.include('not a promise');
      expect(await rejectionOf(catalog.product(1) as unknown as Promise<number>)).to.be.instanceOf(CacheConfigError);
      expect(calls).to.equal(2);
      expect(await cache.get('Catalog.product:1')).to.equal(undefined);
    });

    it('rejects with CacheConfigError naming tags when the tags function returns a bad tag', async () => {
      const cache = engine();
      class Catalog {
        @Cached({ cache, tags: (id: number) => [`product ${id}`] })
        async product(id: number): Promise<number> {
          return id;
        }
      }
      expectConfigError(await rejectionOf(new Catalog().product(1)), 'tags[0]');
    });

    describe('with an argument that cannot be part of a key', () => {
      const cycle: Record<string, unknown> = { id: 1 };
      cycle['self'] = cycle;
      // [title, arguments, the path the CacheKeyError must name]
      const cases: ReadonlyArray<readonly [title: string, args: unknown[], path: string]> = [
        ['a function', [() => 1], 'args[0]'],
        ['a symbol', [Symbol('id')], 'args[0]'],
        ['a cycle', [cycle], 'args[0].self'],
        ['a function deep in an object', [{ filter: { where: () => true } }], 'args[0].filter.where'],
        ['a symbol in the second argument', [1, Symbol('x')], 'args[1]'],
        ['a function in an array', [[1, 2, () => 3]], 'args[0][2]'],
      ];
      for (const [title, args, path] of cases) {
        it(`rejects with CacheKeyError at ${path} for ${title}, without calling the method`, async () => {
          const cache = engine();
          let calls = 0;
          class Catalog {
            @Cached({ cache })
            async search(..._args: unknown[]): Promise<number> {
              return ++calls;
            }
          }
          expectKeyError(await rejectionOf(new Catalog().search(...args)), path);
          expect(calls).to.equal(0);
        });
      }
    });

    it('rejects with CacheKeyError when a custom key function returns a non-string', async () => {
      const cache = engine();
      let calls = 0;
      class Catalog {
        @Cached({ cache, key: (id: number) => id as unknown as string })
        async product(id: number): Promise<number> {
          calls++;
          return id;
        }
      }
      const error = await rejectionOf(new Catalog().product(1));
      expectKeyError(error, undefined);
      expect((error as Error).message).to.include('Catalog.product');
      expect(calls).to.equal(0);
    });

    it('returns a result that cannot be encoded to the caller, uncached, with a SerializationError event', async () => {
      const cache = engine();
      const events: [Error, { operation: string; key?: string; method?: string }][] = [];
      cache.on('error', (error, context) => events.push([error, context]));
      let calls = 0;
      const results: object[] = [];
      class Catalog {
        @Cached({ cache })
        async product(id: number): Promise<{ id: number; format: () => string }> {
          calls++;
          const result = { id, format: () => `#${id}` };
          results.push(result);
          return result;
        }
      }
      const catalog = new Catalog();
      const first = await catalog.product(1);
      expect(first).to.equal(results[0]); // the raw result itself
      expect(first.format()).to.equal('#1');
      expect(events).to.have.length(1);
      const [error, context] = events[0]!;
      expect(error).to.be.instanceOf(SerializationError);
      expect((error as SerializationError).code).to.equal('ERR_SERIALIZE');
      expect((error as SerializationError).key).to.equal('Catalog.product:1');
      expect((error as SerializationError).path).to.equal('value.format');
      expect(context).to.deep.include({ key: 'Catalog.product:1', method: 'Catalog.product' });

      // Nothing was stored: the next call runs the method again.
      expect(await cache.get('Catalog.product:1')).to.equal(undefined);
      await catalog.product(1);
      expect(calls).to.equal(2);
      expect(events).to.have.length(2);
    });
  });

  describe('the engine methods the decorators are built on', () => {
    const engines: CacheEngine[] = [];
    function engine(): CacheEngine {
      const cache = createCache({ namespace: 'opts', l2: false });
      engines.push(cache);
      return cache;
    }
    afterEach(async () => {
      await Promise.all(engines.splice(0).map((c) => c.close()));
    });

    it('set rejects a value that cannot be encoded with SerializationError, and stores nothing', async () => {
      const cache = engine();
      const error = await rejectionOf(cache.set('k', { id: 1, fn: () => 1 }));
      expect(error).to.be.instanceOf(SerializationError);
      const e = error as SerializationError;
      expect(e.code).to.equal('ERR_SERIALIZE');
      expect(e.key).to.equal('k');
      expect(e.path).to.equal('value.fn');
      expect(await cache.get('k')).to.equal(undefined);
    });

    // [title, call]
    const badKeys: ReadonlyArray<readonly [title: string, call: (cache: CacheEngine, factory: () => Promise<number>) => Promise<unknown>]> = [
      ["getOrSet('')", (cache, factory) => cache.getOrSet('', factory)],
      ['getOrSet(42)', (cache, factory) => cache.getOrSet(42 as any, factory)],
      ['get(42)', (cache) => cache.get(42 as any)],
      ["get('')", (cache) => cache.get('')],
      ["set('')", (cache) => cache.set('', 1)],
      ['set(undefined)', (cache) => cache.set(undefined as any, 1)],
      ["delete('')", (cache) => cache.delete('')],
      ['delete(null)', (cache) => cache.delete(null as any)],
    ];
    for (const [title, call] of badKeys) {
      it(`${title} rejects with CacheKeyError`, async () => {
        const cache = engine();
        let calls = 0;
        const error = await rejectionOf(call(cache, async () => ++calls));
        expectKeyError(error, undefined);
        expect(calls).to.equal(0);
      });
    }

    it('getOrSet rejects bad per-call options with CacheConfigError naming them', async () => {
      const cache = engine();
      expectConfigError(await rejectionOf(cache.getOrSet('k', async () => 1, { ttl: 'soon' as any })), 'ttl');
      expectConfigError(await rejectionOf(cache.getOrSet('k', async () => 1, { tags: ['a b'] })), 'tags[0]');
      expectConfigError(await rejectionOf(cache.getOrSet('k', async () => 1, { stale: true } as any)), 'stale');
      expectConfigError(await rejectionOf(cache.set('k', 1, { grace: -1 })), 'grace');
    });
  });
});
