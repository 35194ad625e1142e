import { createHash } from 'node:crypto';
import { CacheKeyError } from '../errors.js';

/**
 * A top-level argument whose encoding is longer than this many characters is replaced by `#`
 * and the SHA-256 of that encoding in base64url (44 characters in all), so keys stay bounded.
 */
export const ARG_HASH_THRESHOLD = 64;

/**
 * Canonical, deterministic encoding of a method's arguments for the `<args>` part of a cache key:
 * equal arguments give the same string on every replica, and different ones different strings.
 *
 * | argument | encoding |
 * | --- | --- |
 * | none | `''` |
 * | several | joined by `,` |
 * | number | as JS prints it (`1`, `1.5`, `-3`, `NaN`, `Infinity`); `-0` is `0`, the same key as `0` |
 * | boolean, `null`, `undefined` | bare |
 * | BigInt | `12n` |
 * | string | bare when simple (`/^[A-Za-z_][A-Za-z0-9_.@\-\/]*$/`, not a word such as `true` or `NaN`), else JSON-quoted |
 * | plain object, class instance | `{a:1,b:"x y"}`: own enumerable string keys, sorted, `undefined` values left out |
 * | array | `[1,undefined,"x y"]` |
 * | Date | `D(2024-01-01T00:00:00.000Z)`, `D(Invalid)` |
 * | Map | `Map{k=>v,...}`, entries sorted by encoded key (then value) |
 * | Set | `Set[...]`, sorted by encoded item |
 * | Buffer, Uint8Array | `B(<base64url>)` |
 *
 * So `'1'` (`"1"`) and `1` never collide, and `'a,b'` (`"a,b"`) cannot pass for two arguments.
 * `-0` is `0` because the in-memory index that short-cuts this encoding for a single primitive
 * argument keys a JS Map by the raw argument, which treats them as one (SameValueZero).
 *
 * @throws CacheKeyError for functions, symbols, cycles and objects whose state is not in their
 * properties (WeakMap, Promise, RegExp, Error, typed arrays other than Uint8Array...), with a
 * `path` such as `args[0].filter.fn`.
 */
export function encodeArgs(args: ArrayLike<unknown>): string {
  let key = '';
  for (let i = 0; i < args.length; i++) {
    let part: string;
    try {
      part = encodeValue(args[i], undefined);
    } catch (error) {
      throw toKeyError(error, `args[${i}]`);
    }
    part = bounded(part);
    key = i === 0 ? part : `${key},${part}`;
  }
  return key;
}

/**
 * `encodeArgs([value])`, or `undefined` where that throws: for the L1 hit path of a call with one
 * argument, which leaves the error (and its path) to the full path.
 */
export function tryEncodeArg(value: unknown): string | undefined {
  try {
    return bounded(encodeValue(value, undefined));
  } catch {
    return undefined;
  }
}

function bounded(part: string): string {
  return part.length > ARG_HASH_THRESHOLD ? `#${createHash('sha256').update(part).digest('base64url')}` : part;
}

/**
 * True for the values that can key a JS Map directly and deterministically: strings, numbers,
 * booleans, BigInts, `undefined` and `null`.
 */
export function isPrimitiveKey(value: unknown): boolean {
  if (value === null) return true;
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint' || type === 'undefined';
}

/**
 * Thrown inside the encoder; each enclosing container prepends its part of the path while the
 * error unwinds, so the common path that throws nothing builds no path strings at all.
 */
class Refusal extends Error {
  path = '';
}

// `ancestors` holds the containers being encoded, for cycle detection; it is created at the first
// object met, so calls with primitive arguments allocate nothing for it.
function encodeValue(value: unknown, ancestors: object[] | undefined): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'number':
      // String(-0) is "0", which is the point; NaN and the infinities print as themselves.
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return `${value}n`;
    case 'object':
      return value === null ? 'null' : encodeObject(value, ancestors ?? []);
    case 'function':
      throw new Refusal('a function cannot be part of a cache key');
    case 'symbol':
      throw new Refusal('a symbol cannot be part of a cache key');
  }
}

const objectToString = Object.prototype.toString;

function encodeObject(value: object, ancestors: object[]): string {
  if (Array.isArray(value)) return nest(value, ancestors, encodeArray);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return nest(value as Record<string, unknown>, ancestors, encodeRecord);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'D(Invalid)' : `D(${value.toISOString()})`;
  if (value instanceof Uint8Array) return `B(${bytes(value)})`;
  if (value instanceof Map) return nest(value as Map<unknown, unknown>, ancestors, encodeMap);
  if (value instanceof Set) return nest(value as Set<unknown>, ancestors, encodeSet);
  const tag = objectToString.call(value);
  // A class instance says `[object Object]`; a built-in whose state lives in internal slots
  // (WeakMap, Promise, RegExp, Error, Float32Array, Number...) says its own name, and its
  // properties alone would give every instance the same key.
  if (tag !== '[object Object]') throw new Refusal(`${article(tag.slice(8, -1))} cannot be part of a cache key`);
  return nest(value as Record<string, unknown>, ancestors, encodeRecord);
}

function nest<T extends object>(value: T, ancestors: object[], encode: (value: T, ancestors: object[]) => string): string {
  if (ancestors.includes(value)) throw new Refusal('a cycle (the argument contains itself) cannot be part of a cache key');
  ancestors.push(value);
  const encoded = encode(value, ancestors);
  ancestors.pop();
  return encoded;
}

function encodeRecord(record: Record<string, unknown>, ancestors: object[]): string {
  const keys = sortStrings(Object.keys(record));
  let out = '';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    let part: string;
    try {
      const item = record[key];
      // Left out like JSON.stringify does, so `{ a: 1, b: undefined }` is the key of `{ a: 1 }`.
      if (item === undefined) continue;
      part = encodeValue(item, ancestors);
    } catch (error) {
      throw within(error, property(key));
    }
    out = out === '' ? `${encodeString(key)}:${part}` : `${out},${encodeString(key)}:${part}`;
  }
  return `{${out}}`;
}

/**
 * Sorts in UTF-16 code-unit order (`<` on strings, like the default sort): the same order on every
 * replica and locale. Objects have few keys and these are often already sorted, where an
 * insertion sort is linear; measured about 3.5 times faster than `Array.prototype.sort` for 3 keys.
 */
function sortStrings(keys: string[]): string[] {
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > key) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

function encodeArray(array: readonly unknown[], ancestors: object[]): string {
  let out = '';
  for (let i = 0; i < array.length; i++) {
    let part: string;
    try {
      part = encodeValue(array[i], ancestors);
    } catch (error) {
      throw within(error, `[${i}]`);
    }
    out = i === 0 ? part : `${out},${part}`;
  }
  return `[${out}]`;
}

function encodeMap(map: Map<unknown, unknown>, ancestors: object[]): string {
  const entries: [string, string][] = [];
  let i = 0;
  for (const [key, item] of map) {
    let encodedKey: string;
    let encodedItem: string;
    try {
      encodedKey = encodeValue(key, ancestors);
    } catch (error) {
      throw within(error, `<Map key ${i}>`);
    }
    try {
      encodedItem = encodeValue(item, ancestors);
    } catch (error) {
      throw within(error, `<Map value ${i}>`);
    }
    entries.push([encodedKey, encodedItem]);
    i++;
  }
  // Distinct keys can encode alike (two objects with equal contents), hence the tie-break on value.
  entries.sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  let out = '';
  for (const [key, item] of entries) out = out === '' ? `${key}=>${item}` : `${out},${key}=>${item}`;
  return `Map{${out}}`;
}

function encodeSet(set: Set<unknown>, ancestors: object[]): string {
  const items: string[] = [];
  for (const item of set) {
    try {
      items.push(encodeValue(item, ancestors));
    } catch (error) {
      throw within(error, `<Set item ${items.length}>`);
    }
  }
  return `Set[${sortStrings(items).join(',')}]`;
}

function bytes(array: Uint8Array): string {
  const buffer = Buffer.isBuffer(array) ? array : Buffer.from(array.buffer, array.byteOffset, array.byteLength);
  return buffer.toString('base64url');
}

// 1: allowed anywhere in a simple string; 2: allowed after the first character only.
const SIMPLE = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_]/.test(ch)) SIMPLE[c] = 1;
  else if (/[0-9.@\-/]/.test(ch)) SIMPLE[c] = 2;
}

/** Bare words that would read as another type. */
const RESERVED: ReadonlySet<string> = new Set(['true', 'false', 'null', 'undefined', 'NaN', 'Infinity']);

/**
 * Bare when simple, JSON-quoted otherwise. A simple string starts with a letter or `_`, so it
 * cannot read as a number, BigInt, quoted string, container or digest, and it holds none of
 * the delimiters (`,:=>(){}[]"`), so where it ends is never in doubt.
 */
function encodeString(value: string): string {
  const length = value.length;
  if (length === 0) return JSON.stringify(value);
  const first = value.charCodeAt(0);
  if (first >= 128 || SIMPLE[first] !== 1) return JSON.stringify(value);
  for (let i = 1; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || SIMPLE[c] === 0) return JSON.stringify(value);
  }
  return length <= 9 && RESERVED.has(value) ? JSON.stringify(value) : value;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function property(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function article(name: string): string {
  return /^[AEIOU]/.test(name) ? `an ${name}` : `a ${name}`;
}

/** Adds one step of the path to an error unwinding out of a container. */
function within(error: unknown, step: string): Refusal {
  if (error instanceof Refusal) {
    // A path thousands of steps long would only bury the message.
    if (!(error.cause instanceof RangeError)) error.path = step + error.path;
    return error;
  }
  if (error instanceof RangeError) return new Refusal('the argument is nested too deeply to be part of a cache key', { cause: error });
  const refusal = new Refusal(`reading it threw: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  refusal.path = step;
  return refusal;
}

function toKeyError(error: unknown, root: string): CacheKeyError {
  if (error instanceof Refusal) {
    const path = root + error.path;
    return new CacheKeyError(error.message, error.cause === undefined ? { path } : { path, cause: error.cause });
  }
  return new CacheKeyError(`reading it threw: ${error instanceof Error ? error.message : String(error)}`, { path: root, cause: error });
}
