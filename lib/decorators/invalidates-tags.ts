import { describe } from '../engine/duration.js';
import { resolveTags } from '../engine/options.js';
import { CacheConfigError } from '../errors.js';
import { cacheResolver, checkCacheRef, requireEngine, type CacheRef } from './cache-ref.js';
import { metadataOf, methodOf, type AnyFunction } from './metadata.js';
import { dualMethodDecorator, type DualMethodDecorator } from './method-decorator.js';

/** Options of {@link InvalidatesTags}. */
export interface InvalidatesTagsOptions<Args extends unknown[] = any[], R = any> {
  /** More tags, known only from the result (a product that moved to another category). */
  fromResult?: (result: Awaited<R>, ...args: Args) => readonly string[];
  /**
   * `'after'`: invalidate once the method succeeded. `'both'`: also before it runs, which shortens
   * the window in which a concurrent read can cache the old row. @default 'after'
   */
  when?: 'after' | 'both';
  /** The engine. @default the one given to setDefaultCache, at the time of each call */
  cache?: CacheRef;
}

/** What `getInvalidatesTagsMetadata` returns. */
export interface InvalidatesTagsMetadata {
  readonly tags: readonly string[] | ((...args: any[]) => readonly string[]);
  readonly options: Readonly<InvalidatesTagsOptions>;
}

const KNOWN = new Set(['fromResult', 'when', 'cache']);

/**
 * After the method succeeds, every entry carrying one of `tags` (fixed, or computed from the
 * arguments and `fromResult`) is invalid on every replica. When the returned promise resolves,
 * this replica no longer serves them and the other replicas have been told (or, with Redis
 * down, the invalidation is queued for replay and reported as an `error` event). A method that
 * throws invalidates nothing (but with `when: 'both'`, the invalidation before it stands).
 */
export function InvalidatesTags<Args extends unknown[] = any[], R = any>(
  tags: readonly string[] | ((...args: Args) => readonly string[]),
  options: InvalidatesTagsOptions<Args, R> = {},
): DualMethodDecorator<Args> {
  const fixed = typeof tags === 'function' ? undefined : resolveTags(tags, 'tags');
  if (fixed === undefined && typeof tags !== 'function') throw new CacheConfigError(`expected an array of tags or a function, got ${describe(tags)}`, { option: 'tags' });
  if (typeof options !== 'object' || options === null) throw new CacheConfigError(`expected an options object, got ${describe(options)}`, { option: '@InvalidatesTags' });
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new CacheConfigError(`unknown option (known: ${[...KNOWN].join(', ')})`, { option: key });
  }
  const { fromResult, when = 'after' } = options;
  if (fromResult !== undefined && typeof fromResult !== 'function') throw new CacheConfigError(`expected a function, got ${describe(fromResult)}`, { option: 'fromResult' });
  if (when !== 'after' && when !== 'both') throw new CacheConfigError(`expected 'after' or 'both', got ${describe(when)}`, { option: 'when' });
  checkCacheRef(options.cache);
  const engineOf = cacheResolver(options.cache);
  const tagsOf = fixed === undefined ? (tags as (...args: unknown[]) => readonly string[]) : undefined;
  const resultTags = fromResult as ((result: unknown, ...args: unknown[]) => readonly string[]) | undefined;
  const metadata: InvalidatesTagsMetadata = { tags, options: Object.freeze({ ...options }) };

  return dualMethodDecorator<Args>('@InvalidatesTags', 'invalidates', metadata, (method) => {
    const wrapper = async function invalidatesTags(this: unknown, ...args: unknown[]): Promise<unknown> {
      const engine = requireEngine(engineOf(), '@InvalidatesTags');
      const before = fixed ?? resolveTags(tagsOf!.apply(this, args), 'tags');
      if (when === 'both') await engine.invalidateTags(before);
      const pending: unknown = method.apply(this, args);
      if (typeof (pending as { then?: unknown } | null)?.then !== 'function') {
        throw new CacheConfigError(`${String(method.name)} returned ${typeof pending}, not a promise: @InvalidatesTags wraps async methods only`, { option: '@InvalidatesTags' });
      }
      const result = await pending;
      const after = resultTags === undefined ? before : [...before, ...resolveTags(resultTags(result, ...args), 'fromResult')];
      await engine.invalidateTags(after);
      return result;
    };
    Object.defineProperty(wrapper, 'name', { value: method.name });
    return wrapper as AnyFunction;
  });
}

/** The tags and options `@InvalidatesTags` was given on `methodName` of a class or instance, or `undefined`. */
export function getInvalidatesTagsMetadata(classOrInstance: object, methodName: string | symbol): InvalidatesTagsMetadata | undefined {
  return metadataOf(methodOf(classOrInstance, methodName), 'invalidates') as InvalidatesTagsMetadata | undefined;
}
