import { ReplyError } from 'ioredis';
import type { Clock } from '../engine/clock.js';

/** What a key holds: the two types tiercache uses (entries, locks, tags are strings; rate-limit buckets are hashes). */
type Value = { type: 'string'; value: string } | { type: 'hash'; value: Map<string, string> };

interface Slot {
  data: Value;
  /** Epoch milliseconds on the server's clock; undefined: no expiry. */
  expiresAt: number | undefined;
}

/** Options of SET, as Redis parses them. */
export interface SetOptions {
  px?: number | undefined;
  nx?: boolean;
  xx?: boolean;
  keepTtl?: boolean;
}

const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';

/**
 * The keyspace of a {@link MemoryRedisServer}: strings and hashes with millisecond expiry on an
 * injected clock, checked lazily on access as Redis does (a key is gone once `now > expiresAt`).
 * Synchronous and atomic: a script built on it runs with nothing in between, like Lua in Redis.
 * Errors are ioredis `ReplyError`s with Redis's own messages.
 */
export class MemoryKeyspace {
  readonly #slots = new Map<string, Slot>();
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  now(): number {
    return this.#clock.now();
  }

  /** Live keys, sorted. */
  keys(): string[] {
    return [...this.#slots.keys()].filter((key) => this.#slot(key) !== undefined).sort();
  }

  flush(): void {
    this.#slots.clear();
  }

  get(key: string): string | null {
    const slot = this.#slot(key);
    if (slot === undefined) return null;
    if (slot.data.type !== 'string') throw replyError(WRONGTYPE);
    return slot.data.value;
  }

  /** SET: 'OK', or null when NX/XX prevented it. */
  set(key: string, value: string, options: SetOptions = {}): 'OK' | null {
    const slot = this.#slot(key);
    if ((options.nx === true && slot !== undefined) || (options.xx === true && slot === undefined)) return null;
    const expiresAt = options.px !== undefined ? this.now() + options.px : options.keepTtl === true ? slot?.expiresAt : undefined;
    this.#slots.set(key, { data: { type: 'string', value }, expiresAt });
    return 'OK';
  }

  del(key: string): number {
    if (this.#slot(key) === undefined) return 0;
    this.#slots.delete(key);
    return 1;
  }

  exists(key: string): boolean {
    return this.#slot(key) !== undefined;
  }

  /** INCR: the TTL is kept, as in Redis. */
  incr(key: string): number {
    const slot = this.#slot(key);
    const current = slot === undefined ? '0' : slot.data.type === 'string' ? slot.data.value : undefined;
    if (current === undefined) throw replyError(WRONGTYPE);
    if (!/^-?\d+$/.test(current) || !Number.isSafeInteger(Number(current) + 1)) throw replyError('ERR value is not an integer or out of range');
    const next = Number(current) + 1;
    this.#slots.set(key, { data: { type: 'string', value: String(next) }, expiresAt: slot?.expiresAt });
    return next;
  }

  /** PTTL: -2 when the key does not exist, -1 when it has no expiry. */
  pttl(key: string): number {
    const slot = this.#slot(key);
    if (slot === undefined) return -2;
    if (slot.expiresAt === undefined) return -1;
    return Math.max(0, Math.round(slot.expiresAt - this.now()));
  }

  /** PEXPIRE: 1 if the key exists; a time <= 0 deletes it, as in Redis. */
  pexpire(key: string, ms: number): number {
    const slot = this.#slot(key);
    if (slot === undefined) return 0;
    if (ms <= 0) this.#slots.delete(key);
    else slot.expiresAt = this.now() + ms;
    return 1;
  }

  hmget(key: string, fields: readonly string[]): (string | null)[] {
    const slot = this.#slot(key);
    if (slot === undefined) return fields.map(() => null);
    if (slot.data.type !== 'hash') throw replyError(WRONGTYPE);
    const hash = slot.data.value;
    return fields.map((field) => hash.get(field) ?? null);
  }

  /** HSET: the number of fields added (not updated). */
  hset(key: string, fields: Readonly<Record<string, string>>): number {
    let slot = this.#slot(key);
    if (slot === undefined) this.#slots.set(key, (slot = { data: { type: 'hash', value: new Map() }, expiresAt: undefined }));
    if (slot.data.type !== 'hash') throw replyError(WRONGTYPE);
    let added = 0;
    for (const [field, value] of Object.entries(fields)) {
      if (!slot.data.value.has(field)) added++;
      slot.data.value.set(field, value);
    }
    return added;
  }

  /** TIME: seconds and microseconds, as strings. */
  time(): [string, string] {
    const micros = Math.floor(this.now() * 1000);
    return [String(Math.floor(micros / 1_000_000)), String(micros % 1_000_000)];
  }

  #slot(key: string): Slot | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt !== undefined && this.now() > slot.expiresAt) {
      this.#slots.delete(key);
      return undefined;
    }
    return slot;
  }
}

/** An error as Redis replies with it: an ioredis `ReplyError`, as a real server's would be. */
export function replyError(message: string): Error {
  return new ReplyError(message) as Error;
}

/** An integer argument as Redis parses one (PX, PEXPIRE): anything else is refused with Redis's message. */
export function integerArg(value: string): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(n)) throw replyError('ERR value is not an integer or out of range');
  return n;
}
