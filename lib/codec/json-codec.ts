import { SerializationError } from '../errors.js';
import type { Codec } from './codec.js';

/**
 * The default codec: JSON, extended with markers for what JSON cannot say.
 *
 * Output is one prefix character and a JSON text:
 *
 * | prefix | meaning |
 * | --- | --- |
 * | `=` | plain JSON: no marker was emitted, so `decode` is a bare `JSON.parse` (the common case) |
 * | `~` | the JSON holds markers: `decode` parses, then walks the tree to replace them |
 *
 * A marker is an object whose key `~` holds a one-letter tag:
 *
 * | marker | value |
 * | --- | --- |
 * | `{"~":"u"}` | `undefined` (root, property, array element, Map key or value, Set item) |
 * | `{"~":"n","v":"-0"}` | `-0`, `NaN`, `Infinity`, `-Infinity` |
 * | `{"~":"b","v":"12"}` | BigInt |
 * | `{"~":"d","v":1700000000000}` | Date, by its time value (`null` for an invalid Date) |
 * | `{"~":"M","v":[[k,v],...]}` | Map, any key types, in insertion order |
 * | `{"~":"S","v":[...]}` | Set, in insertion order |
 * | `{"~":"B","v":"<base64>"}` | Buffer |
 * | `{"~":"U","v":"<base64>"}` | Uint8Array (comes back as a Uint8Array, not a Buffer) |
 * | `{"~":"T","t":"Float32Array","v":[...]}` | the other typed arrays, as numbers (or BigInts): byte order never matters |
 * | `{"~":"O","v":[[k,v],...]}` | an object of the user's that has its own `~` key, escaped so it round-trips |
 *
 * Class instances are encoded as their own enumerable properties (they come back as plain
 * objects), objects with a `toJSON` method other than Date through it, as `JSON.stringify` does;
 * symbol-keyed properties are skipped. Refused with a {@link SerializationError} naming the path:
 * functions, symbols, cycles (a shared reference is fine: it is duplicated), DataView and the
 * built-ins whose state JSON cannot see (WeakMap, WeakSet, Promise, RegExp, Error, ArrayBuffer,
 * boxed primitives...): they would otherwise come back as `{}` without a word.
 *
 * Getters are read twice on the way (once by `JSON.stringify`, once by the replacer, which needs
 * the value before `toJSON`), so a getter with side effects sees two calls.
 */
export const jsonCodec: Codec = {
  name: 'json',
  encode,
  decode,
};

const MARK = '~';
const PLAIN = '=';
const TAGGED = '~';

type Marker = { readonly [MARK]: string; readonly v?: unknown; readonly t?: string };

/**
 * The typed arrays the `T` marker may name, by what `Object.prototype.toString` reports. A Map,
 * so that a corrupt payload naming `constructor` finds nothing.
 */
const TYPED_ARRAYS: ReadonlyMap<string, (items: ArrayLike<any>) => ArrayBufferView> = new Map<string, (items: ArrayLike<any>) => ArrayBufferView>([
  ['Int8Array', (items) => Int8Array.from(items)],
  ['Uint8ClampedArray', (items) => Uint8ClampedArray.from(items)],
  ['Int16Array', (items) => Int16Array.from(items)],
  ['Uint16Array', (items) => Uint16Array.from(items)],
  ['Int32Array', (items) => Int32Array.from(items)],
  ['Uint32Array', (items) => Uint32Array.from(items)],
  ['Float32Array', (items) => Float32Array.from(items)],
  ['Float64Array', (items) => Float64Array.from(items)],
  ['BigInt64Array', (items) => BigInt64Array.from(items)],
  ['BigUint64Array', (items) => BigUint64Array.from(items)],
]);

const NON_FINITE: ReadonlySet<unknown> = new Set(['-0', 'NaN', 'Infinity', '-Infinity']);

/** One shared marker: `undefined` is common enough (optional fields) not to allocate each time. */
const UNDEFINED_MARKER: Marker = Object.freeze({ [MARK]: 'u' });

const objectToString = Object.prototype.toString;

/** Thrown by the replacer for a value it refuses; {@link locate} then finds its path. */
class Refusal extends Error {}

// Set by the replacer when it emits a marker, read by `encode` to choose the prefix. A module
// variable rather than a closure per call, so encoding allocates nothing of its own; `encode`
// saves and restores it, so a `toJSON` that itself calls `encode` cannot confuse the outer call.
let tagged = false;

function encode(value: unknown): string {
  const outer = tagged;
  tagged = false;
  try {
    const json = JSON.stringify(value, replacer);
    return (tagged ? TAGGED : PLAIN) + json;
  } catch (error) {
    throw explain(value, error);
  } finally {
    tagged = outer;
  }
}

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // `value` is after `toJSON`; the holder still has the value before it, which is what tells a
  // Date (whose toJSON gave a string) or a Buffer (whose toJSON gave `{ type, data }`) apart.
  const raw = this[key];
  return raw === value ? replaceValue(value) : replaceTransformed(raw, value);
}

/** A value `toJSON` changed (or NaN, which is not `===` itself). */
function replaceTransformed(raw: unknown, value: unknown): unknown {
  if (raw instanceof Date) return dateMarker(raw);
  if (typeof raw === 'bigint') return marker('b', raw.toString());
  if (raw instanceof Uint8Array) return replaceView(raw);
  return replaceValue(value);
}

function replaceValue(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // `value - value` is 0 for every finite number and NaN for NaN and the infinities.
      if (value - value === 0 && (value !== 0 || 1 / value > 0)) return value;
      return marker('n', Object.is(value, -0) ? '-0' : String(value));
    case 'object':
      return value === null ? null : replaceObject(value);
    case 'undefined':
      tagged = true;
      return UNDEFINED_MARKER;
    case 'bigint':
      return marker('b', value.toString());
    case 'function':
      throw new Refusal('a function cannot be encoded');
    case 'symbol':
      throw new Refusal('a symbol cannot be encoded');
  }
}

function replaceObject(value: object): unknown {
  if (Array.isArray(value)) return value;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return Object.hasOwn(value, MARK) ? escape(value) : value;
  if (value instanceof Date) return dateMarker(value);
  if (value instanceof Map) return marker('M', Array.from(value));
  if (value instanceof Set) return marker('S', Array.from(value));
  if (ArrayBuffer.isView(value)) return replaceView(value);
  const tag = objectToString.call(value);
  // A class instance says `[object Object]`; a built-in with internal state (WeakMap, Promise,
  // RegExp, Error, ArrayBuffer, Number...) says its own name, and JSON would give back `{}`.
  if (tag !== '[object Object]') throw new Refusal(`${article(tag.slice(8, -1))} cannot be encoded`);
  return Object.hasOwn(value, MARK) ? escape(value) : value;
}

function replaceView(view: ArrayBufferView): Marker {
  if (view instanceof Uint8Array) {
    if (Buffer.isBuffer(view)) return marker('B', view.toString('base64'));
    return marker('U', Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64'));
  }
  const name = objectToString.call(view).slice(8, -1);
  if (!TYPED_ARRAYS.has(name)) throw new Refusal(`${article(name)} cannot be encoded`);
  // Numbers rather than bytes: longer, but independent of the byte order of the machine.
  tagged = true;
  return { [MARK]: 'T', t: name, v: Array.from(view as unknown as ArrayLike<number | bigint>) };
}

function dateMarker(date: Date): Marker {
  const time = date.getTime();
  return marker('d', Number.isNaN(time) ? null : time);
}

/** A user object that has the marker key: its entries, so the decoder cannot take it for a marker. */
function escape(value: object): Marker {
  return marker('O', Object.entries(value));
}

function marker(tag: string, v: unknown): Marker {
  tagged = true;
  return { [MARK]: tag, v };
}

function article(name: string): string {
  return /^[AEIOU]/.test(name) ? `an ${name}` : `a ${name}`;
}

/**
 * Turns whatever `JSON.stringify` threw (a {@link Refusal}, the native cycle TypeError, a stack
 * overflow, an error from a getter or `toJSON`) into a SerializationError with a path. The fast
 * path keeps no path at all, so this walks the value again, the same way, to find where.
 */
function explain(value: unknown, error: unknown): SerializationError {
  try {
    locate({ '': value }, '', 'value', []);
  } catch (found) {
    if (found instanceof SerializationError) return found;
    if (found instanceof RangeError) return new SerializationError('the value is nested too deeply to encode', { cause: error });
    return new SerializationError(`cannot encode the value: ${message(found)}`, { cause: found });
  }
  // The second walk found nothing (a getter or toJSON that only failed the first time).
  return new SerializationError(`cannot encode the value: ${message(error)}`, { cause: error });
}

/** Walks like `JSON.stringify` with {@link replacer}, keeping the path and the ancestors. */
function locate(holder: Record<string, unknown>, key: string, path: string, ancestors: unknown[]): void {
  let raw: unknown;
  let out: unknown;
  try {
    raw = holder[key];
    let value = raw;
    if ((typeof raw === 'object' && raw !== null) || typeof raw === 'bigint') {
      const toJSON = (raw as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') value = toJSON.call(raw, key);
    }
    out = raw === value ? replaceValue(value) : replaceTransformed(raw, value);
  } catch (error) {
    if (error instanceof Refusal) throw new SerializationError(error.message, { path });
    throw new SerializationError(`reading it threw: ${message(error)}`, { path, cause: error });
  }
  if (typeof out !== 'object' || out === null || out === UNDEFINED_MARKER) return;
  if (ancestors.includes(out) || ancestors.includes(raw)) {
    throw new SerializationError('the value refers to itself (a cycle)', { path });
  }
  ancestors.push(raw, out);
  if (Array.isArray(out)) {
    for (let i = 0; i < out.length; i++) locate(out as unknown as Record<string, unknown>, String(i), `${path}[${i}]`, ancestors);
  } else if (out === raw || !Object.hasOwn(out, MARK)) {
    for (const k of Object.keys(out)) locate(out as Record<string, unknown>, k, path + property(k), ancestors);
  } else {
    // A marker: walk what it holds, naming the parts as the user knows them.
    const { [MARK]: tag, v } = out as Marker;
    const items = v as unknown[] as Record<string, unknown>[];
    if (tag === 'M') {
      items.forEach((entry, i) => {
        locate(entry, '0', `${path}<Map key ${i}>`, ancestors);
        locate(entry, '1', `${path}<Map value ${i}>`, ancestors);
      });
    } else if (tag === 'S') {
      for (let i = 0; i < items.length; i++) locate(v as Record<string, unknown>, String(i), `${path}<Set item ${i}>`, ancestors);
    } else if (tag === 'O') {
      for (const entry of items) locate(entry, '1', path + property(String(entry[0])), ancestors);
    }
  }
  ancestors.length -= 2;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function property(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function decode(text: string): unknown {
  const prefix = text.charAt(0);
  try {
    if (prefix === PLAIN) return JSON.parse(text.slice(1));
    if (prefix === TAGGED) return revive(JSON.parse(text.slice(1)));
    throw new SyntaxError(`expected "${PLAIN}" or "${TAGGED}" first, got ${JSON.stringify(prefix)}`);
  } catch (error) {
    throw new SerializationError(`cannot decode a ${jsonCodec.name} payload: ${message(error)}`, { cause: error });
  }
}

/**
 * Replaces the markers of a parsed tree, children first, in place. Not a `JSON.parse` reviver:
 * V8 calls a reviver for every node through a slow path (measured about 3.5 times slower than
 * this walk), and a reviver cannot produce `undefined` (returning it deletes the property).
 */
function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item === 'object' && item !== null) value[i] = revive(item);
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  // Object.keys, not for...in: an enumerable property added to Object.prototype must not be copied in.
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const item = record[key];
    if (typeof item === 'object' && item !== null) record[key] = revive(item);
  }
  return Object.hasOwn(record, MARK) ? fromMarker(record as Marker) : record;
}

function fromMarker(marker: Marker): unknown {
  const { [MARK]: tag, v } = marker;
  switch (tag) {
    case 'u':
      return undefined;
    case 'n':
      if (NON_FINITE.has(v)) return Number(v);
      break;
    case 'b':
      if (typeof v === 'string') return BigInt(v);
      break;
    case 'd':
      if (typeof v === 'number' || v === null) return new Date(v ?? Number.NaN);
      break;
    case 'M':
      if (Array.isArray(v) && v.every(isPair)) return new Map(v);
      break;
    case 'S':
      if (Array.isArray(v)) return new Set(v);
      break;
    case 'B':
      if (typeof v === 'string') return Buffer.from(v, 'base64');
      break;
    case 'U':
      // A copy: `Buffer.from` may slice the shared pool, which a Uint8Array should not expose.
      if (typeof v === 'string') return new Uint8Array(Buffer.from(v, 'base64'));
      break;
    case 'T': {
      const make = TYPED_ARRAYS.get(marker.t ?? '');
      if (make !== undefined && Array.isArray(v)) return make(v);
      break;
    }
    case 'O':
      // Object.fromEntries defines properties, so a `__proto__` key stays an own property.
      if (Array.isArray(v) && v.every((entry) => isPair(entry) && typeof entry[0] === 'string')) return Object.fromEntries(v);
      break;
  }
  throw new SyntaxError(`malformed ${JSON.stringify(String(tag))} marker`);
}

function isPair(entry: unknown): entry is [unknown, unknown] {
  return Array.isArray(entry) && entry.length === 2;
}
