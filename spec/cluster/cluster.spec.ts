import { expect } from 'chai';
import { createCache, type CacheEngine } from '../../lib/index.js';
import { nextEvent } from '../helpers/engines.js';
import { waitFor } from '../helpers/events.js';
import { useCluster } from '../helpers/redis-cluster.js';

describe('on a three-master Redis Cluster', () => {
  const cluster = useCluster();
  const engines: CacheEngine[] = [];
  let run = 0;

  async function replica(): Promise<CacheEngine> {
    const engine = createCache({ namespace: `cl${run}`, l2: { cluster: cluster().nodes }, earlyRefresh: false });
    engines.push(engine);
    expect(await engine.ready()).to.deep.equal({ l2: 'connected', bus: 'connected' });
    return engine;
  }

  beforeEach(() => run++);
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.close()));
  });

  it('stores entries across slots and reads them from another replica', async () => {
    const [a, b] = [await replica(), await replica()];
    for (let i = 0; i < 20; i++) await a.getOrSet(`key${i}`, async () => i);
    for (let i = 0; i < 20; i++) expect(await b.getOrSet(`key${i}`, async () => -1)).to.equal(i);
    expect(b.stats().hits.l2).to.equal(20);
  });

  it('invalidates tags and deletes on every replica through sharded pub/sub', async () => {
    const [a, b] = [await replica(), await replica()];
    let version = 1;
    const load = (cache: CacheEngine) => cache.getOrSet('p1', async () => version, { tags: ['product:1'] });
    await load(a);
    expect(await load(b)).to.equal(1);
    version = 2;
    const heard = nextEvent(b, 'invalidate', (e: { remote: boolean }) => e.remote);
    await a.invalidateTags(['product:1']);
    await heard;
    expect(await load(b)).to.equal(2);
    const deleted = nextEvent(b, 'invalidate', (e: { remote: boolean }) => e.remote);
    await a.delete('p1');
    await deleted;
    version = 3;
    expect(await load(b)).to.equal(3);
  });

  it('runs the method once across replicas for a cold key (the lock)', async () => {
    const [a, b, c] = [await replica(), await replica(), await replica()];
    let calls = 0;
    const factory = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'once';
    };
    const results = await Promise.all([a, b, c].flatMap((engine) => Array.from({ length: 20 }, () => engine.getOrSet('cold', factory))));
    expect(new Set(results)).to.deep.equal(new Set(['once']));
    expect(calls).to.equal(1);
    await waitFor(() => b.stats().lockWaits + c.stats().lockWaits + a.stats().lockWaits >= 2, { what: 'two replicas to have waited on the lock' });
  });

  it('clears every replica', async () => {
    const [a, b] = [await replica(), await replica()];
    await b.getOrSet('k', async () => 'old');
    const cleared = nextEvent(b, 'invalidate', (e: { remote: boolean; reason: string }) => e.remote && e.reason === 'clear');
    await a.clear();
    await cleared;
    expect(await b.getOrSet('k', async () => 'new')).to.equal('new');
  });
});
