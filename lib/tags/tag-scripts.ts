import { RedisScript } from '../tiers/redis-script.js';

/**
 * The version a tag has while it was never invalidated (or since its key expired, which can only
 * happen once no live entry carries it: see ENSURE_TAG). Versions are decimal integers.
 */
export const INITIAL_TAG_VERSION = '0';

/**
 * Reads a tag's version before a method runs, and makes sure the tag key outlives the entry
 * about to be written (ARGV[1] ms): created with the initial version if missing, its TTL only
 * ever extended. A tag key therefore cannot expire while an entry that carries it can still be
 * read, so an old entry can never match a tag key that expired and came back.
 */
export const ENSURE_TAG = new RedisScript(
  'tag:ensure',
  `local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], '${INITIAL_TAG_VERSION}', 'PX', ARGV[1])
  return '${INITIAL_TAG_VERSION}'
end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return v`,
);

/**
 * Invalidates a tag: a new version, strictly greater than the one it replaces and than any it
 * ever had (Redis's clock in microseconds, or the old version + 1), and a TTL of at least
 * ARGV[1] ms, never shortened. Ordered versions let every replica keep the highest it has seen,
 * so a late reply or two replicas invalidating at once can never move a mirror backwards.
 * O(1) per tag whatever the number of entries that carry it.
 */
export const BUMP_TAG = new RedisScript(
  'tag:bump',
  `local t = redis.call('TIME')
local v = tonumber(t[1]) * 1000000 + tonumber(t[2])
local old = tonumber(redis.call('GET', KEYS[1]) or '0')
if old and old >= v then v = old + 1 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[1]) then ttl = tonumber(ARGV[1]) end
local version = string.format('%.0f', v)
redis.call('SET', KEYS[1], version, 'PX', ttl)
return version`,
);

/** Orders two versions (decimal integers, '0' for never invalidated). */
export function newerVersion(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b;
}
