/** Counters of one decorated method, or of the direct calls on the engine. Plain fields: a hit increments one. */
export class Counters {
  l1Hits = 0;
  l2Hits = 0;
  misses = 0;
  stale = 0;
  factoryCalls = 0;
  coalesced = 0;
  lockWaits = 0;
  errors = 0;

  snapshot(): MethodStats {
    return {
      hits: { l1: this.l1Hits, l2: this.l2Hits },
      misses: this.misses,
      stale: this.stale,
      factoryCalls: this.factoryCalls,
      coalesced: this.coalesced,
      lockWaits: this.lockWaits,
      errors: this.errors,
    };
  }

  addTo(total: MethodStats): void {
    total.hits.l1 += this.l1Hits;
    total.hits.l2 += this.l2Hits;
    total.misses += this.misses;
    total.stale += this.stale;
    total.factoryCalls += this.factoryCalls;
    total.coalesced += this.coalesced;
    total.lockWaits += this.lockWaits;
    total.errors += this.errors;
  }
}

/** What happened to the calls of one method (or to all calls, in {@link CacheStats}). */
export interface MethodStats {
  hits: { l1: number; l2: number };
  /** Calls that found no usable entry in any tier. */
  misses: number;
  /** Calls answered with a stale value (within grace). */
  stale: number;
  /** Times the method (the factory) ran. */
  factoryCalls: number;
  /** Calls that waited for another caller's load of the same key in this process. */
  coalesced: number;
  /** Calls that waited for another replica's load (the distributed lock). */
  lockWaits: number;
  /** Errors: the method's, Redis's, the codec's. */
  errors: number;
}

/** `cache.stats()`: totals, tier state, and the same counters per decorated method. */
export interface CacheStats extends MethodStats {
  /** Entries L1 dropped to stay within its bounds. */
  evictions: number;
  l1: { entries: number; bytes: number } | false;
  l2: { state: 'connected' | 'unavailable'; breaker: 'closed' | 'open' | 'half-open' } | false;
  /** Messages from and to the other replicas, the bus state, and invalidations queued for replay. */
  bus: { in: number; out: number; state: 'connected' | 'unavailable' | 'disabled'; queued: number };
  /** Per decorated method, by name (`Class.method`). */
  methods: Record<string, MethodStats>;
}
