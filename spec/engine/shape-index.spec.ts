import { expect } from 'chai';
import { Cached, cacheKeyOf, createCache, type CacheEngine } from '../../lib/index.js';
import type { ShapeIndex } from '../../lib/engine/shape-index.js';

/**
 * The shape index: how an L1 hit of a call with one flat object argument finds its entry by the
 * object's values instead of its encoded key. It may only ever miss, never disagree with the
 * canonical key, and it must let go of every entry L1 lets go of.
 */
describe('ShapeIndex: L1 hits by the values of a flat object argument', () => {
  let cache: CacheEngine;
  let calls: number;
  class Catalog {
    @Cached({ cache: () => cache, ttl: '1m', tags: (q: Record<string, unknown>) => [`kind:${String(q['kind'])}`] })
    async find(q: Record<string, unknown>): Promise<{ q: Record<string, unknown>; call: number }> {
      return { q, call: ++calls };
    }
  }
  let catalog: Catalog;
  const shapes = (): ShapeIndex => (cache as unknown as { methodShapes(name: string): ShapeIndex }).methodShapes('Catalog.find');
  /** The value of a call, and whether the method ran for it. */
  const call = async (q: Record<string, unknown>): Promise<{ call: number; ran: boolean }> => {
    const before = calls;
    const result = await catalog.find(q);
    return { call: result.call, ran: calls > before };
  };

  beforeEach(() => {
    cache = createCache({ namespace: 'shapes', l1: { maxEntries: 50 }, earlyRefresh: false });
    calls = 0;
    catalog = new Catalog();
  });
  afterEach(() => cache.close());

  it('files an entry at its first hit and serves the next hits of equal objects from it', async () => {
    const miss = await call({ id: 1, kind: 'book' });
    expect(shapes().census().entries, 'a miss files nothing: the encoded key serves the first hit').to.equal(0);
    expect(await call({ id: 1, kind: 'book' })).to.deep.equal({ call: miss.call, ran: false });
    expect(shapes().census().entries).to.equal(1);
    for (let i = 0; i < 3; i++) expect(await call({ id: 1, kind: 'book' })).to.deep.equal({ call: miss.call, ran: false });
    expect(cache.stats().hits.l1).to.equal(4);
  });

  it('agrees with the canonical key on every value a Map and the encoding might see differently', async () => {
    const pairs: [Record<string, unknown>, Record<string, unknown>, boolean][] = [
      [{ id: 0 }, { id: -0 }, true],
      [{ id: Number.NaN }, { id: Number.NaN }, true],
      [{ id: 1 }, { id: '1' }, false],
      [{ id: true }, { id: 'true' }, false],
      [{ id: null }, { id: 'null' }, false],
      [{ id: 1n }, { id: 1 }, false],
      [{ id: 2n }, { id: 2n }, true],
      [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
      [{ a: 1, b: undefined }, { a: 1 }, true],
      [{ a: undefined }, {}, true],
    ];
    for (const [first, second, same] of pairs) {
      expect(cacheKeyOf(catalog.find, first) === cacheKeyOf(catalog.find, second), `the keys of ${String(Object.keys(first))} and ${String(Object.keys(second))}`).to.equal(same);
      const a = await call(first);
      await call(first); // filed now
      const b = await call(second);
      const again = await call(second);
      expect(b.call === a.call, `${JSON.stringify(Object.keys(second))}: same entry`).to.equal(same);
      expect(again).to.deep.equal({ call: b.call, ran: false });
    }
  });

  it('never serves an entry L1 let go of: invalidated, deleted, replaced or evicted', async () => {
    const first = await call({ id: 1, kind: 'book' });
    await call({ id: 1, kind: 'book' });
    await cache.invalidateTags(['kind:book']);
    const afterInvalidation = await call({ id: 1, kind: 'book' });
    expect(afterInvalidation.ran).to.equal(true);
    await call({ id: 1, kind: 'book' });
    await cache.delete(cacheKeyOf(catalog.find, { id: 1, kind: 'book' }));
    expect((await call({ id: 1, kind: 'book' })).ran, 'after delete').to.equal(true);
    expect(first.call).to.not.equal(afterInvalidation.call);
  });

  it('lets go of what L1 evicts, with the maps it leaves empty: it never holds more than L1', async () => {
    for (let id = 0; id < 200; id++) {
      await call({ id, kind: `k${id % 7}` });
      await call({ id, kind: `k${id % 7}` });
    }
    const { entries, maps } = shapes().census();
    expect(entries, 'at most what L1 (50 entries) holds').to.be.at.most(50);
    expect(maps, 'one root and one map per id still held').to.be.at.most(entries + 1);
    await cache.clear();
    expect(shapes().census()).to.deep.equal({ entries: 0, maps: 1 });
  });

  it('takes the encoded key for anything but a flat plain object, and is still right', async () => {
    class Query {
      constructor(readonly id: number) {}
    }
    const args: Record<string, unknown>[] = [
      { id: 1, filter: { tag: 'a' } },
      { ids: [1, 2] },
      { at: new Date(0) },
      new Query(1) as unknown as Record<string, unknown>,
      Object.assign(Object.create(null) as object, { id: 9 }),
    ];
    for (const q of args) {
      const first = await call(q);
      expect(await call(q)).to.deep.equal({ call: first.call, ran: false });
      expect(await call(q)).to.deep.equal({ call: first.call, ran: false });
    }
    expect(shapes().census().entries, 'only the null-prototype object is filed').to.equal(1);
  });

  it('remembers at most 4 shapes per method; other shapes are still served by their encoded key', async () => {
    const objects = [{ a: 1 }, { b: 1 }, { c: 1 }, { d: 1 }, { e: 1 }, { f: 1 }];
    for (const q of objects) {
      const first = await call(q);
      for (let i = 0; i < 2; i++) expect(await call(q)).to.deep.equal({ call: first.call, ran: false });
    }
    expect(shapes().census().entries).to.equal(4);
    expect(calls).to.equal(6);
  });

  it('gives no shape to objects it cannot file: nested ones leave the slots to flat ones', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      const nested = { [name]: { deep: 1 } };
      await call(nested);
      await call(nested);
    }
    await call({ id: 1 });
    const hit = await call({ id: 1 });
    expect(hit.ran).to.equal(false);
    expect(shapes().census()).to.deep.equal({ entries: 1, maps: 1 });
  });

  it('sees an object changed after a call as the new value it is', async () => {
    const q: Record<string, unknown> = { id: 1, kind: 'book' };
    const first = await call(q);
    await call(q);
    q['id'] = 2;
    const changed = await call(q);
    expect(changed.ran).to.equal(true);
    expect(changed.call).to.not.equal(first.call);
  });
});
