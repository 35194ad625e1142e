import { LRUCache } from 'lru-cache';
import { newerVersion } from './tag-scripts.js';

/**
 * This replica's copy of the tag versions kept in Redis, kept current by the bus. Bounded: a
 * tag that fell out is read from Redis again. Versions only grow (see BUMP_TAG): the mirror keeps
 * the highest it has seen, so a reply that was overtaken by a bus message, or two invalidations
 * of one tag racing on two replicas, cannot move it back to an older version.
 */
export class TagMirror {
  readonly #versions: LRUCache<string, string>;

  constructor(maxTags: number) {
    this.#versions = new LRUCache({ max: maxTags });
  }

  get(tag: string): string | undefined {
    return this.#versions.get(tag);
  }

  /**
   * Records a version unless the mirror already holds a newer one. True when a version the
   * mirror held was replaced (entries validated against it must be re-checked); a tag the mirror
   * did not hold validated no entry, so adding it changes nothing.
   */
  set(tag: string, version: string): boolean {
    const held = this.#versions.get(tag);
    if (held !== undefined && !newerVersion(version, held)) return false;
    this.#versions.set(tag, version);
    return held !== undefined;
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
