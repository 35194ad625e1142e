import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { Redis, type Cluster } from 'ioredis';
import { once } from './events.js';
import type { EchoInit } from './fixtures/echo-replica.js';
import { useCluster } from './redis-cluster.js';
import { startReplica, useReplicas } from './replica.js';

const ECHO = new URL('./fixtures/echo-replica.js', import.meta.url);

describe('the multi-process rig', () => {
  describe('startCluster', () => {
    const cluster = useCluster();
    /** Plain connections to one node (no redirections), closed after each test. */
    const direct: Redis[] = [];
    afterEach(() => {
      for (const client of direct.splice(0)) client.disconnect();
    });
    function directClient(host: string, port: number): Redis {
      const client = new Redis({ host, port });
      direct.push(client);
      return client;
    }

    it('runs three masters that share all 16384 slots', async () => {
      const client = cluster().client();
      const ranges = await slotRanges(client);
      const owners = new Set(ranges.map(({ port }) => port));
      const slots = ranges.reduce((sum, { from, to }) => sum + to - from + 1, 0);

      expect(slots).to.equal(16384);
      expect([...owners].sort()).to.deep.equal(cluster().nodes.map(({ port }) => port).sort());
      for (const { host, port } of cluster().nodes) {
        const info = String(await directClient(host, port).call('CLUSTER', 'INFO'));
        expect(info).to.include('cluster_state:ok').and.include('cluster_known_nodes:3');
      }
    });

    it('stores and reads keys that live on different masters', async () => {
      const client = cluster().client();
      const keys = await keysOnEveryMaster(cluster().client());
      for (const [port, key] of keys) await client.set(key, `on ${port}`);

      for (const [port, key] of keys) {
        expect(await client.get(key)).to.equal(`on ${port}`);
        // Really on that master, not merely reachable through redirections.
        expect(await directClient('127.0.0.1', port).call('GET', key)).to.equal(`on ${port}`);
      }
      // The rule the engine lives by: a multi-key command must stay within one slot.
      const [first, second] = [...keys.values()];
      await expectRejection(client.mget(first!, second!), /CROSSSLOT|All keys in the pipeline should belong to the same slot/);
      await client.set('{entry:1}:value', 'v');
      await client.set('{entry:1}:lock', 'l');
      expect(await client.mget('{entry:1}:value', '{entry:1}:lock')).to.deep.equal(['v', 'l']);
    });

    describe('sharded pub/sub', () => {
      it("delivers an SPUBLISH on any slot to a client with shardedSubscribers as 'smessage'", async () => {
        const subscriber = cluster().client({ shardedSubscribers: true });
        const publisher = cluster().client();
        // A channel hashes to a slot like a key does: one channel per master.
        const onEveryMaster = [...(await keysOnEveryMaster(publisher, 'bus:')).values()];
        expect(onEveryMaster).to.have.length(3);
        for (const channel of onEveryMaster) await subscriber.ssubscribe(channel);

        for (const channel of onEveryMaster) {
          const received = once(subscriber, 'smessage', { filter: (ch) => ch === channel });
          expect(await publisher.spublish(channel, `hello ${channel}`)).to.equal(1);
          expect((await received).slice(0, 2)).to.deep.equal([channel, `hello ${channel}`]);
        }
      });

      it('delivers what redis-cli publishes in cluster mode', async () => {
        const subscriber = cluster().client({ shardedSubscribers: true });
        await subscriber.ssubscribe('from-cli');
        const received = once(subscriber, 'smessage', { filter: (ch) => ch === 'from-cli' });
        const { port } = cluster().nodes[0]!;
        // -c follows the MOVED redirection to the master that owns the channel's slot.
        await promisify(execFile)('redis-cli', ['-c', '-p', String(port), 'SPUBLISH', 'from-cli', 'hi']);
        expect((await received).slice(0, 2)).to.deep.equal(['from-cli', 'hi']);
      });
    });
  });

  describe('replicas', () => {
    const replicas = useReplicas(2, ECHO, (index): EchoInit => ({ index }));

    it('runs each replica in its own process, set up with its own init payload', async () => {
      const answers = await Promise.all(replicas().map((replica) => replica.call<{ pid: number; index: number }>('whoami')));

      expect(answers.map(({ index }) => index)).to.deep.equal([0, 1]);
      expect(answers.map(({ pid }) => pid)).to.deep.equal(replicas().map(({ pid }) => pid));
      expect(new Set([process.pid, ...answers.map(({ pid }) => pid)]).size).to.equal(3);
    });

    it('passes arguments and results as JSON', async () => {
      const [replica] = replicas();
      const value = { list: [1, 'two', null], nested: { ok: true }, dropped: undefined, when: new Date(0) };
      expect(await replica!.call('echo', value)).to.deep.equal({ list: [1, 'two', null], nested: { ok: true }, when: '1970-01-01T00:00:00.000Z' });
      expect(await replica!.call('echo')).to.equal(undefined);
    });

    it("rejects a call whose handler throws with the child's name, message, code and properties", async () => {
      const error = await rejectionOf(replicas()[0]!.call('fail', 'no luck', 'E_ECHO'));

      expect(error).to.be.an.instanceOf(Error);
      expect(error).to.include({ name: 'EchoError', message: 'no luck', code: 'E_ECHO', key: 'the-key' });
      expect(error.cause).to.be.an.instanceOf(Error).and.include({ name: 'RangeError', message: 'the root cause' });
      expect(error.stack).to.include(`in replica pid ${replicas()[0]!.pid}`).and.include('echo-replica');
      expect(error.stack).to.include('rig-cluster.spec');
    });

    it('rejects an unknown handler, a thrown non-error and a result JSON cannot carry, and keeps serving', async () => {
      const [replica] = replicas();
      expect(await rejectionOf(replica!.call('nope'))).to.include({ code: 'REPLICA_NO_HANDLER' });
      expect((await rejectionOf(replica!.call('throwString'))).message).to.equal('a non-error was thrown: "not an error"');
      expect(await rejectionOf(replica!.call('bigint'))).to.include({ name: 'TypeError', code: 'REPLICA_NOT_JSON' });
      expect(await replica!.call('echo', 'still here')).to.equal('still here');
    });

    describe('when a replica is killed with SIGKILL', () => {
      it('rejects its pending calls, emits exit, and rejects later calls at once', async () => {
        const replica = await startReplica(ECHO, { index: 7 } satisfies EchoInit);
        const exit = once(replica, 'exit');
        const pending = replica.call('hang');

        await replica.kill();

        expect(await rejectionOf(pending)).to.include({ code: 'REPLICA_EXITED' }).and.have.property('message').that.includes('signal SIGKILL');
        expect(await exit).to.deep.equal([null, 'SIGKILL']);
        expect(replica.exited).to.equal(true);
        expect(await rejectionOf(replica.call('echo', 1))).to.include({ code: 'REPLICA_EXITED' });
        await replica.close(); // a no-op on a dead replica
      });
    });

    describe('when a replica is closed', () => {
      let dir: string;
      beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), 'tiercache-replica-'));
      });
      afterEach(() => rmSync(dir, { recursive: true, force: true }));

      it("runs the handlers' close() and exits with code 0", async () => {
        const closeMarker = join(dir, 'closed');
        const replica = await startReplica(ECHO, { index: 0, closeMarker } satisfies EchoInit);
        const exit = once(replica, 'exit');

        await Promise.all([replica.close(), replica.close()]);

        expect(await exit).to.deep.equal([0, null]);
        expect(readFileSync(closeMarker, 'utf8')).to.equal(`closed by ${replica.pid}`);
        expect(await rejectionOf(replica.call('echo', 1))).to.include({ code: 'REPLICA_EXITED' });
      });

      it('rejects with the error close() threw, once the child has exited', async () => {
        const replica = await startReplica(ECHO, { index: 0, failClose: 'cannot let go' } satisfies EchoInit);
        expect(await rejectionOf(replica.close())).to.include({ message: 'cannot let go' });
        expect(replica.exited).to.equal(true);
        expect(existsSync(join(dir, 'closed'))).to.equal(false);
      });
    });

    describe('when a replica crashes', () => {
      for (const kind of ['uncaughtException', 'unhandledRejection'] as const) {
        it(`reports an ${kind} as an 'error' event and rejects pending calls`, async () => {
          const replica = await startReplica(ECHO, { index: 0 } satisfies EchoInit);
          // Without this listener the crash would be thrown here, failing the test: the default.
          const crashed = once(replica, 'error');
          const pending = replica.call('hang');

          expect(await replica.call('crashSoon', kind)).to.equal('crashing');
          const [error] = (await crashed) as [Error & { code: string }];

          expect(error.code).to.equal('REPLICA_CRASHED');
          expect(error.message).to.equal(`replica pid ${replica.pid} died of an ${kind}: boom, ${kind === 'uncaughtException' ? 'uncaught' : 'unhandled'}`);
          expect(await rejectionOf(pending)).to.include({ code: 'REPLICA_EXITED' }).and.have.property('cause', error);
          expect(replica.exited).to.equal(true);
        });
      }
    });

    describe('when setup throws', () => {
      it("rejects startReplica with the child's error", async () => {
        const error = await rejectionOf(startReplica(ECHO, { index: 0, failSetup: 'no database' } satisfies EchoInit));
        expect(error).to.include({ message: 'no database', code: 'ESETUP' });
      });
    });
  });
});


/** The slot ranges and the port of the master that owns each, from CLUSTER SLOTS. */
async function slotRanges(client: Cluster): Promise<{ from: number; to: number; port: number }[]> {
  return (await client.cluster('SLOTS')).map(([from, to, master]) => {
    if (master === undefined) throw new Error(`slots ${from}-${to} have no master`);
    return { from, to, port: master[1] };
  });
}

/** For each master's port, a key (with `prefix`) whose slot that master owns. */
async function keysOnEveryMaster(client: Cluster, prefix = 'key:'): Promise<Map<number, string>> {
  const ranges = await slotRanges(client);
  const keys = new Map<number, string>();
  for (let i = 0; keys.size < ranges.length; i += 1) {
    const key = `${prefix}${i}`;
    const slot = Number(await client.cluster('KEYSLOT', key));
    const owner = ranges.find(({ from, to }) => slot >= from && slot <= to)?.port;
    if (owner === undefined) throw new Error(`slot ${slot} of ${key} has no master`);
    if (!keys.has(owner)) keys.set(owner, key);
  }
  return keys;
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  return expect.fail('expected a rejection');
}

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  expect((await rejectionOf(promise)).message).to.match(message);
}
