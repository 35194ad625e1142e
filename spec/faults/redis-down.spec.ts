import { expect } from 'chai';
import { createCache, type CacheEngine } from '../../lib/index.js';
import { FakeClock } from '../../lib/testing/index.js';
import { waitFor } from '../helpers/events.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

describe('when Redis fails', () => {
  let server: RedisServer;
  let proxy: TcpProxy | undefined;
  let cache: CacheEngine | undefined;
  let run = 0;

  beforeEach(async () => {
    server = await startRedis();
    run++;
  });

  afterEach(async () => {
    await cache?.close();
    cache = undefined;
    await proxy?.close();
    proxy = undefined;
    await server.stop();
  });

  function connected(c: CacheEngine): Promise<unknown> {
    return waitFor(() => {
      const l2 = c.stats().l2;
      return l2 !== false && l2.state === 'connected';
    }, { what: 'L2 connected' });
  }

  describe('when Redis is killed mid-run', () => {
    it('still answers every call, then uses L2 again by itself after a restart', async () => {
      cache = createCache({ namespace: `down${run}`, l2: { redis: server.url }, defaults: { redisTimeout: '200ms' } });
      const errors: Error[] = [];
      cache.on('error', (error) => errors.push(error));
      expect(await cache.ready()).to.deep.equal({ l2: 'connected', bus: 'connected' });
      let calls = 0;
      const load = (key: string) => cache!.getOrSet(key, async () => `${key}:${++calls}`);
      await load('warm');

      const disconnected = new Promise((resolve) => cache!.once('bus:disconnect', resolve));
      await server.kill();
      await disconnected;
      // No call fails and none waits on Redis. With maxStaleness 0 (the default) L1 is not
      // trusted while the bus is down, so even the warm key runs the method again.
      const started = Date.now();
      expect(await load('warm')).to.equal('warm:2');
      for (let i = 0; i < 20; i++) expect(await load(`cold${i}`)).to.equal(`cold${i}:${i + 3}`);
      expect(Date.now() - started).to.be.below(200);

      await server.restart();
      await connected(cache);
      await waitFor(() => cache!.stats().bus.state === 'connected', { what: 'the bus back up' });
      expect(await load('after')).to.equal('after:23');
      const raw = server.client();
      expect(await raw.keys(`down${run}:*{after}`)).to.have.length(1);
      expect(await load('after')).to.equal('after:23');
      expect(cache.stats().hits.l1).to.be.at.least(1);
    });

    it('keeps serving L1 for maxStaleness after the bus went down', async () => {
      cache = createCache({ namespace: `stale${run}`, l2: { redis: server.url }, maxStaleness: '1m', defaults: { redisTimeout: '200ms' } });
      cache.on('error', () => {});
      await cache.ready();
      let calls = 0;
      await cache.getOrSet('warm', async () => ++calls);
      const disconnected = new Promise((resolve) => cache!.once('bus:disconnect', resolve));
      await server.kill();
      await disconnected;
      expect(await cache.getOrSet('warm', async () => ++calls)).to.equal(1);
    });
  });

  describe('with a client it was given, which has an offline queue', () => {
    it('does not let the offline queue make calls wait while Redis is down', async () => {
      const client = server.client(); // ioredis defaults: offline queue on, retries forever
      cache = createCache({ namespace: `given${run}`, l2: { redis: client }, defaults: { redisTimeout: '200ms' } });
      await cache.ready();
      await server.kill();
      await waitFor(() => client.status !== 'ready', { what: 'the client to see the connection close' });
      const started = Date.now();
      for (let i = 0; i < 10; i++) expect(await cache.getOrSet(`k${i}`, async () => i)).to.equal(i);
      expect(Date.now() - started).to.be.below(200);
      await server.restart();
      await connected(cache);
      await cache.getOrSet('back', async () => 'b');
      expect(await server.client().keys(`given${run}:*{back}`)).to.have.length(1);
    });
  });

  describe('when Redis is paused (SIGSTOP)', () => {
    it('answers every call within redisTimeout + 100 ms', async () => {
      cache = createCache({ namespace: `paused${run}`, l2: { redis: server.url }, defaults: { redisTimeout: '200ms' } });
      cache.on('error', () => {});
      await cache.ready();
      await cache.getOrSet('warm', async () => 'w');
      server.pause();
      try {
        for (let i = 0; i < 5; i++) {
          const started = Date.now();
          expect(await cache.getOrSet(`cold${i}`, async () => i)).to.equal(i);
          expect(Date.now() - started, `call ${i}`).to.be.at.most(300);
        }
        const started = Date.now();
        expect(await cache.getOrSet('warm', async () => 'other')).to.equal('w');
        expect(Date.now() - started).to.be.below(50);
      } finally {
        server.resume();
      }
    });
  });

  describe('when the connection is cut silently (blackhole)', () => {
    it('opens the breaker after three timeouts; while open, calls cost no Redis round trip', async () => {
      proxy = await startProxy(server.port);
      const clock = new FakeClock(Date.now());
      cache = createCache({
        namespace: `cut${run}`,
        l2: { redis: `redis://127.0.0.1:${proxy.port}` },
        clock,
        defaults: { redisTimeout: '100ms' },
        breaker: { threshold: 3, cooldown: '10s' },
      });
      cache.on('error', () => {});
      await cache.ready();
      const raw = server.client();
      const gets = async () => Number(/cmdstat_get:calls=(\d+)/.exec(await raw.info('commandstats'))?.[1] ?? 0);
      const before = await gets();

      proxy.cut({ mode: 'blackhole' });
      for (let i = 0; i < 3; i++) await cache.getOrSet(`timeout${i}`, async () => i);
      expect(cache.stats().l2).to.deep.include({ breaker: 'open' });

      const started = Date.now();
      for (let i = 0; i < 50; i++) await cache.getOrSet(`open${i}`, async () => i);
      expect(Date.now() - started, '50 calls with the breaker open').to.be.below(100);

      proxy.heal();
      // The three GETs held by the blackhole arrive now; nothing else was sent while the breaker was open.
      await waitFor(async () => (await gets()) - before >= 3, { what: 'the held GETs' });
      clock.advance(10_001);
      await cache.get('probe'); // the half-open probe: one GET, sent after the held commands
      expect((await gets()) - before).to.equal(4);
      expect(cache.stats().l2).to.deep.include({ breaker: 'closed' });
    });
  });
});
