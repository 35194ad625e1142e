import assert from 'node:assert/strict';
import { tracingChannel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Cached, createCache, TRACING_CHANNEL, type CacheEngine, type TraceContext } from '../../lib/index.js';

let cache: CacheEngine;

class Users {
  @Cached({ cache: () => cache, ttl: '1m' })
  async profile(id: number): Promise<{ id: number; name: string }> {
    return { id, name: `user ${id}` };
  }
}

export async function main(): Promise<void> {
  const redisUrl = process.env['REDIS_URL'];
  cache = createCache({ namespace: `obs-${Date.now().toString(36)}`, l2: redisUrl ? { redis: redisUrl } : false });
  // Events: subscribe to what you need. A `hit` listener costs a little on every hit; the others cost nothing.
  const seen: string[] = [];
  cache.on('miss', ({ key }) => seen.push(`miss ${key}`));
  cache.on('hit', ({ key, tier }) => seen.push(`hit ${tier} ${key}`));
  cache.on('set', ({ key, source }) => seen.push(`set ${key} (${source})`));
  cache.on('invalidate', ({ keys, tags, reason, remote }) =>
    seen.push(`invalidate ${keys?.join(',') ?? tags?.join(',') ?? '*'} (${reason}${remote ? ', from another replica' : ''})`),
  );
  cache.on('error', (error, { operation, key }) => seen.push(`error in ${operation} for ${key}: ${error.message}`));
  cache.on('bus:connect', () => seen.push('bus connected'));
  cache.on('bus:disconnect', ({ reason }) => seen.push(`bus lost: ${reason}`));
  try {
    await cache.ready();
    const users = new Users();
    await users.profile(1);
    await users.profile(1);
    await Promise.all([users.profile(2), users.profile(2), users.profile(2)]);
    await cache.delete('Users.profile:1');
    await cache.invalidateTags(['users']);
    await cache.getOrSet('config', async () => ({ flags: ['a'] }));

    console.log(seen.join('\n'));
    const stats = cache.stats();
    console.log(JSON.stringify(stats, null, 2));

    // Totals cover the decorated methods and the direct calls (getOrSet, get).
    assert.equal(stats.factoryCalls, 3);
    assert.equal(stats.coalesced, 2);
    const profile = stats.methods['Users.profile'];
    assert.deepEqual(profile?.hits, { l1: 1, l2: 0 });
    assert.equal(profile?.misses, 2);
    assert.equal(stats.l1 === false ? 0 : stats.l1.entries, 2);
    assert.ok(seen.includes('hit l1 Users.profile:1'));
    assert.deepEqual(
      seen.filter((line) => line.startsWith('invalidate')),
      ['invalidate Users.profile:1 (delete)', 'invalidate users (tags)'],
    );
    // The bus: subscribed during ready() with Redis; none without.
    assert.equal(stats.bus.state, redisUrl ? 'connected' : 'disabled');
    assert.equal(seen[0] === 'bus connected', Boolean(redisUrl));

    // Tracing (diagnostics_channel): every operation while someone subscribes, timed by the subscriber.
    const spans: string[] = [];
    const started = new WeakMap<TraceContext, number>();
    const handlers = {
      start: (context: TraceContext) => started.set(context, performance.now()),
      end: () => {},
      asyncStart: () => {},
      asyncEnd: (context: TraceContext) => {
        const ms = performance.now() - (started.get(context) ?? 0);
        spans.push(`${context.operation} ${context.key} ${context.outcome} ${context.tier} ${ms >= 0 ? 'timed' : ''}`);
      },
      error: () => {},
    };
    const channel = tracingChannel<unknown, TraceContext>(TRACING_CHANNEL);
    channel.subscribe(handlers);
    await users.profile(3);
    await users.profile(3);
    channel.unsubscribe(handlers); // unsubscribed, the hit path is untraced again
    await new Promise((resolve) => setImmediate(resolve));
    console.log(spans); // [ 'cached Users.profile:3 miss method timed', 'cached Users.profile:3 hit l1 timed' ]
    assert.deepEqual(spans, ['cached Users.profile:3 miss method timed', 'cached Users.profile:3 hit l1 timed']);
  } finally {
    await cache.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
