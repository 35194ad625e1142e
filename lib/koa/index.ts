/**
 * tiercache/koa: the Koa middleware of API.md section 3. Every public name of the subpath is
 * listed here.
 *
 * @module tiercache/koa
 */
export { httpCache } from './http-cache.js';
export type { HttpCacheMiddleware, HttpCacheStats } from './http-cache.js';
export { checkPreconditions } from './preconditions.js';
export type { HttpCacheOptions } from './options.js';
export type { ContentCoding, RepresentationCounters } from './representation.js';
