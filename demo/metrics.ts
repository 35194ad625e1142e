import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CacheEngine } from '../lib/index.js';
import type { HttpCacheMiddleware } from '../lib/koa/index.js';

/**
 * `GET /metrics`: Node's default metrics plus the cache's and the HTTP layer's counters, in the
 * Prometheus text format. A registry of its own (not prom-client's global one), so two apps in
 * one process do not register the same metric twice.
 *
 * tiercache keeps its own counters (`cache.stats()`, `httpCache(...).stats()`); the metrics read
 * them at scrape time instead of counting again on the hot path. prom-client counters cannot be
 * set, so each is reset and then increased by the current total, which is what a counter
 * sampled from a monotonic source should report.
 */
export function createMetrics(cache: CacheEngine, http: HttpCacheMiddleware): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const total = (name: string, help: string, read: () => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect(this: Counter) {
        this.reset();
        this.inc(read());
      },
    });
  };

  new Counter({
    name: 'tiercache_hits_total',
    help: 'Calls answered from a cache tier (l1: in-process, l2: Redis).',
    labelNames: ['tier'] as const,
    registers: [registry],
    collect(this: Counter<'tier'>) {
      const { hits } = cache.stats();
      this.reset();
      this.inc({ tier: 'l1' }, hits.l1);
      this.inc({ tier: 'l2' }, hits.l2);
    },
  });
  total('tiercache_misses_total', 'Calls that found no usable entry in any tier.', () => cache.stats().misses);
  total('tiercache_stale_total', 'Calls answered with a stale value within grace.', () => cache.stats().stale);
  total('tiercache_factory_calls_total', 'Times a cached method (the factory) actually ran.', () => cache.stats().factoryCalls);
  total('tiercache_coalesced_total', 'Calls that waited for another caller\'s load of the same key in this process.', () => cache.stats().coalesced);
  total('tiercache_lock_waits_total', 'Calls that waited for another replica\'s load of the same key.', () => cache.stats().lockWaits);
  total('tiercache_errors_total', 'Errors: the methods\', Redis\'s, the codec\'s.', () => cache.stats().errors);
  total('tiercache_evictions_total', 'Entries L1 dropped to stay within its bounds.', () => cache.stats().evictions);

  new Gauge({
    name: 'tiercache_l1_entries',
    help: 'Entries in the in-process tier.',
    registers: [registry],
    collect(this: Gauge) {
      const { l1 } = cache.stats();
      this.set(l1 === false ? 0 : l1.entries);
    },
  });
  new Counter({
    name: 'tiercache_bus_messages_total',
    help: 'Invalidation bus messages, by direction.',
    labelNames: ['direction'] as const,
    registers: [registry],
    collect(this: Counter<'direction'>) {
      const { bus } = cache.stats();
      this.reset();
      this.inc({ direction: 'in' }, bus.in);
      this.inc({ direction: 'out' }, bus.out);
    },
  });

  total('tiercache_http_requests_total', 'Requests seen by httpCache.', () => http.stats().requests);
  new Counter({
    name: 'tiercache_http_responses_total',
    help: 'Responses by status code (304: answered from validators, 412: failed precondition, 429: rate limited).',
    labelNames: ['code'] as const,
    registers: [registry],
    collect(this: Counter<'code'>) {
      const { statuses } = http.stats();
      this.reset();
      // Always present, so a dashboard's rate() has a series before the first 304 or 429.
      for (const code of [200, 304, 412, 429]) this.inc({ code }, statuses[code] ?? 0);
      for (const [code, count] of Object.entries(statuses)) if (![200, 304, 412, 429].includes(Number(code))) this.inc({ code }, count);
    },
  });
  new Counter({
    name: 'tiercache_http_representation_work_total',
    help: 'Response bodies serialised, hashed into an ETag, or compressed (a 304 for an L1 hit adds none).',
    labelNames: ['step'] as const,
    registers: [registry],
    collect(this: Counter<'step'>) {
      const { serialized, hashed, compressed } = http.stats();
      this.reset();
      this.inc({ step: 'serialized' }, serialized);
      this.inc({ step: 'hashed' }, hashed);
      this.inc({ step: 'compressed' }, compressed);
    },
  });
  return registry;
}
