import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { ReplyError } from 'ioredis';
import { createCache, RateLimited, RateLimitError, type CacheEngine } from '../../lib/index.js';
import { ACQUIRE_LOCK } from '../../lib/lock/lock-scripts.js';
import { BUMP_TAG } from '../../lib/tags/tag-scripts.js';
import { FakeClock, MemoryRedisServer, UnsupportedCommandError, type MemoryRedis } from '../../lib/testing/index.js';
import { once, waitFor } from '../helpers/events.js';

/** The SHA1 RedisScript sends with EVALSHA, computed from the body the way Redis does. */
const sha1 = (body: string): string => createHash('sha1').update(body).digest('hex');

/** Awaits `promise` and returns its rejection, failing the test if it resolved. */
async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  return expect.fail('expected a rejection');
}

describe('MemoryRedisServer and MemoryRedis', () => {
  let server: MemoryRedisServer;
  let clock: FakeClock;
  let clients: MemoryRedis[] = [];
  const client = (): MemoryRedis => {
    const made = server.client();
    clients.push(made);
    return made;
  };

  beforeEach(() => {
    clock = new FakeClock();
    server = new MemoryRedisServer({ clock });
  });
  afterEach(() => {
    for (const made of clients) made.disconnect();
    clients = [];
  });

  describe('a new client', () => {
    it('is connecting, then ready, like an ioredis client', async () => {
      const redis = client();
      expect(redis.status).to.equal('connecting');
      await once(redis, 'ready');
      expect(redis.status).to.equal('ready');
      expect(redis.isCluster).to.equal(false);
    });

    it('queues commands sent before it is ready', async () => {
      const redis = client();
      expect(await redis.set('k', 'v')).to.equal('OK');
      expect(await redis.get('k')).to.equal('v');
    });

    it('passes the engine\'s check for an ioredis client', () => {
      expect(() => createCache({ namespace: 'n', l2: server.l2() })).not.to.throw();
    });
  });

  describe('strings and expiry', () => {
    it('GET, SET, MGET, DEL, EXISTS and INCR answer as Redis does', async () => {
      const redis = client();
      expect(await redis.get('missing')).to.equal(null);
      expect(await redis.set('a', 1)).to.equal('OK');
      expect(await redis.set('a', 'x', 'NX')).to.equal(null);
      expect(await redis.set('b', 'x', 'XX')).to.equal(null);
      expect(await redis.mget('a', 'b')).to.deep.equal(['1', null]);
      expect(await redis.mget(['a'])).to.deep.equal(['1']);
      expect(await redis.incr('a')).to.equal(2);
      expect(await redis.incr('n')).to.equal(1);
      expect(await redis.exists('a', 'n', 'zz')).to.equal(2);
      expect(await redis.del('a', 'n', 'zz')).to.equal(2);
      await redis.set('s', 'text');
      const error = await rejectionOf(redis.incr('s'));
      expect(error).to.be.instanceOf(ReplyError);
      expect(error.message).to.equal('ERR value is not an integer or out of range');
    });

    it('refuses bad SET options with Redis\'s messages', async () => {
      const redis = client();
      expect((await rejectionOf(redis.set('k', 'v', 'PX', 0))).message).to.equal("ERR invalid expire time in 'set' command");
      expect((await rejectionOf(redis.set('k', 'v', 'PX', 1.5))).message).to.equal('ERR value is not an integer or out of range');
      expect((await rejectionOf(redis.set('k', 'v', 'NX', 'XX'))).message).to.equal('ERR syntax error');
      expect((await rejectionOf(redis.set('k', 'v', 'FOREVER'))).message).to.equal('ERR syntax error');
    });

    it('expires keys on the server\'s clock: PX, EX, PTTL, PEXPIRE, KEEPTTL', async () => {
      const redis = client();
      await redis.set('px', 'v', 'PX', 1000);
      await redis.set('ex', 'v', 'EX', 2);
      await redis.set('plain', 'v');
      expect(await redis.pttl('px')).to.equal(1000);
      expect(await redis.pttl('plain')).to.equal(-1);
      expect(await redis.pttl('missing')).to.equal(-2);
      clock.advance(1000);
      expect(await redis.get('px')).to.equal('v'); // gone only once now > expiry, as in Redis
      clock.advance(1);
      expect(await redis.get('px')).to.equal(null);
      expect(await redis.pttl('ex')).to.equal(999);
      await redis.set('ex', 'w', 'KEEPTTL');
      expect(await redis.pttl('ex')).to.equal(999);
      expect(await redis.pexpire('plain', 50)).to.equal(1);
      clock.advance(51);
      expect(server.keys()).to.deep.equal(['ex']);
    });

    it('reads TIME from the server\'s clock', async () => {
      const redis = client();
      clock.set(1_700_000_000_123.456);
      expect(await redis.time()).to.deep.equal(['1700000000', '123456']);
    });

    it('reports its run_id in INFO server, and a new one once replaced', async () => {
      const redis = client();
      const info = await redis.info('server');
      expect(info).to.match(new RegExp(`^run_id:${server.runId}\\r$`, 'm'));
      const before = server.runId;
      server.replace();
      expect(server.runId).not.to.equal(before);
      expect(await redis.info('server')).to.contain(`run_id:${server.runId}`);
      expect(await redis.info('memory')).to.equal('');
    });
  });

  describe('scripts', () => {
    it('answers EVALSHA with NOSCRIPT until the script was sent with EVAL, as a fresh Redis', async () => {
      const redis = client();
      const body = await bodyOf(ACQUIRE_LOCK);
      const sha = sha1(body);
      const error = await rejectionOf(redis.evalsha(sha, 1, 'lock', 'token', 1000));
      expect(error).to.be.instanceOf(ReplyError);
      expect(error.message).to.match(/^NOSCRIPT/);
      expect(await redis.eval(body, 1, 'lock', 'token', 1000)).to.deep.equal([1]);
      expect(await redis.evalsha(sha, 1, 'lock', 'other', 1000)).to.deep.equal([0, 'token', 1000]);
      expect(await redis.script('EXISTS', sha, 'f'.repeat(40))).to.deep.equal([1, 0]);
      expect(await redis.script('FLUSH')).to.equal('OK');
      expect((await rejectionOf(redis.evalsha(sha, 1, 'lock', 'token', 1000))).message).to.match(/^NOSCRIPT/);
      expect(await redis.script('LOAD', body)).to.equal(sha);
      expect(await redis.evalsha(sha, 1, 'lock2', 'token', 1000)).to.deep.equal([1]);
    });

    it('bumps tag versions above TIME in microseconds, strictly increasing on a frozen clock', async () => {
      const redis = client();
      const body = await bodyOf(BUMP_TAG);
      const first = await redis.eval(body, 1, 'tag', 60_000);
      expect(first).to.equal(String(clock.now() * 1000));
      expect(await redis.eval(body, 1, 'tag', 60_000)).to.equal(String(clock.now() * 1000 + 1));
      expect(await redis.pttl('tag')).to.equal(60_000);
    });

    it('refuses a Lua script that is not one of tiercache\'s, naming the gap', async () => {
      const redis = client();
      const error = await rejectionOf(redis.eval("return redis.call('GET', KEYS[1])", 1, 'k'));
      expect(error).to.be.instanceOf(UnsupportedCommandError);
      expect(error.message).to.match(/runs only tiercache's own Lua scripts \(lock:acquire, .*ratelimit:sliding-window\)/);
    });
  });

  describe('pub/sub', () => {
    it('delivers PUBLISH to SUBSCRIBE as message events, and SPUBLISH to SSUBSCRIBE only', async () => {
      const [subscriber, publisher] = [client(), client()];
      expect(await subscriber.subscribe('plain')).to.equal(1);
      const sharded = subscriber.duplicate();
      clients.push(sharded);
      expect(await sharded.ssubscribe('plain')).to.equal(1);
      const message = once(subscriber, 'message');
      const smessage = once(sharded, 'smessage');
      expect(await publisher.publish('plain', 'hello')).to.equal(1);
      expect(await message).to.deep.equal(['plain', 'hello']);
      expect(await publisher.spublish('plain', 'sharded hello')).to.equal(1);
      expect(await smessage).to.deep.equal(['plain', 'sharded hello']);
      expect(await publisher.publish('nobody', 'x')).to.equal(0);
    });

    it('allows only subscriber commands on a subscribed connection', async () => {
      const subscriber = client();
      await subscriber.subscribe('c');
      expect((await rejectionOf(subscriber.get('k'))).message).to.equal('Connection in subscriber mode, only subscriber commands may be used');
      expect(await subscriber.unsubscribe()).to.equal(0);
      expect(await subscriber.get('k')).to.equal(null);
    });
  });

  describe('commands it does not emulate', () => {
    it('throw UnsupportedCommandError naming the command', () => {
      const redis = client() as unknown as { hgetall(key: string): unknown; pipeline(): unknown; sendCommand(): unknown };
      for (const [call, name] of [
        [() => redis.hgetall('k'), 'HGETALL'],
        [() => redis.pipeline(), 'PIPELINE'],
        [() => redis.sendCommand(), 'SENDCOMMAND'],
      ] as const) {
        expect(call).to.throw(UnsupportedCommandError, new RegExp(`^MemoryRedis does not emulate ${name}: it implements only get, mget, set`));
      }
    });

    it('throw it from call() and for the SET options it does not know', () => {
      const redis = client();
      expect(() => redis.call('HSET', 'k', 'f', 'v')).to.throw(UnsupportedCommandError, /HSET/);
      expect(() => redis.set('k', 'v', 'GET')).to.throw(UnsupportedCommandError, /SET \.\.\. GET/);
    });

    it('still run the supported ones through call()', async () => {
      const redis = client();
      expect(await redis.call('SET', 'k', 'v')).to.equal('OK');
      expect(await redis.call('get', 'k')).to.equal('v');
    });
  });

  describe('the connection', () => {
    it('quit() answers, then ends the connection: close, end', async () => {
      const redis = client();
      await once(redis, 'ready');
      const events: string[] = [];
      for (const event of ['close', 'end']) redis.on(event, () => events.push(event));
      const ended = once(redis, 'end');
      expect(await redis.quit()).to.equal('OK');
      await ended;
      expect(events).to.deep.equal(['close', 'end']);
      expect(redis.status).to.equal('end');
      expect((await rejectionOf(redis.get('k'))).message).to.equal('Connection is closed.');
    });

    it('disconnect(true) reconnects and restores subscriptions', async () => {
      const [subscriber, publisher] = [client(), client()];
      await subscriber.subscribe('c');
      const back = once(subscriber, 'ready');
      subscriber.disconnect(true);
      await back;
      const message = once(subscriber, 'message');
      expect(await publisher.publish('c', 'again')).to.equal(1);
      expect(await message).to.deep.equal(['c', 'again']);
    });
  });

  describe('failures', () => {
    it('pause() holds every command until resume(), which runs them in order', async () => {
      const redis = client();
      await once(redis, 'ready');
      server.pause();
      const order: string[] = [];
      const writes = [redis.set('k', '1').then(() => order.push('set 1')), redis.set('k', '2').then(() => order.push('set 2'))];
      const read = redis.get('k');
      await new Promise((resolve) => setImmediate(resolve));
      expect(order).to.deep.equal([]);
      server.resume();
      await Promise.all(writes);
      expect(await read).to.equal('2');
      expect(order).to.deep.equal(['set 1', 'set 2']);
    });

    it('kill() closes every connection and loses the data; restart() brings an empty server with a new run_id', async () => {
      const redis = client();
      await redis.set('k', 'v');
      const runId = server.runId;
      const closed = once(redis, 'close');
      server.kill();
      await closed;
      expect(redis.status).to.equal('reconnecting');
      expect((await rejectionOf(redis.get('k'))).message).to.match(/server is down/);
      const ready = once(redis, 'ready');
      server.restart();
      await ready;
      expect(await redis.get('k')).to.equal(null);
      expect(server.runId).not.to.equal(runId);
    });

    it('a command in flight when the server is killed fails with "Connection is closed."', async () => {
      const redis = client();
      await once(redis, 'ready');
      server.pause();
      const pending = redis.get('k');
      server.kill();
      expect((await rejectionOf(pending)).message).to.equal('Connection is closed.');
      server.restart();
    });
  });

  describe('under an engine', () => {
    const engines: CacheEngine[] = [];
    afterEach(async () => {
      await Promise.all(engines.splice(0).map((engine) => engine.close()));
    });
    const engine = async (options: { clock?: FakeClock; redisTimeout?: number } = {}): Promise<CacheEngine> => {
      const made = createCache({
        namespace: 'unit',
        l2: server.l2(),
        earlyRefresh: false,
        ttlJitter: 0,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
        defaults: { redisTimeout: options.redisTimeout ?? 250 },
      });
      engines.push(made);
      expect(await made.ready()).to.deep.equal({ l2: 'connected', bus: 'connected' });
      return made;
    };

    it('notices a server replaced behind an open connection (run_id) and subscribes again', async () => {
      const cache = await engine();
      const replaced = new Promise<unknown>((resolve) => cache.once('redis:replaced', resolve));
      const before = server.runId;
      server.replace();
      expect(await replaced).to.deep.equal({ previousRunId: before, runId: server.runId });
      await waitFor(() => cache.stats().bus.state === 'connected', { what: 'the bus to subscribe again' });
    });

    it('answers without L2 while the server is paused, within redisTimeout', async () => {
      const cache = await engine({ redisTimeout: 50 });
      const errors: string[] = [];
      cache.on('error', (error) => errors.push(error.message));
      server.pause();
      let runs = 0;
      expect(await cache.getOrSet('k', async () => ++runs)).to.equal(1);
      expect(errors.some((message) => message.includes('did not answer'))).to.equal(true);
      server.resume();
    });

    it('refills rate-limit buckets on the server\'s FakeClock, without waiting', async () => {
      const cache = await engine({ clock });
      class Api {
        @RateLimited({ cache, limit: 2, window: '1m', algorithm: 'fixed-window' })
        async call(): Promise<string> {
          return 'ok';
        }
      }
      const api = new Api();
      clock.set(Math.ceil(clock.now() / 60_000) * 60_000); // the start of a window
      await api.call();
      await api.call();
      const refused = await rejectionOf(api.call());
      expect(refused).to.be.instanceOf(RateLimitError);
      expect((refused as RateLimitError).retryAfterMs).to.equal(60_000);
      clock.advance('1m');
      expect(await api.call()).to.equal('ok');
    });

    it('expires L2 entries and locks on the server\'s FakeClock', async () => {
      const cache = await engine({ clock });
      await cache.set('k', 'v', { ttl: '1s', grace: '1s' });
      expect(server.keys()).to.deep.equal(['unit:1:0:{k}']);
      clock.advance(2001);
      expect(server.keys()).to.deep.equal([]);
    });

    it('leaves no connection open once the engine is closed, but the client it was given', async () => {
      await engine();
      expect(server.connections).to.equal(2); // the engine's client and the bus's subscriber
      await Promise.all(engines.splice(0).map((made) => made.close()));
      expect(server.connections).to.equal(1); // given, so never quit by the engine
    });
  });
});

/** A script's body, as RedisScript sends it with EVAL after a NOSCRIPT. */
async function bodyOf(script: typeof ACQUIRE_LOCK): Promise<string> {
  let body = '';
  const recorder = {
    evalsha: () => Promise.reject(new Error('NOSCRIPT No matching script.')),
    eval: (text: string) => {
      body = text;
      return Promise.resolve(null);
    },
  };
  await script.run(recorder as never, 'k', []);
  return body;
}
