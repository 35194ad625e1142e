import { createHash } from 'node:crypto';
import { ACQUIRE_LOCK, RELEASE_LOCK, RENEW_LOCK } from '../lock/lock-scripts.js';
import { decide, type BucketState, type RateLimitAlgorithm } from '../ratelimit/algorithms.js';
import { FIXED_WINDOW, SLIDING_WINDOW, TOKEN_BUCKET } from '../ratelimit/scripts.js';
import { BUMP_TAG, ENSURE_TAG } from '../tags/tag-scripts.js';
import type { RedisScript } from '../tiers/redis-script.js';
import { integerArg, replyError, type MemoryKeyspace } from './memory-keyspace.js';

/** What a script returns, converted as Redis converts a Lua value: numbers are integers, tables arrays, nil null. */
export type ScriptReply = string | number | null | ScriptReply[];

/** One of tiercache's Lua scripts, in JavaScript over the memory keyspace. */
export interface EmulatedScript {
  readonly name: string;
  readonly sha: string;
  run(keyspace: MemoryKeyspace, keys: readonly string[], argv: readonly string[]): ScriptReply;
}

export function sha1(body: string): string {
  return createHash('sha1').update(body).digest('hex');
}

/** Lua's `tonumber` on a string (or Redis's nil): undefined where Lua gives nil. */
export function luaNumber(text: string | null | undefined): number | undefined {
  if (text === null || text === undefined) return undefined;
  const trimmed = text.trim();
  if (/^[-+]?0[xX][0-9a-fA-F]+$/.test(trimmed)) return Number.parseInt(trimmed, 16);
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/**
 * Lua 5.1's `tostring` on a number keeps 14 significant digits (`%.14g`): the rate-limit state is
 * rounded the same way on its way into the hash, so it reads back as the same number.
 */
export function luaString(n: number): string {
  return String(Number(n.toPrecision(14)));
}

function numberArg(text: string | undefined): number {
  const n = luaNumber(text);
  if (n === undefined) throw replyError(`ERR Error running script: attempt to perform arithmetic on a nil value (argument ${String(text)})`);
  return n;
}

/** PX of SET, from a Lua value: an integer above 0, as Redis demands. */
function pxArg(value: number | string): number {
  const px = integerArg(typeof value === 'number' ? luaString(value) : value);
  if (px <= 0) throw replyError("ERR invalid expire time in 'set' command");
  return px;
}

function keyOf(keys: readonly string[]): string {
  const key = keys[0];
  if (key === undefined) throw replyError('ERR Error running script: KEYS[1] is nil');
  return key;
}

/** TIME as the rate-limit scripts read it: milliseconds with microsecond precision. */
function nowMs(keyspace: MemoryKeyspace): number {
  const [seconds, micros] = keyspace.time();
  return Number(seconds) * 1000 + Number(micros) / 1000;
}

const acquireLock: EmulatedScript['run'] = (ks, keys, [token = '', px = '']) => {
  const key = keyOf(keys);
  if (ks.set(key, token, { nx: true, px: pxArg(px) }) === 'OK') return [1];
  return [0, ks.get(key) ?? '', ks.pttl(key)];
};

const releaseLock: EmulatedScript['run'] = (ks, keys, [token]) => {
  const key = keyOf(keys);
  return ks.get(key) === token ? ks.del(key) : 0;
};

const renewLock: EmulatedScript['run'] = (ks, keys, [token, px = '']) => {
  const key = keyOf(keys);
  return ks.get(key) === token ? ks.pexpire(key, integerArg(px)) : 0;
};

const ensureTag: EmulatedScript['run'] = (ks, keys, [life]) => {
  const key = keyOf(keys);
  const version = ks.get(key);
  if (version === null) {
    ks.set(key, '0', { px: pxArg(life ?? '') });
    return '0';
  }
  const min = numberArg(life);
  if (ks.pttl(key) < min) ks.pexpire(key, integerArg(luaString(min)));
  return version;
};

const bumpTag: EmulatedScript['run'] = (ks, keys, [life]) => {
  const key = keyOf(keys);
  const [seconds, micros] = ks.time();
  let version = Number(seconds) * 1_000_000 + Number(micros);
  const old = luaNumber(ks.get(key) ?? '0');
  if (old !== undefined && old >= version) version = old + 1;
  let ttl = ks.pttl(key);
  const min = numberArg(life);
  if (ttl < min) ttl = min;
  const text = version.toFixed(0); // string.format('%.0f', v)
  ks.set(key, text, { px: pxArg(ttl) });
  return text;
};

/** The hash fields each rate-limit script keeps, in HMGET order. */
const FIELDS: Record<RateLimitAlgorithm, readonly string[]> = {
  'token-bucket': ['t', 's'],
  'fixed-window': ['w', 'c'],
  'sliding-window': ['w', 'c', 'p'],
};

/** The rate-limit scripts: the arithmetic is lib/ratelimit/algorithms.ts, the I/O is the Lua's (HMGET, HSET, PEXPIRE). */
function rateLimit(algorithm: RateLimitAlgorithm): EmulatedScript['run'] {
  return (ks, keys, argv) => {
    const key = keyOf(keys);
    const now = nowMs(ks);
    const limit = numberArg(argv[0]);
    const window = numberArg(argv[1]);
    const cost = numberArg(argv[2]);
    const consume = argv[3] === '1';
    const [x, y, z] = ks.hmget(key, FIELDS[algorithm]).map(luaNumber);
    let state: BucketState | undefined;
    if (algorithm === 'token-bucket') state = x === undefined || y === undefined ? undefined : { a: x, b: y, c: 0 };
    else state = x === undefined ? undefined : { a: y ?? 0, b: x, c: z ?? 0 };
    const { decision, state: next } = decide(algorithm, state, now, limit, window, cost, consume);
    if (consume) {
      let ttl: number;
      if (algorithm === 'token-bucket') {
        ks.hset(key, { t: luaString(next.a), s: luaString(now) });
        ttl = Math.ceil((limit - next.a) / (limit / window)) + 1000;
      } else {
        const start = Math.floor(now / window) * window;
        if (algorithm === 'fixed-window') {
          ks.hset(key, { w: luaString(start), c: luaString(next.a) });
          ttl = Math.ceil(start + window - now) + 1000;
        } else {
          ks.hset(key, { w: luaString(start), c: luaString(next.a), p: luaString(next.c) });
          ttl = Math.ceil(2 * window - (now - start)) + 1000;
        }
      }
      ks.pexpire(key, integerArg(luaString(ttl)));
    }
    return [decision.allowed ? 1 : 0, luaString(decision.remaining), luaString(decision.retryAfterMs), luaString(decision.resetMs)];
  };
}

const SCRIPTS: readonly [RedisScript, EmulatedScript['run']][] = [
  [ACQUIRE_LOCK, acquireLock],
  [RELEASE_LOCK, releaseLock],
  [RENEW_LOCK, renewLock],
  [ENSURE_TAG, ensureTag],
  [BUMP_TAG, bumpTag],
  [TOKEN_BUCKET, rateLimit('token-bucket')],
  [FIXED_WINDOW, rateLimit('fixed-window')],
  [SLIDING_WINDOW, rateLimit('sliding-window')],
];

/** tiercache's scripts by SHA1: the only Lua a MemoryRedisServer can run. */
export const EMULATED_SCRIPTS: ReadonlyMap<string, EmulatedScript> = new Map(
  SCRIPTS.map(([script, run]) => {
    const sha = script.sha;
    return [sha, { name: script.name, sha, run }];
  }),
);
