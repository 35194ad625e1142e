/**
 * The engine contract: what two or three engines sharing one L2 backend must do, run against a
 * real redis-server (contract-redis.spec.ts) and against MemoryRedisServer
 * (contract-memory.spec.ts) with the same assertions, so the in-memory server is held to the
 * semantics of the real one. Time-based checks that Redis keeps in real time (key expiry, lock
 * TTLs) use short real durations; the engine's own notion of time runs on a FakeClock.
 */
import { expect } from 'chai';
import {
  Cached,
  createCache,
  InvalidatesTags,
  peekRateLimit,
  RateLimited,
  RateLimitError,
  type CacheEngine,
  type CacheEventName,
  type CacheEvents,
  type CacheOptions,
  type L2Options,
  type RateLimitAlgorithm,
} from '../../lib/index.js';
import { cacheStatsOf, expectCalls, FakeClock } from '../../lib/testing/index.js';
import { waitFor } from '../helpers/events.js';

/** The few commands the contract sends itself, to look at and poke the backend. */
export interface ContractClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
  pttl(key: string): Promise<number>;
  publish(channel: string, message: string): Promise<number>;
  script(subcommand: 'FLUSH'): Promise<unknown>;
}

/** One backend for the contract: the engines of a test share it. */
export interface ContractTarget {
  /** `l2` options for one more engine: a new client on the backend (never quit by the engine). */
  l2(): L2Options;
  /** A plain client on the backend. */
  client(): ContractClient;
  /** Kills the backend: connections drop, data is lost. */
  kill(): Promise<void>;
  /** Starts it again, empty; clients reconnect by themselves. */
  restart(): Promise<void>;
  /** Closes the clients made since the last call (after each test). */
  reset(): Promise<void>;
}

/** Resolves with the next `event` of `engine` that passes `filter`; fails after `timeoutMs`. */
function heard<E extends CacheEventName>(engine: CacheEngine, event: E, filter: (...args: CacheEvents[E]) => boolean = () => true, timeoutMs = 5_000): Promise<CacheEvents[E]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: CacheEvents[E]): void => {
      if (!filter(...args)) return;
      clearTimeout(timer);
      engine.off(event, listener);
      resolve(args);
    };
    const timer = setTimeout(() => {
      engine.off(event, listener);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    engine.on(event, listener);
  });
}

/** A promise and the function that resolves it: a method that returns when the test says so. */
function gate<T>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/** Real time passing, for what Redis keeps in real time (a lock's TTL); never to wait for an event. */
const elapse = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Defines the contract's suites against the backend `makeTarget` returns (called in a `before` hook). */
export function engineContract(name: string, makeTarget: () => ContractTarget | Promise<ContractTarget>): void {
  describe(`the engine contract, on ${name}`, () => {
    let target: ContractTarget;
    let engines: CacheEngine[] = [];
    let counter = 0;
    let ns = '';

    before(async () => {
      target = await makeTarget();
    });
    beforeEach(() => {
      ns = `contract${process.pid}x${Date.now().toString(36)}x${++counter}`;
    });
    afterEach(async () => {
      await Promise.all(engines.map((engine) => engine.close()));
      engines = [];
      await target.reset();
    });

    /** `n` engines of this test's namespace on the backend, ready (L2 and bus up). */
    async function replicas(n: number, options: Partial<CacheOptions> = {}): Promise<CacheEngine[]> {
      const made = Array.from({ length: n }, () => createCache({ namespace: ns, l2: target.l2(), earlyRefresh: false, ttlJitter: 0, ...options }));
      engines.push(...made);
      const states = await Promise.all(made.map((engine) => engine.ready()));
      for (const state of states) expect(state).to.deep.equal({ l2: 'connected', bus: 'connected' });
      return made;
    }

    const entryKey = (key: string, generation = 0): string => `${ns}:1:${generation}:{${key}}`;
    const tagKey = (tag: string): string => `${ns}:tag:{${tag}}`;
    const remotely = (event: CacheEvents['invalidate'][0]): boolean => event.remote;

    describe('get, set and delete', () => {
      it('a value set on one engine is read on the other, from L2 then L1', async () => {
        const [a, b] = await replicas(2);
        // A set tells the other replicas to drop their copy: wait for that, or it could drop the one read below.
        const told = heard(b!, 'invalidate', remotely);
        await a!.set('user:1', { name: 'Ada', tags: new Set(['x']) });
        await told;
        expect(await b!.get('user:1')).to.deep.equal({ name: 'Ada', tags: new Set(['x']) });
        expect(await b!.get('user:1')).to.deep.equal({ name: 'Ada', tags: new Set(['x']) });
        expectCalls(b!, { l2Hits: 1, l1Hits: 1, misses: 0 });
      });

      it('a key never set is a miss on every engine', async () => {
        const [a, b] = await replicas(2);
        expect(await a!.get('nothing')).to.equal(undefined);
        expect(await b!.get('nothing')).to.equal(undefined);
        expectCalls(a!, { misses: 1, hits: 0 });
      });

      it("a delete on one engine drops the other's L1 copy, through the bus", async () => {
        const [a, b] = await replicas(2);
        await a!.set('k', 'v1');
        expect(await b!.get('k')).to.equal('v1'); // now in b's L1
        const dropped = heard(b!, 'invalidate', remotely);
        await a!.delete('k');
        expect((await dropped)[0]).to.deep.include({ keys: ['k'], reason: 'delete' });
        expect(await b!.get('k')).to.equal(undefined);
        expect(await target.client().get(entryKey('k'))).to.equal(null);
      });

      it("an overwrite on one engine replaces the other's L1 copy", async () => {
        const [a, b] = await replicas(2);
        await a!.set('k', 'v1');
        expect(await b!.get('k')).to.equal('v1');
        const dropped = heard(b!, 'invalidate', remotely);
        await a!.set('k', 'v2');
        await dropped;
        expect(await b!.get('k')).to.equal('v2');
      });
    });

    describe('ttl and grace', () => {
      it('an entry is fresh for ttl and stale for grace, on every engine (engine time on a FakeClock)', async () => {
        const clock = new FakeClock();
        const [a, b] = await replicas(2, { clock });
        await a!.set('k', 'v', { ttl: '1m', grace: '10m' });
        clock.advance('59s');
        expect(await b!.get('k')).to.equal('v');
        clock.advance('2s');
        expect(await b!.get('k')).to.equal(undefined);
        expect(await b!.get('k', { allowStale: true })).to.equal('v');
        expect(await a!.get('k', { allowStale: true })).to.equal('v');
        clock.advance('10m');
        expect(await b!.get('k', { allowStale: true })).to.equal(undefined);
      });

      it('L2 keeps an entry for ttl + grace (its PTTL)', async () => {
        const [a] = await replicas(1);
        await a!.set('k', 'v', { ttl: '1m', grace: '10m' });
        const pttl = await target.client().pttl(entryKey('k'));
        expect(pttl).to.be.within(650_000, 660_000);
      });

      it('L2 drops an entry once ttl + grace is over (real time)', async () => {
        const [a, b] = await replicas(2);
        await a!.set('short', 'v', { ttl: '40ms', grace: 0 });
        const raw = target.client();
        expect(await raw.get(entryKey('short'))).to.be.a('string');
        await waitFor(async () => (await raw.get(entryKey('short'))) === null, { timeoutMs: 3_000, what: 'the entry to expire in L2' });
        expect(await b!.get('short')).to.equal(undefined);
      });

      it('past ttl, engines serve the stale value at once and one of them refreshes it', async () => {
        const clock = new FakeClock();
        const [a, b] = await replicas(2, { clock });
        let runs = 0;
        const load = async (): Promise<string> => `v${++runs}`;
        expect(await a!.getOrSet('k', load, { ttl: '10s', grace: '1h' })).to.equal('v1');
        expect(await b!.getOrSet('k', load, { ttl: '10s', grace: '1h' })).to.equal('v1');
        clock.advance('11s');
        expect(await a!.getOrSet('k', load, { ttl: '10s', grace: '1h' })).to.equal('v1');
        expect(await b!.getOrSet('k', load, { ttl: '10s', grace: '1h' })).to.equal('v1');
        await waitFor(async () => (await b!.getOrSet('k', load, { ttl: '10s', grace: '1h' })) === 'v2', { what: "b to see the refreshed value" });
        expect(runs).to.equal(2);
        expect(cacheStatsOf(a!).stale + cacheStatsOf(b!).stale).to.be.at.least(2);
      });
    });

    describe('getOrSet across engines: the distributed lock', () => {
      it('concurrent misses on two engines run the factory once', async () => {
        const [a, b] = await replicas(2);
        const release = gate<string>();
        let runs = 0;
        const load = (): Promise<string> => {
          runs++;
          return release.promise;
        };
        const both = Promise.all([a!.getOrSet('cold', load), b!.getOrSet('cold', load)]);
        // One engine holds the lock and runs the method; the other waits for it.
        await waitFor(() => cacheStatsOf(a!).lockWaits + cacheStatsOf(b!).lockWaits === 1, { what: 'one engine to wait on the lock' });
        release.open('value');
        expect(await both).to.deep.equal(['value', 'value']);
        expect(runs).to.equal(1);
        expect(cacheStatsOf(a!).factoryCalls + cacheStatsOf(b!).factoryCalls).to.equal(1);
        expect(cacheStatsOf(a!).misses + cacheStatsOf(b!).misses).to.equal(2);
      });

      it('the holder renews its lock while the method runs, and releases it after', async () => {
        const [a] = await replicas(1);
        const raw = target.client();
        const lockKey = `${entryKey('slow')}:lock`;
        const release = gate<string>();
        const result = a!.getOrSet('slow', () => release.promise, { lockTimeout: '150ms' });
        const token = await waitFor(() => raw.get(lockKey), { what: 'the lock to be taken' });
        await elapse(400); // more than twice lockTimeout: the lock lives only if it is renewed
        expect(await raw.get(lockKey)).to.equal(token);
        expect(await raw.pttl(lockKey)).to.be.within(1, 150);
        release.open('done');
        expect(await result).to.equal('done');
        // Released right after the value is stored, without the caller waiting for it.
        await waitFor(async () => (await raw.get(lockKey)) === null, { what: 'the lock to be released' });
      });

      it('a waiter takes over from a lock holder that stopped renewing, once its lock expires', async () => {
        const [, b] = await replicas(2);
        // A replica that died holding the lock: written by hand, never renewed.
        await target.client().set(`${entryKey('orphan')}:lock`, 'a-replica-that-died', 'PX', 300);
        const started = Date.now();
        let runs = 0;
        expect(await b!.getOrSet('orphan', async () => `taken over ${++runs}`, { lockTimeout: '300ms' })).to.equal('taken over 1');
        expect(Date.now() - started).to.be.at.least(250);
        expectCalls(b!, { lockWaits: 1, factoryCalls: 1, misses: 1 });
      });
    });

    describe('tags', () => {
      it('an invalidation on one engine reaches the other through the bus', async () => {
        const [a, b] = await replicas(2);
        let runs = 0;
        const load = async (): Promise<number> => ++runs;
        expect(await a!.getOrSet('p1', load, { tags: ['product:1'] })).to.equal(1);
        expect(await a!.getOrSet('p2', load, { tags: ['product:2'] })).to.equal(2);
        expect(await b!.getOrSet('p1', load, { tags: ['product:1'] })).to.equal(1); // L2 hit
        expect(await b!.getOrSet('p2', load, { tags: ['product:2'] })).to.equal(2);
        const invalidated = heard(b!, 'invalidate', remotely);
        await a!.invalidateTags(['product:1']);
        expect((await invalidated)[0]).to.deep.include({ tags: ['product:1'], reason: 'tags' });
        const before = cacheStatsOf(b!);
        expect(await b!.getOrSet('p1', load, { tags: ['product:1'] })).to.equal(3);
        expect(await b!.getOrSet('p2', load, { tags: ['product:2'] })).to.equal(2);
        expectCalls(b!, { since: before, misses: 1, factoryCalls: 1, l1Hits: 1 });
      });

      it('a tag version only grows', async () => {
        const [a] = await replicas(1);
        const raw = target.client();
        await a!.getOrSet('p', async () => 1, { tags: ['t'] });
        expect(await raw.get(tagKey('t'))).to.equal('0');
        const versions: bigint[] = [];
        for (let i = 0; i < 3; i++) {
          await a!.invalidateTags(['t']);
          versions.push(BigInt((await raw.get(tagKey('t')))!));
        }
        expect(versions[0]! > 0n).to.equal(true);
        expect(versions[1]! > versions[0]!).to.equal(true);
        expect(versions[2]! > versions[1]!).to.equal(true);
        expect(await raw.pttl(tagKey('t'))).to.be.above(60_000);
      });

      it('the scripts run again after SCRIPT FLUSH (NOSCRIPT, then EVAL)', async () => {
        const [a, b] = await replicas(2);
        const errors: string[] = [];
        a!.on('error', (error, context) => errors.push(`${context.operation}: ${error.message}`));
        await a!.invalidateTags(['t']);
        const raw = target.client();
        const first = BigInt((await raw.get(tagKey('t')))!);
        await raw.script('FLUSH');
        await a!.invalidateTags(['t']);
        expect(BigInt((await raw.get(tagKey('t')))!) > first).to.equal(true);
        await raw.script('FLUSH');
        let runs = 0;
        await Promise.all([a!.getOrSet('k', async () => ++runs), b!.getOrSet('k', async () => ++runs)]);
        expect(runs).to.equal(1);
        expect(errors).to.deep.equal([]);
      });
    });

    describe('clear()', () => {
      it('a clear on one engine empties every engine, and both move to the new generation', async () => {
        const [a, b] = await replicas(2);
        await a!.set('k', 'v1');
        expect(await b!.get('k')).to.equal('v1');
        const cleared = heard(b!, 'invalidate', (event) => event.remote && event.reason === 'clear');
        await a!.clear();
        await cleared;
        expect(await b!.get('k')).to.equal(undefined);
        expect(await a!.get('k')).to.equal(undefined);
        expect(await target.client().get(`${ns}:generation`)).to.equal('1');
        await b!.set('k', 'v2');
        expect(await a!.get('k')).to.equal('v2');
        expect(await target.client().get(entryKey('k', 1))).to.be.a('string');
      });
    });

    describe('the decorators', () => {
      /** The service as each replica builds it, on its own engine. */
      function catalogOn(cache: CacheEngine, db: { reads: number }) {
        class Catalog {
          @Cached({ cache, ttl: '1m', tags: (id: number) => [`product:${id}`] })
          async product(id: number): Promise<{ id: number; read: number }> {
            return { id, read: ++db.reads };
          }

          @InvalidatesTags((id: number) => [`product:${id}`], { cache })
          async rename(id: number): Promise<number> {
            return id;
          }
        }
        return new Catalog();
      }

      it('@Cached: a miss on one engine is an L2 hit on the other, then an L1 hit', async () => {
        const [a, b] = await replicas(2);
        const db = { reads: 0 };
        const onA = catalogOn(a!, db);
        const onB = catalogOn(b!, db);
        expect(await onA.product(1)).to.deep.equal({ id: 1, read: 1 });
        expect(await onB.product(1)).to.deep.equal({ id: 1, read: 1 });
        expect(await onB.product(1)).to.deep.equal({ id: 1, read: 1 });
        expectCalls(a!, { method: 'Catalog.product', misses: 1, factoryCalls: 1, hits: 0 });
        expectCalls(b!, { method: 'Catalog.product', misses: 0, factoryCalls: 0, l2Hits: 1, l1Hits: 1 });
        expect(db.reads).to.equal(1);
      });

      it("@InvalidatesTags on one engine invalidates the other's @Cached entries", async () => {
        const [a, b] = await replicas(2);
        const db = { reads: 0 };
        const onA = catalogOn(a!, db);
        const onB = catalogOn(b!, db);
        await onB.product(1);
        await onB.product(2);
        const invalidated = heard(b!, 'invalidate', remotely);
        await onA.rename(1);
        await invalidated;
        expect(await onB.product(1)).to.deep.equal({ id: 1, read: 3 });
        expect(await onB.product(2)).to.deep.equal({ id: 2, read: 2 });
        expectCalls(b!, { method: 'Catalog.product', misses: 3, factoryCalls: 3, l1Hits: 1 });
      });

      for (const algorithm of ['token-bucket', 'sliding-window', 'fixed-window'] as RateLimitAlgorithm[]) {
        it(`@RateLimited (${algorithm}): a limit shared by three engines admits exactly \`limit\` calls`, async () => {
          const engines3 = await replicas(3);
          const services = engines3.map((cache) => {
            class Search {
              @RateLimited({ cache, limit: 5, window: '1h', algorithm, key: (user: string) => user })
              async query(user: string): Promise<string> {
                return user;
              }
            }
            return new Search();
          });
          const calls = Array.from({ length: 12 }, (_, i) => services[i % 3]!.query('ada'));
          const outcomes = await Promise.allSettled(calls);
          const admitted = outcomes.filter((o) => o.status === 'fulfilled').length;
          const refused = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof RateLimitError);
          expect(admitted).to.equal(5);
          expect(refused).to.have.length(7);
          const state = await peekRateLimit(services[0]!.query, 'ada');
          expect(state).to.deep.include({ allowed: false, remaining: 0, source: 'redis', limit: 5 });
          expect(state.retryAfterMs).to.be.above(0);
          const other = await peekRateLimit(services[1]!.query, 'grace');
          expect(other).to.deep.include({ allowed: true, remaining: 5, source: 'redis' });
        });
      }
    });

    describe('the bus', () => {
      it('a malformed message is reported as an error event on every engine, and not applied', async () => {
        const [a, b] = await replicas(2);
        await a!.set('k', 'v');
        expect(await b!.get('k')).to.equal('v');
        const onA = heard(a!, 'error', (_, context) => context.operation === 'bus:message');
        const onB = heard(b!, 'error', (_, context) => context.operation === 'bus:message');
        await target.client().publish(`${ns}:bus`, '{"i":"x","t":"keys","k":"not an array"}');
        const [[error]] = await Promise.all([onA, onB]);
        expect(error.message).to.contain('malformed bus message');
        expect(await b!.get('k')).to.equal('v');
        expectCalls(b!, { errors: 1 });
      });

      it('messages between engines are counted in stats().bus', async () => {
        const [a, b] = await replicas(2);
        const dropped = heard(b!, 'invalidate', remotely);
        await a!.delete('k');
        await dropped;
        // The publisher counts its message once Redis acknowledged it, which may come after the subscriber got it.
        await waitFor(() => a!.stats().bus.out === 1, { what: "a's publish to be acknowledged" });
        expect(a!.stats().bus).to.deep.include({ out: 1, state: 'connected' });
        expect(b!.stats().bus).to.deep.include({ in: 1, state: 'connected' });
      });
    });

    describe('a restart of the backend', () => {
      it('an invalidation made while it is down is replayed once it is back', async () => {
        const [a, b] = await replicas(2);
        const errors: string[] = [];
        a!.on('error', (_, context) => errors.push(context.operation));
        await a!.getOrSet('p', async () => 1, { tags: ['t'] });
        await target.kill();
        await waitFor(
          () => {
            const l2 = a!.stats().l2;
            return l2 !== false && l2.state === 'unavailable';
          },
          { what: 'a to see L2 down' },
        );
        await a!.invalidateTags(['t']);
        expect(a!.stats().bus.queued).to.equal(1);
        expect(errors).to.include('invalidateTags');
        await target.restart();
        await waitFor(() => a!.stats().bus.queued === 0 && a!.stats().bus.state === 'connected', { timeoutMs: 10_000, what: 'the replay' });
        await waitFor(() => b!.stats().bus.state === 'connected', { timeoutMs: 10_000, what: "b's bus" });
        const raw = target.client();
        await waitFor(async () => BigInt((await raw.get(tagKey('t'))) ?? '0') > 0n, { timeoutMs: 10_000, what: 'the replayed tag version' });
        expect(await b!.ready()).to.deep.equal({ l2: 'connected', bus: 'connected' });
        let runs = 0;
        expect(await b!.getOrSet('p', async () => 10 + ++runs, { tags: ['t'] })).to.equal(11);
      });
    });
  });
}
