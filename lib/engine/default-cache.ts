import type { CacheOptions } from './options.js';
import { CacheEngine } from './cache-engine.js';

let current: CacheEngine | undefined;

/** Creates a cache engine. Options are checked here: a bad one throws `CacheConfigError` naming it. */
export function createCache(options: CacheOptions): CacheEngine {
  return new CacheEngine(options);
}

/** The engine decorators use when they name none. Takes effect for the calls after it. */
export function setDefaultCache(cache: CacheEngine | undefined): void {
  current = cache;
}

/** The engine decorators use when they name none, if one was set. */
export function getDefaultCache(): CacheEngine | undefined {
  return current;
}
