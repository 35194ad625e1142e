import { expect } from 'chai';
import { waitFor } from '../helpers/events.js';
import { startReplica, type Replica } from '../helpers/replica.js';
import type { SweepSummary, WriteRecord } from './fixtures/shop-replica.js';
import { SHOP, ms, now, percentile, sleep, type Shop } from './shop.js';

/** The bound of DESIGN.md: connected replicas stop returning an invalidated value within 50 ms. */
export const BOUND_MS = 50;
export const LOCK_TIMEOUT_MS = 1_000;
/** Between two read passes over all products in the propagation test: reads enough, without starving the machine. */
const SWEEP_PAUSE_MS = 20;

export interface ShopSuiteOptions {
  /** How many invalidations the propagation test sends. */
  invalidations: number;
}

/** `invalidate` events heard, per tag: when. */
type Heard = Record<string, number[]>;

/**
 * The replica behaviours that must hold on one Redis and on a cluster alike: the bus, tags and
 * `@InvalidatesTags`, the distributed lock. `shop` gives three replicas A, B, C started with
 * `lockTimeout` {@link LOCK_TIMEOUT_MS}.
 */
export function shopSuite(shop: () => Shop, options: ShopSuiteOptions): void {
  const replicas = (): [Replica, Replica, Replica] => shop().replicas as [Replica, Replica, Replica];

  describe('the bus, tags and @InvalidatesTags', () => {
    it('a write through @InvalidatesTags on A is seen by B and C', async () => {
      const [a, b, c] = replicas();
      await a.call('seed', { 1: 0 });
      expect(await b.call('get', 1)).to.include({ value: 0 });
      expect(await c.call('get', 1)).to.include({ value: 0 });
      expect(await a.call('get', 1)).to.include({ value: 0 });
      const before = await productRuns(replicas(), 1);
      expect(before, 'product(1) ran once for the three replicas').to.equal(1);

      await a.call('update', 1, 1);
      expect(await a.call('get', 1), 'the writer, as soon as update() resolved').to.include({ value: 1 });
      await Promise.all([b.call('waitRemote', ['product:1']), c.call('waitRemote', ['product:1'])]);
      expect(await b.call('get', 1)).to.include({ value: 1 });
      expect(await c.call('get', 1)).to.include({ value: 1 });
      // Served from L1 again afterwards: no more runs than the three misses of the update.
      for (const replica of replicas()) expect(await replica.call('get', 1)).to.include({ value: 1 });
      expect(await productRuns(replicas(), 1)).to.be.at.most(before + 3);
    });

    it(`${options.invalidations} invalidations from A reach B and C exactly once each, and reads that start ${BOUND_MS} ms after an update resolved return the new value`, async function () {
      this.timeout(30_000);
      const [a, b, c] = replicas();
      const ids = Array.from({ length: options.invalidations }, (_, i) => 10_000 + i);
      const tags = ids.map((id) => `product:${id}`);
      await a.call('seed', Object.fromEntries(ids.map((id) => [id, 0])));
      // B and C hold every product at version 0 in L1, then keep reading all of them while A writes.
      await Promise.all([b.call('readAll', ids), c.call('readAll', ids)]);
      await Promise.all(replicas().map((replica) => replica.call('loopDelay')));
      await Promise.all([b.call('startSweep', ids, 1, SWEEP_PAUSE_MS), c.call('startSweep', ids, 1, SWEEP_PAUSE_MS)]);
      const writes = await a.call<WriteRecord[]>('updateMany', ids, 1);
      const [heardB, heardC] = await Promise.all([b.call<boolean>('waitRemote', tags, 10_000), c.call<boolean>('waitRemote', tags, 10_000)]).then(() =>
        Promise.all([b.call<Heard>('remoteInvalidations', tags), c.call<Heard>('remoteInvalidations', tags)]),
      );
      // The final pass of each sweep starts at least BOUND_MS after the last update resolved.
      const lastResolved = Math.max(...writes.map(([, , resolvedAt]) => resolvedAt));
      await sleep(Math.max(0, lastResolved + BOUND_MS + 5 - now()));
      const [sweepB, sweepC] = await Promise.all([b.call<Record<string, SweepSummary>>('stopSweep'), c.call<Record<string, SweepSummary>>('stopSweep')]);

      const loops = await Promise.all(replicas().map((replica) => replica.call<{ max: number; p99: number }>('loopDelay')));
      const resolvedAt = new Map(writes.map(([id, , resolved]) => [id, resolved]));
      const startedAt = new Map(writes.map(([id, started]) => [id, started]));
      const propagation: number[] = [];
      const fromStart: number[] = [];
      for (const [name, heard] of [['B', heardB], ['C', heardC]] as const) {
        for (const id of ids) {
          const times = heard[`product:${id}`]!;
          expect(times, `${name} heard product:${id}`).to.have.length(1);
          propagation.push(times[0]! - resolvedAt.get(id)!);
          fromStart.push(times[0]! - startedAt.get(id)!);
        }
      }
      const own = await a.call<Heard>('remoteInvalidations', tags);
      expect(Object.values(own).flat(), 'A never applies its own messages').to.deep.equal([]);
      const local = await a.call<Record<string, number>>('localInvalidations', tags);
      expect(new Set(Object.values(local)), 'A invalidated each tag once').to.deep.equal(new Set([1]));

      // Correctness: no read that started more than BOUND_MS after an update resolved returned the old value.
      const late: string[] = [];
      let reads = 0;
      for (const [name, sweep] of [['B', sweepB], ['C', sweepC]] as const) {
        for (const id of ids) {
          const { lastOldStart, firstNewStart, reads: count } = sweep[id]!;
          reads += count;
          expect(firstNewStart, `${name} read product ${id} at version 1 in the end`).to.be.at.least(0);
          const lateBy = lastOldStart - resolvedAt.get(id)!;
          if (lateBy > BOUND_MS) late.push(`${name}: product ${id} old ${ms(lateBy)} after its update resolved`);
        }
      }
      const spread = writes.length > 1 ? writes[writes.length - 1]![2] - writes[0]![1] : 0;
      console.log(
        `      [${shop().kind}] ${ids.length} invalidations in ${ms(spread)}; propagation A -> B/C after update() resolved: ` +
          `p50 ${ms(percentile(propagation, 50))}, p99 ${ms(percentile(propagation, 99))}, max ${ms(percentile(propagation, 100))} ` +
          `(from the start of update(): p50 ${ms(percentile(fromStart, 50))}, p99 ${ms(percentile(fromStart, 99))}); ${reads} reads checked; ` +
          `event-loop delay max A/B/C ${loops.map(({ max }) => max.toFixed(0)).join('/')} ms`,
      );
      expect(late, 'reads that returned the old value more than the bound after the update').to.deep.equal([]);
    });

    it('no replica applies its own messages, and malformed bus messages are ignored by every replica, which keep working', async () => {
      const [a, b, c] = replicas();
      await a.call('seed', { 3: 0, 4: 0 });
      for (const replica of replicas()) expect(await replica.call('get', 3)).to.include({ value: 0 });
      const runs = await productRuns(replicas(), 3);

      const malformed = [
        '{"not":"a message"', // not JSON
        'null',
        '[]',
        JSON.stringify({ t: 'tags', g: ['product:3'], v: ['x'] }), // no sender
        JSON.stringify({ i: 'intruder', t: 'tags', g: ['product:3'], v: [7] }), // a version that is not a string
        JSON.stringify({ i: 'intruder', t: 'tags', g: ['product:3'], v: [] }), // versions do not match tags
        JSON.stringify({ i: 'intruder', t: 'keys', k: 'Shop.product:3' }), // keys not a list
        JSON.stringify({ i: 'intruder', t: 'clear', n: 'soon' }),
        JSON.stringify({ i: 'intruder', t: 'explode' }),
      ];
      for (const text of malformed) await shop().publishRaw(text);
      const errors = await Promise.all(replicas().map((replica) => replica.call<{ message: string }[]>('waitErrors', 'bus:message', malformed.length)));
      for (const list of errors) {
        expect(list).to.have.length(malformed.length);
        for (const error of list) expect(error.message).to.match(/malformed/);
      }
      // Nothing was applied: product 3 is still served from L1 everywhere, no method ran again.
      for (const replica of replicas()) expect(await replica.call('get', 3)).to.include({ value: 0 });
      expect(await productRuns(replicas(), 3)).to.equal(runs);

      // Still working, and still applying real messages: B writes, A and C see it, B hears nothing of its own.
      for (const replica of replicas()) expect(await replica.call('get', 4)).to.include({ value: 0 });
      await b.call('update', 4, 4);
      await Promise.all([a.call('waitRemote', ['product:4']), c.call('waitRemote', ['product:4'])]);
      expect(await a.call('get', 4)).to.include({ value: 4 });
      expect(await c.call('get', 4)).to.include({ value: 4 });
      expect(await b.call('get', 4)).to.include({ value: 4 });
      expect(await b.call<Heard>('remoteInvalidations', ['product:4'])).to.deep.equal({ 'product:4': [] });
      for (const replica of [a, c]) expect((await replica.call<Heard>('remoteInvalidations', ['product:4']))['product:4']).to.have.length(1);
      for (const replica of replicas()) expect(await replica.call('stats')).to.nested.include({ 'bus.state': 'connected' });
    });

    it('a read that starts after an invalidation never returns what a load started before it read', async () => {
      const [a, , c] = replicas();
      await a.call('seed', { 600: 0, 601: 0 });
      try {
        // Slow queries: each load reads the database, then takes 300 ms more to answer.
        await Promise.all([a.call('setLatency', 300), c.call('setLatency', 300)]);
        const loadA = a.call('get', 600);
        const loadC = c.call('get', 601);
        await Promise.all([a.call('waitDbReads', 600, 1), c.call('waitDbReads', 601, 1)]);

        // On the writer itself: a read that starts once update() resolved.
        await a.call('update', 600, 1);
        const readOnA = a.call<{ value: number; startedAt: number; endedAt: number }>('get', 600);
        // On another replica: a read that starts more than the bound after the update resolved.
        const { resolvedAt } = await a.call<{ resolvedAt: number }>('update', 601, 1);
        await c.call('waitRemote', ['product:601']);
        await sleep(Math.max(0, resolvedAt + BOUND_MS + 5 - now()));
        const onC = await c.call<{ value: number; startedAt: number; endedAt: number }>('get', 601);
        const onA = await readOnA;
        // The loads that started before the updates may answer their own callers with what they read...
        expect(await loadA).to.include({ value: 0 });
        expect(await loadC).to.include({ value: 0 });
        // ...but nobody who came after.
        expect({ onA: onA.value, onC: onC.value }, 'reads started after the invalidation joined a load started before it').to.deep.equal({ onA: 1, onC: 1 });
      } finally {
        await Promise.all([a.call('setLatency', 0), c.call('setLatency', 0)]);
      }
      // And what those loads read is not kept.
      expect(await a.call('get', 600)).to.include({ value: 1 });
      expect(await c.call('get', 601)).to.include({ value: 1 });
    });
  });

  describe('the distributed lock', () => {
    it('3 replicas x 200 concurrent calls on one cold key run the method exactly once in total', async () => {
      const key = `cold-${shop().kind}`;
      const at = now() + 150; // all three start together
      const results = await Promise.all(replicas().map((replica) => replica.call<{ values: string[]; latencies: number[]; calls: number }>('stampede', key, 200, at)));
      const calls = results.reduce((sum, { calls: n }) => sum + n, 0);
      const values = new Set(results.flatMap(({ values: v }) => v));
      const latencies = results.flatMap(({ latencies: l }) => l);
      const lockWaits = await Promise.all(replicas().map(async (replica) => (await replica.call<{ methods: Record<string, { lockWaits: number }> }>('stats')).methods['Shop.stampede']?.lockWaits ?? 0));
      console.log(
        `      [${shop().kind}] stampede 3 x 200 on a 50 ms method: ${calls} run(s) (per replica ${results.map(({ calls: n }) => n).join('/')}), ` +
          `lock waits per replica ${lockWaits.join('/')}, latency p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(percentile(latencies, 100))}`,
      );
      expect(latencies).to.have.length(600);
      expect(calls, 'runs of the method, all replicas together').to.equal(1);
      expect(values.size, `one value for all 600 callers, got ${[...values].join(', ')}`).to.equal(1);
    });

    it(`a lock holder killed with SIGKILL mid-method: the others get a value after lockTimeout (${LOCK_TIMEOUT_MS} ms), the method ran at most twice`, async function () {
      this.timeout(20_000);
      const [, b, c] = replicas();
      const key = `held-${shop().kind}`;
      const victim = await startReplica(SHOP, shop().initFor('victim'), { readyTimeoutMs: 20_000 });
      try {
        await victim.call('setHang', true);
        const dying = victim.call('slow', key).then(
          () => 'answered',
          (error: Error & { code?: string }) => error.code,
        );
        await waitFor(async () => (await victim.call<{ slow: Record<string, number> }>('counts')).slow[key] === 1, { what: 'the victim to run the method' });
        const waitingB = b.call<{ value: string; endedAt: number }>('slow', key);
        const waitingC = c.call<{ value: string; endedAt: number }>('slow', key);
        await Promise.all([b.call('waitLockWaits', 1), c.call('waitLockWaits', 1)]);
        const killedAt = now();
        await victim.kill('SIGKILL');
        expect(await dying).to.equal('REPLICA_EXITED');
        const [fromB, fromC] = await Promise.all([waitingB, waitingC]);
        const runs = await totalSlowRuns(shop(), key);
        const takeover = [fromB.endedAt - killedAt, fromC.endedAt - killedAt];
        console.log(
          `      [${shop().kind}] lock holder killed: B answered ${ms(takeover[0]!)} and C ${ms(takeover[1]!)} after the kill ` +
            `(lockTimeout ${LOCK_TIMEOUT_MS} ms); the method ran ${runs} time(s) in all; values: ${fromB.value === fromC.value ? 'the same' : 'different'}`,
        );
        for (const elapsed of takeover) expect(elapsed).to.be.below(LOCK_TIMEOUT_MS + 500);
        expect(runs, 'runs of the method, the killed holder included').to.be.at.most(2);
        expect(fromB.value, 'one waiter took over, the other got its value').to.equal(fromC.value);
      } finally {
        await victim.kill('SIGKILL');
      }
    });
  });
}

async function productRuns(replicas: Replica[], id: number): Promise<number> {
  const counts = await Promise.all(replicas.map((replica) => replica.call<{ productById: Record<string, number> }>('counts')));
  return counts.reduce((sum, { productById }) => sum + (productById[id] ?? 0), 0);
}

/** Runs of slow(key) on every replica, the killed ones included: counted in the database. */
async function totalSlowRuns(shop: Shop, key: string): Promise<number> {
  return Number(await shop.raw().hget(`shopdb:${shop.namespace}:calls`, key));
}
