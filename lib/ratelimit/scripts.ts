import { RedisScript } from '../tiers/redis-script.js';

/**
 * One atomic script per algorithm, one key per bucket (one cluster slot), Redis's own clock
 * (TIME) so replicas whose clocks disagree still agree on the bucket. Every script takes
 * ARGV = limit, windowMs, cost, consume (1 or 0: peek) and returns
 * { allowed (1/0), remaining, retryAfterMs, resetMs } as strings (Lua numbers would be
 * truncated to integers on the way out). The key's TTL lets an idle bucket vanish.
 */
const PRELUDE = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local consume = ARGV[4] == '1'
`;

/** Capacity `limit`, refilled continuously at `limit / window`; a burst of up to `limit`. */
export const TOKEN_BUCKET = new RedisScript(
  'ratelimit:token-bucket',
  `${PRELUDE}local rate = limit / window
local v = redis.call('HMGET', KEYS[1], 't', 's')
local tokens = tonumber(v[1])
local stamp = tonumber(v[2])
if tokens == nil or stamp == nil then tokens = limit; stamp = now end
if now > stamp then tokens = math.min(limit, tokens + (now - stamp) * rate) end
local allowed = 0
local retry = 0
if tokens >= cost then
  allowed = 1
  if consume then tokens = tokens - cost end
else
  retry = (cost - tokens) / rate
end
if consume then
  redis.call('HSET', KEYS[1], 't', tostring(tokens), 's', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil((limit - tokens) / rate) + 1000)
end
return { allowed, tostring(tokens), tostring(retry), tostring((limit - tokens) / rate) }`,
);

/** At most `limit` per window aligned on multiples of `window` (Redis time). */
export const FIXED_WINDOW = new RedisScript(
  'ratelimit:fixed-window',
  `${PRELUDE}local start = math.floor(now / window) * window
local v = redis.call('HMGET', KEYS[1], 'w', 'c')
local count = tonumber(v[2]) or 0
if tonumber(v[1]) ~= start then count = 0 end
local left = start + window - now
local allowed = 0
local retry = 0
if count + cost <= limit then
  allowed = 1
  if consume then count = count + cost end
else
  retry = left
end
if consume then
  redis.call('HSET', KEYS[1], 'w', tostring(start), 'c', tostring(count))
  redis.call('PEXPIRE', KEYS[1], math.ceil(left) + 1000)
end
local reset = 0
if count > 0 then reset = left end
return { allowed, tostring(limit - count), tostring(retry), tostring(reset) }`,
);

/**
 * The weighted two-window estimate of the last \`window\`: the previous window's count weighted
 * by how much of it still overlaps the sliding window, plus the current window's count.
 */
export const SLIDING_WINDOW = new RedisScript(
  'ratelimit:sliding-window',
  `${PRELUDE}local start = math.floor(now / window) * window
local v = redis.call('HMGET', KEYS[1], 'w', 'c', 'p')
local w = tonumber(v[1])
local count = tonumber(v[2]) or 0
local previous = tonumber(v[3]) or 0
if w ~= start then
  if w == start - window then previous = count else previous = 0 end
  count = 0
end
local elapsed = now - start
local estimate = previous * (1 - elapsed / window) + count
local allowed = 0
local retry = 0
if estimate + cost <= limit then
  allowed = 1
  if consume then count = count + cost; estimate = estimate + cost end
elseif count + cost <= limit then
  retry = window * (1 - (limit - count - cost) / previous) - elapsed
else
  retry = (window - elapsed) + math.max(0, window * (1 - (limit - cost) / count))
end
if consume then
  redis.call('HSET', KEYS[1], 'w', tostring(start), 'c', tostring(count), 'p', tostring(previous))
  redis.call('PEXPIRE', KEYS[1], math.ceil(2 * window - elapsed) + 1000)
end
local reset = 0
if count > 0 then reset = 2 * window - elapsed elseif previous > 0 then reset = window - elapsed end
return { allowed, tostring(math.max(0, limit - estimate)), tostring(math.max(0, retry)), tostring(reset) }`,
);
