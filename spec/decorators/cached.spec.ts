import { expect } from 'chai';
import { Cached, cacheKeyOf, createCache, getCachedMetadata, setDefaultCache, type CacheEngine } from '../../lib/index.js';

describe('@Cached (standard decorators)', () => {
  const engines: CacheEngine[] = [];
  function engine(): CacheEngine {
    const cache = createCache({ namespace: 'deco', l1: { maxEntries: 100 }, earlyRefresh: false });
    engines.push(cache);
    return cache;
  }
  afterEach(async () => {
    setDefaultCache(undefined);
    await Promise.all(engines.splice(0).map((c) => c.close()));
  });

  it('runs the method once per argument and answers hits from L1', async () => {
    const cache = engine();
    class Catalog {
      calls = 0;
      @Cached({ cache })
      async product(id: number): Promise<{ id: number; call: number }> {
        return { id, call: ++this.calls };
      }
    }
    const catalog = new Catalog();
    expect(await catalog.product(1)).to.deep.equal({ id: 1, call: 1 });
    expect(await catalog.product(1)).to.deep.equal({ id: 1, call: 1 });
    expect(await catalog.product(2)).to.deep.equal({ id: 2, call: 2 });
    // Same object to every caller: the hit path hands out the entry's value.
    expect(await catalog.product(1)).to.equal(await catalog.product(1));
    expect(catalog.calls).to.equal(2);
    expect(cache.stats().methods['Catalog.product']).to.deep.include({ misses: 2, factoryCalls: 2 });
    expect(cache.stats().methods['Catalog.product']?.hits.l1).to.equal(3);
  });

  it('names keys <Class.method>:<args>, so cache.delete(cacheKeyOf(...)) drops the entry', async () => {
    const cache = engine();
    let calls = 0;
    class Catalog {
      @Cached({ cache })
      async product(_id: number): Promise<number> {
        return ++calls;
      }
    }
    const catalog = new Catalog();
    expect(cacheKeyOf(catalog.product, 7)).to.equal('Catalog.product:7');
    await catalog.product(7);
    expect(await cache.get('Catalog.product:7')).to.equal(1);
    await cache.delete(cacheKeyOf(catalog.product, 7));
    expect(await catalog.product(7)).to.equal(2);
    await cache.set('Catalog.product:7', 99);
    expect(await catalog.product(7)).to.equal(99);
  });

  it('uses the declaring class in the name, also for subclasses and static methods', async () => {
    const cache = engine();
    class Base {
      @Cached({ cache })
      async find(id: string): Promise<string> {
        return `base:${id}`;
      }

      @Cached({ cache })
      static async config(): Promise<string> {
        return 'config';
      }
    }
    class Child extends Base {}
    const child = new Child();
    expect(await child.find('a')).to.equal('base:a');
    expect(cacheKeyOf(child.find, 'a')).to.equal('Base.find:a');
    expect(await Base.config()).to.equal('config');
    expect(Object.keys(cache.stats().methods).sort()).to.deep.equal(['Base.config', 'Base.find']);
  });

  it('keys object arguments canonically (property order does not matter)', async () => {
    const cache = engine();
    let calls = 0;
    class Search {
      @Cached({ cache })
      async run(query: { q: string; page: number }): Promise<number> {
        return query.page + ++calls * 0;
      }
    }
    const search = new Search();
    await search.run({ q: 'x', page: 1 });
    await search.run({ page: 1, q: 'x' });
    expect(calls).to.equal(1);
  });

  it('tells a call with no argument from a call with undefined', async () => {
    const cache = engine();
    class Svc {
      @Cached({ cache, cacheUndefined: true })
      async get(arg?: string): Promise<string> {
        return arguments.length === 0 ? 'none' : `one:${String(arg)}`;
      }
    }
    const svc = new Svc();
    expect(await svc.get()).to.equal('none');
    expect(await svc.get(undefined)).to.equal('one:undefined');
    expect(await svc.get()).to.equal('none');
    expect(await svc.get(undefined)).to.equal('one:undefined');
  });

  it('builds keys with `key` (this included), tags from the arguments, and honours condition', async () => {
    const cache = engine();
    const stored: string[] = [];
    cache.on('set', ({ key }) => stored.push(key));
    class Users {
      tenant = 't1';
      @Cached({ cache, key(this: Users, id: number) { return `${this.tenant}/${id}`; }, tags: (id: number) => [`user:${id}`] })
      async user(id: number): Promise<number> {
        return id;
      }

      @Cached({ cache, condition: (result: number) => result > 0 })
      async balance(n: number): Promise<number> {
        return n;
      }
    }
    const users = new Users();
    await users.user(5);
    await users.balance(0);
    await users.balance(3);
    expect(stored).to.deep.equal(['Users.user:t1/5', 'Users.balance:3']);
  });

  it('deep-freezes values with freeze', async () => {
    const cache = engine();
    class Svc {
      @Cached({ cache, freeze: true })
      async get(): Promise<{ list: number[] }> {
        return { list: [1] };
      }
    }
    const value = await new Svc().get();
    expect(Object.isFrozen(value)).to.equal(true);
    expect(Object.isFrozen(value.list)).to.equal(true);
  });

  it('follows setDefaultCache for the calls after it', async () => {
    const first = engine();
    const second = engine();
    class Svc {
      @Cached()
      async get(id: number): Promise<number> {
        return id;
      }
    }
    const svc = new Svc();
    setDefaultCache(first);
    await svc.get(1);
    await svc.get(1);
    setDefaultCache(second);
    await svc.get(1);
    expect(first.stats().methods['Svc.get']).to.deep.include({ misses: 1 });
    expect(first.stats().methods['Svc.get']?.hits.l1).to.equal(1);
    expect(second.stats().methods['Svc.get']).to.deep.include({ misses: 1 });
  });

  it('never caches errors: each call after a failure runs the method again', async () => {
    const cache = engine();
    let calls = 0;
    class Svc {
      @Cached({ cache })
      async get(): Promise<number> {
        if (++calls < 3) throw new Error(`fail ${calls}`);
        return calls;
      }
    }
    const svc = new Svc();
    const first = await svc.get().catch((e: Error) => e.message);
    expect(first).to.equal('fail 1');
    const errors = await Promise.allSettled([svc.get(), svc.get()]);
    expect(errors.map((r) => r.status)).to.deep.equal(['rejected', 'rejected']);
    expect(await svc.get()).to.equal(3);
  });

  it('exposes its options through getCachedMetadata', () => {
    class Svc {
      @Cached({ ttl: '5m', name: 'svc.get' })
      async get(): Promise<number> {
        return 1;
      }
    }
    expect(getCachedMetadata(Svc, 'get')).to.deep.equal({ options: { ttl: '5m', name: 'svc.get' }, name: 'svc.get' });
    expect(getCachedMetadata(new Svc(), 'get')?.name).to.equal('svc.get');
    expect(getCachedMetadata(Svc, 'nothing')).to.equal(undefined);
  });
});
