/**
 * `tiercache/testing`: tools for testing code that uses tiercache, without sleeping, mocking or
 * running Redis: a fake clock, an in-memory Redis for L2 and the bus, and assertions on counts.
 *
 * @module tiercache/testing
 */
export { FakeClock } from './fake-clock.js';
export type { Clock } from './fake-clock.js';
export { MemoryRedisServer } from './memory-redis-server.js';
export type { MemoryRedisServerOptions } from './memory-redis-server.js';
export type { MemoryRedisServerState } from './memory-redis-server.js';
export { MemoryRedis } from './memory-redis.js';
export { UnsupportedCommandError } from './memory-redis.js';
export { SUPPORTED_COMMANDS } from './memory-redis.js';
export type { MemoryRedisStatus } from './memory-redis.js';
export type { RedisArg } from './memory-redis.js';
export type { ScriptReply } from './memory-scripts.js';
export { createTestCache } from './test-cache.js';
export type { TestCacheOptions } from './test-cache.js';
export { cacheStatsOf } from './assertions.js';
export { expectCalls } from './assertions.js';
export type { CallCounts } from './assertions.js';
export type { ExpectedCalls } from './assertions.js';
