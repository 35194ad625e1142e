import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { HEARTBEAT_MS } from '../../lib/bus/bus.js';
import { createCache, type CacheEngine, type CacheEventName } from '../../lib/index.js';
import { nextEvent, useEngines } from '../helpers/engines.js';
import { waitFor } from '../helpers/events.js';
import { startRedis, useRedis, type RedisServer } from '../helpers/redis-server.js';
import { startProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

/** `promise`, or a rejection naming `what` after `ms`: a feature that is missing fails the test instead of hanging it. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function runId(server: RedisServer): Promise<string> {
  const client = server.client();
  try {
    return /^run_id:(\w+)/m.exec(await client.info('server'))![1]!;
  } finally {
    client.disconnect();
  }
}

/** What an engine reports about Redis and its bus, in order, with the state it was in at that moment. */
interface Seen {
  event: CacheEventName;
  payload: unknown;
  bus: string;
  l1Entries: number;
}

function record(engine: CacheEngine): Seen[] {
  const seen: Seen[] = [];
  for (const event of ['redis:replaced', 'bus:connect', 'bus:disconnect', 'error'] as const) {
    engine.on(event, (...args: unknown[]) => {
      const stats = engine.stats();
      seen.push({ event, payload: args[0], bus: stats.bus.state, l1Entries: stats.l1 === false ? 0 : stats.l1.entries });
    });
  }
  return seen;
}

/** Resolves on the first `bus:connect` that follows a `redis:replaced`: the bus is up on the new server. */
function upOnNewServer(engine: CacheEngine): Promise<void> {
  return new Promise((resolve) => {
    let replaced = false;
    engine.on('redis:replaced', () => (replaced = true));
    engine.on('bus:connect', () => {
      if (replaced) resolve();
    });
  });
}

/** Counts the `INFO server` commands a client sends: the engine's check of the server's run_id. */
function countRunIdChecks(client: Redis): { readonly count: number } {
  const counter = { count: 0 };
  const info = client.info.bind(client) as (...args: unknown[]) => Promise<string>;
  client.info = (...args: unknown[]) => {
    if (args[0] === 'server') counter.count++;
    return info(...args);
  };
  return counter;
}

describe('a Redis replaced behind a connection that stays open', () => {
  const redis = useRedis();
  const engines = useEngines();
  let proxy: TcpProxy | undefined;
  let replacement: RedisServer | undefined;
  const clients: Redis[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.disconnect();
    await proxy?.close();
    proxy = undefined;
    await replacement?.stop();
    replacement = undefined;
  });

  const viaProxy = (): string => `redis://127.0.0.1:${proxy!.port}`;

  it('is noticed at once: L1 and the tag mirror are purged, and the bus subscribes again on the new server', async () => {
    proxy = await startProxy(redis().port);
    const warnings: string[] = [];
    const logger = { debug() {}, info() {}, warn: (_: object, message?: string) => warnings.push(message ?? ''), error() {} };
    const writer = await engines.create(viaProxy());
    // maxStaleness: L1 stays trusted for a minute after the bus is lost: without the check the
    // reader would keep serving its L1 long after the heartbeat noticed the silence.
    const reader = await engines.create(viaProxy(), { maxStaleness: '1m', logger });
    expect(proxy.connections, 'L2 and subscriber connections of both engines').to.equal(4);

    let price = 1;
    const load = (cache: CacheEngine): Promise<number> => cache.getOrSet('price:1', async () => price, { tags: ['product:1'] });
    // The tag gets a version on the old server (a bump) and a clear() moves its generation: the
    // new server will know neither. Their bus messages go out after the calls resolve: wait for
    // the last one, so none lands after the reader filled its L1.
    const heardClear = nextEvent(reader, 'invalidate', (e: { remote: boolean; reason: string }) => e.remote && e.reason === 'clear');
    await writer.invalidateTags(['product:1']);
    await writer.clear();
    await heardClear;
    // The reader runs the method (its own 'fill' message does not reach itself), the writer reads it.
    expect(await load(reader)).to.equal(1);
    expect(await load(writer)).to.equal(1);
    expect(await load(reader)).to.equal(1);
    await reader.set('banner', 'summer sale');
    expect(reader.stats().hits.l1).to.equal(1);

    replacement = await startRedis();
    const [before, after] = await Promise.all([runId(redis()), runId(replacement)]);
    const seen = record(reader);
    const replaced = nextEvent(reader, 'redis:replaced');
    const writerReplaced = nextEvent(writer, 'redis:replaced');
    const readerUp = upOnNewServer(reader);
    const writerUp = upOnNewServer(writer);
    expect(reader.stats().l1, 'the reader\'s L1 before the swap').to.include({ entries: 2 });
    expect(await reader.get('banner')).to.equal('summer sale');

    await proxy.retarget(replacement.port);
    const switched = performance.now();
    const [event] = await within(replaced, 10 * HEARTBEAT_MS, 'the reader to notice the new run_id');
    const noticedMs = performance.now() - switched;
    expect(event).to.deep.equal({ previousRunId: before, runId: after });
    await within(writerReplaced, 10 * HEARTBEAT_MS, 'the writer to notice the new run_id');

    // At that moment L1 was empty and the bus down (L1 trusted for maxStaleness at most), and
    // the connection had not closed: the bus went down for the check or for its heartbeat,
    // never because the connection closed.
    const atNotice = seen.find((s) => s.event === 'redis:replaced')!;
    expect(atNotice).to.include({ bus: 'unavailable', l1Entries: 0 });
    const firstDown = seen.find((s) => s.event === 'bus:disconnect');
    expect((firstDown?.payload as { reason: string } | undefined)?.reason).to.be.oneOf(['the Redis server was replaced', '2 heartbeats went unheard']);
    expect(seen.indexOf(firstDown!)).to.be.below(seen.indexOf(atNotice));
    expect(warnings.some((w) => w.includes('replaced') && w.includes(`${before} -> ${after}`)), warnings.join('\n')).to.equal(true);

    // The value cached before the swap is not served: the new server never had it.
    expect(await reader.get('banner')).to.equal(undefined);

    await within(Promise.all([readerUp, writerUp]), 5_000, 'both buses to be up on the new server');
    // Both engines read the same generation and tag versions from the new server: what one
    // stores, the other reads.
    expect(await load(writer)).to.equal(1);
    const l2Hits = reader.stats().hits.l2;
    expect(await load(reader)).to.equal(1);
    expect(reader.stats().hits.l2).to.equal(l2Hits + 1);

    // An invalidation made on the new server reaches the reader: the old value is not served.
    price = 2;
    const heard = nextEvent(reader, 'invalidate', (e: { remote: boolean }) => e.remote);
    await writer.invalidateTags(['product:1']);
    await within(heard, 2_000, 'the reader to hear an invalidation published on the new server');
    expect(await load(reader)).to.equal(2);
    // L1 is trusted again (a hit), and kept current by the bus on the new server.
    const l1Hits = reader.stats().hits.l1;
    expect(await load(reader)).to.equal(2);
    expect(reader.stats().hits.l1).to.equal(l1Hits + 1);
    price = 3;
    const heardAgain = nextEvent(reader, 'invalidate', (e: { remote: boolean }) => e.remote);
    await writer.invalidateTags(['product:1']);
    await within(heardAgain, 2_000, 'a second invalidation');
    expect(await load(reader)).to.equal(3);

    expect(seen.filter((s) => s.event === 'redis:replaced')).to.have.length(1);
    expect(seen.filter((s) => s.event === 'error'), JSON.stringify(seen)).to.deep.equal([]);
    console.log(`      noticed ${noticedMs.toFixed(1)} ms after the switch; reader saw: ${seen.map((s) => s.event).join(', ')}`);
  });

  it('with maxStaleness 0, bypasses L1 from the moment it notices until the bus is up on the new server', async () => {
    proxy = await startProxy(redis().port);
    const cache = await engines.create(viaProxy());
    let calls = 0;
    const load = (): Promise<number> => cache.getOrSet('k', async () => ++calls);
    expect(await load()).to.equal(1);
    expect(await load()).to.equal(1); // from L1
    replacement = await startRedis();
    // Measured inside the listener, synchronously: what a call made at that moment would get.
    const state = new Promise<{ bus: string; hit: Promise<number> }>((resolve) =>
      cache.once('redis:replaced', () => resolve({ bus: cache.stats().bus.state, hit: load() })),
    );
    const up = upOnNewServer(cache);
    await proxy.retarget(replacement.port);
    const { bus, hit } = await within(state, 10 * HEARTBEAT_MS, 'the engine to notice the new run_id');
    expect(bus).to.equal('unavailable');
    expect(await hit, 'a call made as the replacement was noticed').to.equal(2);
    await within(up, 5_000, 'the bus to be up on the new server');
    expect(await load()).to.equal(2); // stored on the new server by the call above, or its L1 copy
  });

  it('does not fire when the same server is reconnected after an outage (run_id unchanged): the reconnection alone purges L1', async () => {
    proxy = await startProxy(redis().port);
    const client = redis().client({ port: proxy.port });
    clients.push(client);
    const checks = countRunIdChecks(client);
    const cache = await engines.create(viaProxy(), { l2: { redis: client } });
    const other = await engines.create(viaProxy());
    const seen = record(cache);
    const otherSeen = record(other);
    await cache.set('k', 'v');
    expect(await cache.get('k')).to.equal('v');

    const down = nextEvent(cache, 'bus:disconnect');
    // Longer than three heartbeats (six reconnection attempts, 50 to 300 ms apart): the beats
    // sent while the subscription was gone must not take the bus down again once it is back.
    let attempts = 0;
    const outage = new Promise<void>((resolve) => client.on('reconnecting', () => ++attempts === 6 && resolve()));
    proxy.cut({ mode: 'reset' });
    await within(down, 5_000, 'the bus to go down');
    await within(outage, 5_000, 'six reconnection attempts');
    const up = nextEvent(cache, 'bus:connect');
    const otherUp = nextEvent(other, 'bus:connect');
    proxy.heal();
    await within(Promise.all([up, otherUp]), 10_000, 'the buses to be up again');
    await waitFor(() => {
      const l2 = cache.stats().l2;
      return l2 !== false && l2.state === 'connected';
    }, { what: 'L2 connected again' });
    // The run_id learned on the new connection, then several checks against it.
    const afterReconnect = checks.count;
    await waitFor(() => checks.count >= afterReconnect + 4, { what: 'four more run_id checks' });

    // The reset itself is reported as connection errors; nothing else but the reconnection.
    const reported = (events: Seen[]): string[] => events.filter((s) => s.event !== 'error').map((s) => s.event);
    expect(reported(seen)).to.deep.equal(['bus:disconnect', 'bus:connect']);
    expect(reported(otherSeen)).to.deep.equal(['bus:disconnect', 'bus:connect']);
    // L1 was purged by the reconnection (as before this check existed), and is trusted again.
    expect(cache.stats().l1).to.include({ entries: 0 });
    await cache.set('k', 'v2');
    const hits = cache.stats().hits.l1;
    expect(await cache.get('k')).to.equal('v2');
    expect(cache.stats().hits.l1).to.equal(hits + 1);
  });

  it('costs one INFO server per heartbeat and fires nothing in a steady state', async () => {
    proxy = await startProxy(redis().port);
    const client = redis().client({ port: proxy.port });
    clients.push(client);
    const checks = countRunIdChecks(client);
    const cache = await engines.create(viaProxy(), { l2: { redis: client } });
    const seen = record(cache);
    expect(await cache.getOrSet('k', async () => 'v')).to.equal('v');
    const hits = cache.stats().hits.l1;
    const start = checks.count;
    const started = performance.now();
    await waitFor(() => checks.count >= start + 8, { what: 'eight run_id checks' });
    const elapsed = performance.now() - started;
    const checked = checks.count - start;

    expect(seen, 'events in a steady state').to.deep.equal([]);
    expect(await cache.getOrSet('k', async () => 'other')).to.equal('v');
    expect(cache.stats().hits.l1).to.equal(hits + 1);
    // At most one check per heartbeat: n checks span at least n - 1 heartbeat periods (with
    // some slack for timer jitter).
    expect(elapsed, `${checked} checks`).to.be.at.least((checked - 1) * HEARTBEAT_MS * 0.8);
    const reply = await client.info('server');
    console.log(`      ${checked} checks in ${elapsed.toFixed(0)} ms; INFO server reply: ${Buffer.byteLength(reply)} bytes`);
  });

  it('keeps working, with one error event and no breaker trip, when the server refuses INFO (an ACL)', async () => {
    const locked = await startRedis({ args: ['--user', 'default', 'on', 'nopass', '~*', '&*', '+@all', '-info'] });
    const namespace = `${engines.namespace()}locked`;
    // ioredis's own ready check sends INFO on every connection: off, so the server's log of
    // refused commands counts the engine's alone.
    const client = (): Redis => locked.client({ enableReadyCheck: false });
    const cache = createCache({ namespace, l2: { redis: client() }, earlyRefresh: false });
    const errors: { message: string; operation: string }[] = [];
    cache.on('error', (error, { operation }) => errors.push({ message: error.message, operation }));
    try {
      expect(await cache.ready()).to.deep.equal({ l2: 'connected', bus: 'connected' });
      // Heartbeats on which the check would run, were it not turned off.
      const spy = client();
      await spy.subscribe(`${namespace}:bus`);
      let beats = 0;
      const fourBeats = new Promise<void>((resolve) => spy.on('message', () => ++beats === 4 && resolve()));
      await within(fourBeats, 5_000, 'four heartbeats');

      await cache.set('k', 'v');
      expect(await cache.get('k')).to.equal('v');
      expect(cache.stats().l2).to.deep.equal({ state: 'connected', breaker: 'closed' });
      expect(cache.stats().bus.state).to.equal('connected');
      expect(errors.map((e) => e.operation)).to.deep.equal(['redis:run-id']);
      expect(errors[0]!.message).to.match(/^INFO server was refused \(NOPERM/);
      // The server logged one refused INFO (ACL LOG merges repeats into a count): asked once, at connection.
      const log = (await client().call('ACL', 'LOG')) as unknown[][];
      const refusals = log.map((entry) => Object.fromEntries(pairs(entry))).filter((entry) => entry['object'] === 'info');
      expect(refusals.map((entry) => entry['count'])).to.deep.equal([1]);
    } finally {
      await cache.close();
      await locked.stop();
    }
  });
});

function pairs(flat: unknown[]): [unknown, unknown][] {
  const pairs: [unknown, unknown][] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  return pairs;
}
