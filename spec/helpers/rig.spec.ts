import { EventEmitter } from 'node:events';
import { expect } from 'chai';
import { FakeClock } from '../../lib/testing/index.js';
import { once, waitFor } from './events.js';
import { freePort } from './free-port.js';
import { useRedis } from './redis-server.js';
import { startProxy, type TcpProxy } from './tcp-proxy.js';

/** ioredis retries with a growing delay; tests want it back quickly once the fault is gone. */
const fastRetry = { retryStrategy: () => 20 } as const;

describe('the test rig', () => {
  describe('startRedis', () => {
    const redis = useRedis();

    it('starts a private server on a free port that answers PING', async () => {
      const server = redis();
      expect(server.port).to.not.equal(6379);
      expect(server.url).to.equal(`redis://127.0.0.1:${server.port}`);
      const client = server.client();
      expect(await client.ping()).to.equal('PONG');
      expect(await client.config('GET', 'save')).to.deep.equal(['save', '']);
      expect(await client.config('GET', 'appendonly')).to.deep.equal(['appendonly', 'no']);
    });

    describe('when killed and restarted', () => {
      it('comes back on the same port, and an ioredis client reconnects by itself', async () => {
        const server = redis();
        const client = server.client(fastRetry);
        const runIdBefore = runId(await client.info('server'));
        const closed = once(client, 'close');

        await server.kill();
        await closed;
        // Queued by ioredis while offline, sent once it reconnects.
        const pending = client.ping();
        const ready = once(client, 'ready');
        await server.restart();
        await ready;

        expect(await pending).to.equal('PONG');
        expect(runId(await client.info('server'))).to.not.equal(runIdBefore);
      });
    });

    describe('when paused', () => {
      it('makes a command time out, and resume lets a waiting one finish', async () => {
        const server = redis();
        const impatient = server.client({ commandTimeout: 200 });
        const patient = server.client();
        await Promise.all([impatient.ping(), patient.ping()]);
        let closes = 0;
        impatient.on('close', () => (closes += 1));

        server.pause();
        try {
          const waiting = patient.ping();
          await expectRejection(impatient.ping(), /Command timed out/);
          // A frozen server keeps its sockets open: ioredis sees no close, only silence.
          expect(closes).to.equal(0);
          server.resume();
          expect(await waiting).to.equal('PONG');
          expect(await impatient.ping()).to.equal('PONG');
        } finally {
          server.resume();
        }
      });
    });
  });

  describe('startProxy', () => {
    const redis = useRedis();
    let proxy: TcpProxy;

    beforeEach(async () => {
      proxy = await startProxy(redis().port);
    });
    afterEach(async () => {
      await proxy.close();
      expect(proxy.connections).to.equal(0);
    });

    describe("when cut with mode 'reset'", () => {
      it('resets open and new connections until healed', async () => {
        const client = redis().client({ port: proxy.port, ...fastRetry });
        expect(await client.ping()).to.equal('PONG');
        const errors: Error[] = [];
        client.on('error', (error: Error) => errors.push(error));

        const closed = once(client, 'close');
        proxy.cut({ mode: 'reset' });
        await closed;
        const pending = client.ping();
        // Several reconnect attempts, each reset by the proxy, before healing.
        await waitFor(() => errors.length >= 2, { what: 'two failed reconnects' });
        expect(errors.map((error) => (error as NodeJS.ErrnoException).code)).to.include('ECONNRESET');

        const ready = once(client, 'ready');
        proxy.heal();
        await ready;
        expect(await pending).to.equal('PONG');
      });
    });

    describe("when cut with mode 'blackhole'", () => {
      it('stalls open connections silently and delivers once healed', async () => {
        const client = redis().client({ port: proxy.port, commandTimeout: 200 });
        expect(await client.ping()).to.equal('PONG');
        let closes = 0;
        client.on('close', () => (closes += 1));

        proxy.cut({ mode: 'blackhole' });
        await expectRejection(client.ping(), /Command timed out/);
        expect(closes).to.equal(0);

        proxy.heal();
        // The timed-out PING's reply arrives too, and is matched to it: replies stay in step.
        expect(await client.echo('after')).to.equal('after');
        expect(closes).to.equal(0);
      });

      it('accepts new connections but holds them until healed', async () => {
        proxy.cut({ mode: 'blackhole' });
        const client = redis().client({ port: proxy.port });
        await once(client, 'connect');
        expect(client.status).to.equal('connect'); // TCP is up; the ready check is stuck.

        const ready = once(client, 'ready');
        proxy.heal();
        await ready;
        expect(await client.ping()).to.equal('PONG');
      });
    });

    describe('when retargeted', () => {
      const other = useRedis();

      it('switches open connections to the other server between replies, without a close', async () => {
        const client = redis().client({ port: proxy.port });
        const subscriber = redis().client({ port: proxy.port });
        await Promise.all([client.set('where', 'first'), other().client().set('where', 'second')]);
        await subscriber.subscribe('ch');
        let closes = 0;
        for (const c of [client, subscriber]) c.on('close', () => (closes += 1));
        // Requests keep coming while the proxy switches, four in flight at any time: each must
        // get its own reply, none lost with the old upstream connection.
        let stop = false;
        let answered = 0;
        const traffic = Promise.all(
          [0, 1, 2, 3].map(async (lane) => {
            for (let i = 0; !stop; i++) {
              expect(await client.echo(`${lane}:${i}`)).to.equal(`${lane}:${i}`);
              answered += 1;
            }
          }),
        );
        await waitFor(() => answered >= 10, { what: 'ten replies before the switch' });

        // A reply the old server is sure to owe when the switch is asked for: it must still arrive.
        const blocked = client.blpop('nothing', 0.5);
        const first = redis().client();
        await waitFor(async () => /^blocked_clients:1\r?$/m.test(await first.info('clients')), { what: 'the BLPOP blocked on the first server' });
        await proxy.retarget(other().port);
        expect(await blocked).to.equal(null);
        expect(proxy.targetPort).to.equal(other().port);
        const switchedAt = answered;
        await waitFor(() => answered >= switchedAt + 10, { what: 'ten replies after the switch' });
        stop = true;
        await traffic;
        expect(await client.get('where')).to.equal('second');
        // The subscription stayed on the old server: the new one has never heard of it.
        expect(await other().client().publish('ch', 'hello')).to.equal(0);
        expect(closes).to.equal(0);
        expect(proxy.connections).to.equal(2);

        // New connections go to the other server too.
        const late = redis().client({ port: proxy.port });
        expect(await late.get('where')).to.equal('second');
      });
    });
  });

  describe('freePort', () => {
    it('returns a port that can be listened on', async () => {
      const port = await freePort();
      expect(port).to.be.within(1024, 65535);
    });
  });

  describe('once', () => {
    it('resolves with the arguments of the first matching emission', async () => {
      const emitter = new EventEmitter();
      const received = once(emitter, 'message', { filter: (channel) => channel === 'b' });
      emitter.emit('message', 'a', 1);
      emitter.emit('message', 'b', 2);
      expect(await received).to.deep.equal(['b', 2]);
      expect(emitter.listenerCount('message')).to.equal(0);
    });

    it('fails with a message naming the event after the timeout', async () => {
      const emitter = new EventEmitter();
      await expectRejection(once(emitter, 'ready', { timeoutMs: 20 }), /timed out after 20 ms waiting for a 'ready' event/);
      expect(emitter.listenerCount('ready')).to.equal(0);
    });
  });

  describe('waitFor', () => {
    it('resolves with the first truthy value', async () => {
      let polls = 0;
      expect(await waitFor(() => (++polls >= 3 ? polls : 0), { intervalMs: 1 })).to.equal(3);
    });

    it('fails with a message saying what was awaited, and the last error as cause', async () => {
      const failure = waitFor(
        () => {
          throw new Error('not yet');
        },
        { timeoutMs: 30, what: 'the cache to be warm' },
      );
      await expectRejection(failure, /waiting for the cache to be warm; last error: Error: not yet/);
    });
  });

  describe('FakeClock', () => {
    it('starts at a fixed time and moves only when told', () => {
      const clock = new FakeClock();
      expect(clock.now()).to.equal(1_700_000_000_000);
      clock.advance(1500);
      expect(clock.now()).to.equal(1_700_000_001_500);
      clock.set(5);
      expect(clock.now()).to.equal(5);
      expect(new FakeClock(42).now()).to.equal(42);
    });

    it('refuses to go backwards by advance, or to a time that is not a finite number', () => {
      const clock = new FakeClock();
      expect(() => clock.advance(-1)).to.throw(RangeError, 'ms must be >= 0, got -1');
      expect(() => clock.advance(Number.NaN)).to.throw(RangeError, 'finite number');
      expect(() => clock.set(Number.POSITIVE_INFINITY)).to.throw(RangeError, 'finite number');
      expect(clock.now()).to.equal(1_700_000_000_000);
    });
  });
});

function runId(info: string): string | undefined {
  return /run_id:(\w+)/.exec(info)?.[1];
}

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).message).to.match(message);
    return;
  }
  expect.fail(`expected a rejection matching ${String(message)}`);
}
