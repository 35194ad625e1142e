import { LRUCache } from 'lru-cache';
import type { Entry } from '../engine/entry.js';

/**
 * L1: entries of this process in an LRU bounded by count and by bytes. Each entry's size is
 * computed from its encoded payload, which the engine has anyway: nothing is serialised to
 * measure it.
 */
export class MemoryTier {
  readonly #lru: LRUCache<string, Entry>;
  #evictions = 0;

  constructor(options: { maxEntries: number; maxBytes: number }) {
    this.#lru = new LRUCache<string, Entry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      // An entry leaving L1 for any reason must leave the per-method index of `@Cached` too.
      dispose: (entry, _key, reason) => {
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
    return this.#lru.peek(key);
  }

  set(entry: Entry): void {
    this.#lru.set(entry.key, entry, { size: entry.size });
  }

  /** Deletes `key` only while it still holds `entry` (a newer entry stays). */
  deleteEntry(entry: Entry): void {
    if (this.#lru.peek(entry.key) === entry) this.#lru.delete(entry.key);
  }

  delete(key: string): void {
    this.#lru.delete(key);
  }

  clear(): void {
    this.#lru.clear();
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
