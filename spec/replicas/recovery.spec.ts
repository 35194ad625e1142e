import { expect } from 'chai';
import type { Replica } from '../helpers/replica.js';
import { useShop } from './shop.js';

describe('replicas: auto-recovery after Redis was down', () => {
  // The database lives on a Redis of its own, so the cache's Redis can be killed. A reaches the
  // cache's Redis through the proxy, so the test can hold it back until B and C are listening again.
  const shop = useShop({ kind: 'redis', separateDb: true, proxied: [0] });

  it('invalidations made on A while Redis is stopped reach B and C once Redis is back', async function () {
    this.timeout(30_000);
    const [a, b, c] = shop().replicas as [Replica, Replica, Replica];
    const redis = shop().redis!;
    const proxy = shop().proxy!;
    const ids = [20, 21];
    const tags = ids.map((id) => `product:${id}`);
    await a.call('seed', { 20: 0, 21: 0 });
    for (const replica of shop().replicas) for (const id of ids) expect(await replica.call('get', id)).to.include({ value: 0 });

    await redis.kill();
    await Promise.all(shop().replicas.map((replica) => replica.call('waitBus', 'unavailable')));
    proxy.cut({ mode: 'reset' });
    for (const id of ids) await a.call('update', id, 1);
    // Resolved after the local invalidation, queued, and reported.
    expect(await a.call('stats')).to.nested.include({ 'bus.queued': 2 });
    const errors = await a.call<{ message: string }[]>('waitErrors', 'invalidateTags', 2);
    expect(errors[0]!.message).to.match(/queued/);
    // Meanwhile the others are slower, not staler (maxStaleness 0): they read the database.
    expect(await b.call('get', 20)).to.include({ value: 1 });
    expect(await a.call('get', 21)).to.include({ value: 1 });

    await redis.restart();
    await Promise.all([b.call('waitBus', 'connected', 10_000), c.call('waitBus', 'connected', 10_000)]);
    proxy.heal();
    // A reconnects, replays its queue; B and C hear it.
    await Promise.all([b.call('waitRemote', tags, 10_000), c.call('waitRemote', tags, 10_000)]);
    await a.call('waitBus', 'connected', 10_000);
    expect(await a.call('stats')).to.nested.include({ 'bus.queued': 0 });
    for (const replica of [b, c]) {
      const heard = await replica.call<Record<string, number[]>>('remoteInvalidations', tags);
      for (const tag of tags) expect(heard[tag], `${tag} heard once`).to.have.length(1);
    }
    // The tags have new versions in the new Redis.
    for (const tag of tags) expect(await shop().raw().get(`${shop().namespace}:tag:{${tag}}`)).to.be.a('string').and.not.equal('0');
    for (const replica of shop().replicas) for (const id of ids) expect(await replica.call('get', id)).to.include({ value: 1 });
  });
});
