/**
 * The `tiercache:operation` tracing channel (diagnostics_channel): one context per operation,
 * with how it ended (outcome, tier), published only while someone subscribes.
 */
import { expect } from 'chai';
import { tracingChannel } from 'node:diagnostics_channel';
import { Cached, RateLimited, RateLimitError, TRACING_CHANNEL, createCache, type CacheEngine, type TraceContext } from '../../lib/index.js';
import { FakeClock } from '../../lib/testing/index.js';
import { useEngines } from '../helpers/engines.js';
import { waitFor } from '../helpers/events.js';
import { useRedis } from '../helpers/redis-server.js';

interface Traced {
  context: TraceContext;
  events: string[];
  /** A snapshot of the context at asyncEnd or error. */
  ended?: { outcome: TraceContext['outcome']; tier: TraceContext['tier']; key: string | undefined; method: string | undefined };
}

/** Subscribes for the test, collecting every traced operation in order of start. */
function useTrace(): () => Traced[] {
  let seen: Traced[] = [];
  const channel = tracingChannel<unknown, TraceContext>(TRACING_CHANNEL);
  const byContext = new Map<TraceContext, Traced>();
  const on = (event: string) => (message: TraceContext): void => {
    let traced = byContext.get(message);
    if (traced === undefined) {
      traced = { context: message, events: [] };
      byContext.set(message, traced);
      seen.push(traced);
    }
    traced.events.push(event);
    if (event === 'asyncEnd' || event === 'error') traced.ended = { outcome: message.outcome, tier: message.tier, key: message.key, method: message.method };
  };
  const handlers = { start: on('start'), end: on('end'), asyncStart: on('asyncStart'), asyncEnd: on('asyncEnd'), error: on('error') };
  beforeEach(() => {
    seen = [];
    byContext.clear();
    channel.subscribe(handlers);
  });
  afterEach(() => {
    channel.unsubscribe(handlers);
  });
  return () => seen;
}

/** Resolves once the channel's asyncEnd (or error) of every started operation was published. */
async function settled(traces: () => Traced[]): Promise<Traced[]> {
  await waitFor(() => traces().every((t) => t.ended !== undefined), { what: 'the end of every traced operation' });
  return traces();
}

describe('tracing: the tiercache:operation channel', () => {
  describe('L1 only', () => {
    const traces = useTrace();
    let cache: CacheEngine;
    let clock: FakeClock;
    afterEach(() => cache.close());

    class Catalog {
      runs = 0;
      @Cached({ cache: () => cache, ttl: '1m', grace: '1m' })
      async product(id: number): Promise<{ id: number }> {
        this.runs++;
        return { id };
      }

      @Cached({ cache: () => cache, ttl: '1m', grace: 0 })
      async broken(id: number): Promise<number> {
        throw new Error(`no product ${id}`);
      }
    }

    beforeEach(() => {
      clock = new FakeClock();
      cache = createCache({ namespace: 'trace', l2: false, clock, earlyRefresh: false, ttlJitter: 0 });
    });

    it('a miss, then an L1 hit (the fast path steps aside while traced), with the key and the method', async () => {
      const catalog = new Catalog();
      await catalog.product(1);
      await catalog.product(1);
      const [miss, hit] = await settled(traces);
      expect(miss!.ended).to.deep.equal({ outcome: 'miss', tier: 'method', key: 'Catalog.product:1', method: 'Catalog.product' });
      expect(hit!.ended).to.deep.equal({ outcome: 'hit', tier: 'l1', key: 'Catalog.product:1', method: 'Catalog.product' });
      expect(hit!.context.operation).to.equal('cached');
      expect(hit!.events).to.deep.equal(['start', 'end', 'asyncStart', 'asyncEnd']);
      expect(catalog.runs).to.equal(1);
    });

    it('concurrent misses: one miss, the others coalesced', async () => {
      const catalog = new Catalog();
      await Promise.all([catalog.product(2), catalog.product(2), catalog.product(2)]);
      const outcomes = (await settled(traces)).map((t) => t.ended!.outcome);
      expect(outcomes).to.deep.equal(['miss', 'coalesced', 'coalesced']);
    });

    it('past its ttl, within grace: stale from L1', async () => {
      const catalog = new Catalog();
      await catalog.product(3);
      clock.advance('90s');
      await catalog.product(3);
      const [, stale] = await settled(traces);
      expect(stale!.ended).to.include({ outcome: 'stale', tier: 'l1' });
    });

    it('a method that throws: the error event, and the outcome known by then', async () => {
      const catalog = new Catalog();
      await catalog.broken(4).catch(() => undefined);
      const [failed] = await settled(traces);
      expect(failed!.events).to.include('error');
      expect(failed!.ended).to.include({ outcome: 'miss', tier: 'method' });
    });

    it('getOrSet and invalidateTags are traced too', async () => {
      await cache.getOrSet('k', () => 1, { tags: ['t'] });
      await cache.getOrSet('k', () => 2);
      await cache.invalidateTags(['t']);
      const [miss, hit, invalidation] = await settled(traces);
      expect(miss!.context).to.include({ operation: 'getOrSet', key: 'k', outcome: 'miss' });
      expect(hit!.context).to.include({ operation: 'getOrSet', outcome: 'hit', tier: 'l1' });
      expect(invalidation!.context).to.include({ operation: 'invalidateTags', outcome: 'invalidated' });
      expect(invalidation!.context.tags).to.deep.equal(['t']);
    });

    it('rate limits: allowed, then limited (decided in process without Redis)', async () => {
      class Search {
        @RateLimited({ cache: () => cache, limit: 1, window: '1m', key: (q: string) => q })
        async search(q: string): Promise<string> {
          return q;
        }
      }
      const search = new Search();
      await search.search('a');
      const error = await search.search('a').catch((e: unknown) => e);
      expect(error).to.be.instanceOf(RateLimitError);
      const [allowed, limited] = await settled(traces);
      expect(allowed!.context).to.include({ operation: 'rateLimit', method: 'search', outcome: 'allowed', tier: 'l1' });
      expect(limited!.context).to.include({ operation: 'rateLimit', outcome: 'limited' });
      expect(limited!.events).to.include('error');
    });
  });

  describe('nothing is published without a subscriber', () => {
    it('hasSubscribers is false once the last subscriber left, and calls publish nothing', async () => {
      const channel = tracingChannel<unknown, TraceContext>(TRACING_CHANNEL);
      expect(channel.hasSubscribers).to.equal(false);
      const cache = createCache({ namespace: 'untraced', l2: false });
      try {
        let published = 0;
        const count = (): void => {
          published++;
        };
        channel.subscribe({ start: count, end: count, asyncStart: count, asyncEnd: count, error: count });
        await cache.getOrSet('k', () => 1);
        channel.unsubscribe({ start: count, end: count, asyncStart: count, asyncEnd: count, error: count });
        const before = published;
        await cache.getOrSet('k', () => 1);
        await cache.getOrSet('j', () => 1);
        expect(before).to.be.above(0);
        expect(published).to.equal(before);
      } finally {
        await cache.close();
      }
    });
  });

  describe('with Redis: L2 hits and lock waits across engines', () => {
    const redis = useRedis();
    const engines = useEngines();
    const traces = useTrace();

    it('an L2 hit from another engine, and a lock wait answered through L2', async () => {
      const a = await engines.create(redis().url);
      const b = await engines.create(redis().url);
      await a.getOrSet('shared', () => 'v');
      await b.getOrSet('shared', () => 'other');
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const slow = a.getOrSet('cold', async () => {
        started();
        await gate;
        return 'from a';
      });
      // b asks once a holds the lock: a's method runs only after a has taken it.
      await running;
      const waiting = b.getOrSet('cold', () => 'from b');
      await waitFor(() => b.stats().lockWaits >= 1, { what: 'b waits for the lock a holds' });
      release();
      expect(await Promise.all([slow, waiting])).to.deep.equal(['from a', 'from a']);
      const ended = (await settled(traces)).map((t) => t.ended);
      expect(ended[1]).to.include({ outcome: 'hit', tier: 'l2', key: 'shared' });
      expect(ended[2]).to.include({ outcome: 'miss', tier: 'method', key: 'cold' });
      expect(ended[3]).to.include({ outcome: 'lock-wait', tier: 'l2', key: 'cold' });
    });
  });
});
