import { expect } from 'chai';
import { Cached, InvalidatesTags, type CacheEngine } from '../../lib/index.js';
import { nextEvent, useEngines } from '../helpers/engines.js';
import { waitFor } from '../helpers/events.js';
import { useRedis } from '../helpers/redis-server.js';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

/** Two engines on one Redis stand for two replicas here; spec/replicas/ runs real processes. */
describe('replication between engines', () => {
  const redis = useRedis();
  const engines = useEngines();
  const pair = async (options = {}): Promise<[CacheEngine, CacheEngine]> => [
    await engines.create(redis().url, options),
    await engines.create(redis().url, options),
  ];

  describe('the bus', () => {
    it('drops the other replicas’ L1 copy on set and delete', async () => {
      const [a, b] = await pair();
      await a.set('k', 1);
      expect(await b.get('k')).to.equal(1); // now in b's L1
      const dropped = nextEvent(b, 'invalidate', (e: { remote: boolean }) => e.remote);
      await a.set('k', 2);
      await dropped;
      expect(await b.get('k')).to.equal(2);
      const deleted = nextEvent(b, 'invalidate', (e: { remote: boolean }) => e.remote);
      await a.delete('k');
      await deleted;
      expect(await b.get('k')).to.equal(undefined);
    });

    it('clears every replica', async () => {
      const [a, b] = await pair();
      await b.getOrSet('k', async () => 'old');
      const cleared = nextEvent(b, 'invalidate', (e: { reason: string; remote: boolean }) => e.remote && e.reason === 'clear');
      await a.clear();
      await cleared;
      expect(await b.getOrSet('k', async () => 'new')).to.equal('new');
    });

    it('never applies its own messages, and drops malformed ones with an error event', async () => {
      const [a, b] = await pair();
      const remote: unknown[] = [];
      a.on('invalidate', (e) => e.remote && remote.push(e));
      await a.invalidateTags(['mine']);
      await nextEvent(b, 'invalidate', (e: { remote: boolean }) => e.remote);
      expect(remote).to.deep.equal([]);
      const errored = nextEvent(b, 'error', (_e: Error, context: { operation: string }) => context.operation === 'bus:message');
      await redis().client().publish(`${engines.namespace()}:bus`, '{"not":"a message"');
      const [error] = (await errored) as [Error];
      expect(error.message).to.match(/malformed/);
      expect(await b.getOrSet('still', async () => 'working')).to.equal('working');
    });
  });

  describe('tags', () => {
    it('makes tagged entries a miss on every replica, and at once on this one', async () => {
      const [a, b] = await pair();
      let version = 1;
      const load = (cache: CacheEngine) => cache.getOrSet('product:1', async () => version, { tags: ['product:1', 'products'] });
      expect(await load(a)).to.equal(1);
      expect(await load(b)).to.equal(1);
      version = 2;
      const heard = nextEvent(b, 'invalidate', (e: { remote: boolean }) => e.remote);
      await a.invalidateTags(['products']);
      expect(await load(a)).to.equal(2); // this replica: as soon as invalidateTags resolved
      await heard;
      expect(await load(b)).to.equal(2);
    });

    it('does not store a value read before an invalidation that lands while the method runs', async () => {
      const [a] = await pair();
      const gate = deferred<string>();
      let calls = 0;
      const first = a.getOrSet('k', () => (calls++, gate.promise), { tags: ['t'] });
      await waitFor(() => calls === 1, { what: 'the method to start' });
      await a.invalidateTags(['t']);
      gate.resolve('read before the invalidation');
      expect(await first).to.equal('read before the invalidation');
      expect(await a.getOrSet('k', async () => (calls++, 'after'), { tags: ['t'] })).to.equal('after');
      expect(await redis().client().keys(`${engines.namespace()}:*{k}`)).to.have.length(1);
    });

    it('answers L1 hits on tagged entries with no Redis round trip', async () => {
      const [a] = await pair();
      class Catalog {
        @Cached({ cache: a, tags: (id: number) => [`product:${id}`, 'products', 'catalog'] })
        async product(id: number): Promise<number> {
          return id;
        }
      }
      const catalog = new Catalog();
      for (let id = 0; id < 10; id++) await catalog.product(id);
      const commands = async (): Promise<number> => {
        const info = await redis().client().info('commandstats');
        return [...info.matchAll(/cmdstat_(get|mget|evalsha|eval|set):calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[2]), 0);
      };
      const before = await commands();
      for (let i = 0; i < 1_000; i++) await catalog.product(i % 10);
      expect(await commands()).to.equal(before);
      expect(a.stats().methods['Catalog.product']?.hits.l1).to.equal(1_000);
    });

    it('@InvalidatesTags invalidates after success, from the arguments and the result', async () => {
      const [a, b] = await pair();
      const db = new Map<number, { id: number; category: string }>([[1, { id: 1, category: 'books' }]]);
      class Products {
        @Cached({ cache: () => a, tags: (category: string) => [`category:${category}`] })
        async byCategory(category: string): Promise<number[]> {
          return [...db.values()].filter((p) => p.category === category).map((p) => p.id);
        }

        @InvalidatesTags((id: number) => [`product:${id}`], { cache: () => a, fromResult: (p: { category: string }) => [`category:${p.category}`] })
        async move(id: number, category: string): Promise<{ id: number; category: string }> {
          const before = db.get(id)!;
          const after = { id, category };
          db.set(id, after);
          await a.invalidateTags([`category:${before.category}`]);
          return after;
        }

        @InvalidatesTags(['products'], { cache: () => a })
        async fail(): Promise<void> {
          throw new Error('write failed');
        }
      }
      const products = new Products();
      expect(await products.byCategory('books')).to.deep.equal([1]);
      expect(await products.byCategory('music')).to.deep.equal([]);
      await products.move(1, 'music');
      expect(await products.byCategory('music')).to.deep.equal([1]);
      expect(await products.byCategory('books')).to.deep.equal([]);
      const invalidated: unknown[] = [];
      b.on('invalidate', (e) => invalidated.push(e));
      const error = await products.fail().catch((e: Error) => e.message);
      expect(error).to.equal('write failed');
      expect(invalidated).to.deep.equal([]);
    });
  });

  describe('the distributed lock', () => {
    it('lets one replica run the method while the other waits for its value', async () => {
      const [a, b] = await pair();
      const gate = deferred<string>();
      let calls = 0;
      const factory = () => (calls++, gate.promise);
      const fromA = a.getOrSet('cold', factory);
      await waitFor(() => calls === 1, { what: 'the first replica to start the method' });
      const fromB = b.getOrSet('cold', factory);
      await waitFor(() => b.stats().lockWaits === 1, { what: 'the second replica to wait on the lock' });
      gate.resolve('once');
      expect(await Promise.all([fromA, fromB])).to.deep.equal(['once', 'once']);
      expect(calls).to.equal(1);
    });

    it('takes over after lockTimeout when the holder never releases', async () => {
      const [a] = await pair({ defaults: { lockTimeout: '300ms' } });
      const raw = redis().client();
      // A holder that died: its lock stays until it expires.
      await raw.set(`${engines.namespace()}:1:0:{orphan}:lock`, 'dead-holder', 'PX', 300);
      const started = Date.now();
      expect(await a.getOrSet('orphan', async () => 'taken over')).to.equal('taken over');
      const waited = Date.now() - started;
      expect(waited).to.be.within(250, 600);
    });

    it('serves the stale value instead of waiting when another replica refreshes', async () => {
      const [a, b] = await pair({ defaults: { ttl: 50, grace: '1m' } });
      await a.getOrSet('k', async () => 'v1');
      expect(await b.getOrSet('k', async () => 'unused')).to.equal('v1');
      await new Promise((resolve) => setTimeout(resolve, 60)); // past the 50 ms ttl: stale within grace
      const gate = deferred<string>();
      let refreshes = 0;
      expect(await a.getOrSet('k', () => (refreshes++, gate.promise))).to.equal('v1');
      await waitFor(() => refreshes === 1, { what: 'the refresh to start on a' });
      expect(await b.getOrSet('k', async () => (refreshes++, 'from b'))).to.equal('v1');
      gate.resolve('v2');
      await waitFor(async () => (await b.getOrSet('k', async () => 'unused')) === 'v2', { what: 'b to see the refreshed value' });
      expect(refreshes).to.equal(1);
    });
  });

  describe('when Redis comes back after being down', () => {
    it('replays the invalidations made meanwhile', async () => {
      const [a, b] = await pair();
      a.on('error', () => {});
      b.on('error', () => {});
      await redis().kill();
      await a.invalidateTags(['while-down']);
      expect(a.stats().bus.queued).to.equal(1);
      await redis().restart();
      // The replay runs once a is connected again; b hears it if its bus is back first, and purges
      // its L1 on reconnection in any case (spec/replicas/recovery.spec.ts orders the two).
      await waitFor(() => a.stats().bus.queued === 0 && b.stats().bus.state === 'connected', { what: 'the replay' });
      await waitFor(async () => /^[1-9]\d*$/.test((await redis().client().get(`${engines.namespace()}:tag:{while-down}`)) ?? ''), { what: 'a new tag version in Redis' });
    });
  });
});
