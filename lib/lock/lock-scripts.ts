import { RedisScript } from '../tiers/redis-script.js';

/**
 * SET NX PX with the caller's token: {1} when taken; else {0, the holder's token, its PTTL}, so a
 * waiter can tell a new holder (its wait starts again) from one that stopped renewing (it died).
 */
export const ACQUIRE_LOCK = new RedisScript(
  'lock:acquire',
  `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1} end
return {0, redis.call('GET', KEYS[1]) or '', redis.call('PTTL', KEYS[1])}`,
);

/** Deletes the lock only if this holder's token is still in it: a lock that expired and was taken by another replica is left alone. */
export const RELEASE_LOCK = new RedisScript(
  'lock:release',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);

/** Extends the lock only while this holder still owns it. */
export const RENEW_LOCK = new RedisScript(
  'lock:renew',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`,
);
