import { RedisScript } from '../tiers/redis-script.js';

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
