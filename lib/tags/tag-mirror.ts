import { LRUCache } from 'lru-cache';

/**
 * This replica's copy of the tag versions kept in Redis, kept current by the bus. Bounded: a
 * tag that fell out is read from Redis again. A version is an opaque token compared for
 * equality only, never ordered, so no clock and no counter has to agree across processes.
 */
export class TagMirror {
  readonly #versions: LRUCache<string, string>;

  constructor(maxTags: number) {
    this.#versions = new LRUCache({ max: maxTags });
  }

  get(tag: string): string | undefined {
    return this.#versions.get(tag);
  }

  /** Records a version; true when it differs from what the mirror held (entries must be re-checked). */
  set(tag: string, version: string): boolean {
    if (this.#versions.get(tag) === version) return false;
    this.#versions.set(tag, version);
    return true;
  }

  /** Versions of all of `tags`, or undefined if one is not mirrored. */
  all(tags: readonly string[]): string[] | undefined {
    const versions: string[] = [];
    for (const tag of tags) {
      const version = this.#versions.get(tag);
      if (version === undefined) return undefined;
      versions.push(version);
    }
    return versions;
  }

  /** True when every tag still has the version the entry was made with. */
  current(tags: readonly string[], versions: readonly string[]): boolean {
    for (let i = 0; i < tags.length; i++) {
      if (this.#versions.get(tags[i]!) !== versions[i]) return false;
    }
    return true;
  }

  delete(tag: string): void {
    this.#versions.delete(tag);
  }

  clear(): void {
    this.#versions.clear();
  }
}
