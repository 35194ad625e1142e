import { unfile } from './shape-index.js';

/**
 * One cached value as the engine holds it in memory. The L1 hit path reads `promise` and
 * `earlyAt` only, so everything a hit needs was computed when the entry was stored.
 */
export class Entry {
  /** The user-level key (`Catalog.product:1`). */
  readonly key: string;
  /** The value as the codec gives it back: the same shape from every tier. */
  readonly value: unknown;
  /** A promise already resolved with `value`, handed to every L1 hit so a hit allocates nothing. */
  readonly promise: Promise<unknown>;
  /** When the value was produced (epoch ms, writer's clock). */
  readonly createdAt: number;
  /** Fresh until then (ttl with jitter applied). */
  readonly freshUntil: number;
  /** Served stale (within grace) until then. */
  readonly staleUntil: number;
  /** A hit at or after this time also starts a background refresh (XFetch), drawn once at store. */
  readonly earlyAt: number;
  /** How long the method took to produce it, the XFetch `delta`. */
  readonly delta: number;
  readonly tags: readonly string[];
  /** The versions of `tags` read before the method ran; the entry is valid while they are current. */
  readonly tagVersions: readonly string[];
  /** Validators the method set through `refreshContext().setValidators()`. */
  readonly etag: string | undefined;
  readonly lastModified: number | undefined;
  /** The size charged to L1's `maxBytes`. */
  readonly size: number;
  /** The envelope as stored in L2 (kept so a refresh that keeps the previous value can re-store it cheaply). */
  readonly payload: string;

  /**
   * The engine's validity epoch when this entry was last found valid (tags current, L1 trusted).
   * A hit compares it with the engine's epoch: equal means valid, with no tag looked at. -1: never.
   * @internal
   */
  epoch = -1;
  /** The per-method index of `@Cached` that points at this entry, so eviction can unlink it. @internal */
  index: Map<unknown, Entry> | undefined = undefined;
  /** @internal */
  indexKey: unknown = undefined;
  /**
   * The HTTP layer's slot: the serialised body and its ETag (and compressed forms), built at the
   * first response that needs them and reused by every later one, so a 304 for this entry neither
   * serialises nor hashes. Opaque to the engine; it lives and dies with the entry.
   * @internal
   */
  http: unknown = undefined;
  /**
   * `@HttpCacheable`'s slot: what a request records for this entry (its policy with the
   * Last-Modified of the value), made once and shared by every hit. Opaque to the engine.
   * @internal
   */
  httpRecord: unknown = undefined;
  /** Where a `ShapeIndex` filed this entry (its maps and values from the root down), so `unlink` can take it out. @internal */
  shapePath: unknown[] | undefined = undefined;

  constructor(init: {
    key: string;
    value: unknown;
    createdAt: number;
    freshUntil: number;
    staleUntil: number;
    earlyAt: number;
    delta: number;
    tags: readonly string[];
    tagVersions: readonly string[];
    etag: string | undefined;
    lastModified: number | undefined;
    payload: string;
  }) {
    this.key = init.key;
    this.value = init.value;
    this.promise = Promise.resolve(init.value);
    this.createdAt = init.createdAt;
    this.freshUntil = init.freshUntil;
    this.staleUntil = init.staleUntil;
    this.earlyAt = init.earlyAt;
    this.delta = init.delta;
    this.tags = init.tags;
    this.tagVersions = init.tagVersions;
    this.etag = init.etag;
    this.lastModified = init.lastModified;
    this.payload = init.payload;
    // Calibrated against the heap (the memory case of `npm run bench`: 1M keys, heap growth after
    // a full GC): the decoded value takes about twice its encoded length; the rest is the entry
    // object, its promise, the key, the LRU's slots and the two Map entries that index it.
    this.size = ENTRY_OVERHEAD_BYTES + 2 * init.payload.length + 2 * init.key.length;
  }

  /** Drops the per-method index link, if it still points here. @internal */
  unlink(): void {
    if (this.index !== undefined && this.index.get(this.indexKey) === this) this.index.delete(this.indexKey);
    this.index = undefined;
    if (this.shapePath !== undefined) unfile(this);
  }
}

/**
 * What an entry costs in L1 beyond its payload and key, measured (`npm run bench -- --only
 * memory`): the Entry object, its promise, the LRU's slots, the index entries. 1080 measured
 * with the HTTP record and shape-index slots (1056 before them).
 */
export const ENTRY_OVERHEAD_BYTES = 1080;

