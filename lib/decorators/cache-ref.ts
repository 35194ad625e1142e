import type { CacheEngine } from '../engine/cache-engine.js';
import { getDefaultCache } from '../engine/default-cache.js';
import { describe } from '../engine/duration.js';
import { CacheConfigError } from '../errors.js';

/** Where a decorator finds its engine: one, a function returning one (looked up per call), or the default. */
export type CacheRef = CacheEngine | (() => CacheEngine);

export function isEngine(value: unknown): value is CacheEngine {
  return typeof (value as { fetch?: unknown } | null)?.fetch === 'function' && typeof (value as { getOrSet?: unknown }).getOrSet === 'function';
}

/** Checks a decorator's `cache` option at decoration time. */
export function checkCacheRef(value: unknown): asserts value is CacheRef | undefined {
  if (value !== undefined && typeof value !== 'function' && !isEngine(value)) {
    throw new CacheConfigError(`expected a cache engine or a function returning one, got ${describe(value)}`, { option: 'cache' });
  }
}

/**
 * The function a decorator calls to find its engine, chosen once: the default engine at the time
 * of the call, the function given, or the engine given.
 */
export function cacheResolver(ref: CacheRef | undefined): () => CacheEngine | undefined {
  if (ref === undefined) return getDefaultCache;
  if (isEngine(ref)) return () => ref;
  return ref;
}

/** The engine of a call, or the error that says how to provide one. */
export function requireEngine(engine: unknown, decorator: string): CacheEngine {
  if (!isEngine(engine)) {
    throw new CacheConfigError(`no cache engine: pass \`cache\` to ${decorator} or call setDefaultCache(createCache(...)) before calling the method`, { option: 'cache' });
  }
  return engine;
}
