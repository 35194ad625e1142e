import { LRUCache } from 'lru-cache';
import type { Entry } from '../engine/entry.js';

/**
 * L1: entries of this process in an LRU bounded by count and by bytes. Each entry's size is
 * computed from its encoded payload, which the engine has anyway: nothing is serialised to
 * measure it.
 */
export class MemoryTier {
  readonly #lru: LRUCache<string, Entry>;
  /**
   * The same entries by key, for `peek`: a hit needs one Map lookup, while lru-cache's peek adds
   * an options object, diagnostics-channel checks and staleness tests (measured: a third of a
   * hit by key). The LRU still decides what to evict; its dispose keeps this map in step.
   */
  readonly #byKey = new Map<string, Entry>();
  #evictions = 0;

  constructor(options: { maxEntries: number; maxBytes: number }) {
    this.#lru = new LRUCache<string, Entry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      // An entry leaving L1 for any reason must leave the per-method index of `@Cached` too.
      dispose: (entry, key, reason) => {
        if (this.#byKey.get(key) === entry) this.#byKey.delete(key);
        entry.unlink();
        if (reason === 'evict') this.#evictions++;
      },
    });
  }

  get(key: string): Entry | undefined {
    return this.#lru.get(key);
  }

  /** Reads without touching recency. */
  peek(key: string): Entry | undefined {
    return this.#byKey.get(key);
  }

  set(entry: Entry): void {
    this.#lru.set(entry.key, entry, { size: entry.size });
    // Only if the LRU kept it (an entry larger than maxBytes is refused).
    if (this.#lru.peek(entry.key) === entry) this.#byKey.set(entry.key, entry);
  }

  /** Deletes `key` only while it still holds `entry` (a newer entry stays). */
  deleteEntry(entry: Entry): void {
    if (this.#byKey.get(entry.key) === entry) this.#lru.delete(entry.key);
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }

  clear(): void {
    this.#lru.clear();
    this.#byKey.clear();
  }

  get evictions(): number {
    return this.#evictions;
  }

  get entries(): number {
    return this.#lru.size;
  }

  get bytes(): number {
    return this.#lru.calculatedSize;
  }
}
