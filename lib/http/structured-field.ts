/**
 * Serialisation of Structured Field Values (RFC 8941, since republished as RFC 9651 with the same
 * rules for these types): the Lists and Dictionaries of Items with Parameters that
 * CDN-Cache-Control (RFC 9213) and the RateLimit fields need. Decimals, Inner Lists and parsing are
 * not needed and not here. Every function throws instead of emitting an invalid field, as the
 * serialisation algorithms of RFC 8941 section 4.1 "fail".
 */

/** A Token (RFC 8941 3.3.4), told apart from a String by its wrapper. */
export interface SfToken {
  readonly token: string;
}

/** A Bare Item: Integer (a safe integer), String, Token, Byte Sequence or Boolean (RFC 8941 3.3). */
export type BareItem = number | string | SfToken | Uint8Array | boolean;

/** Parameters (RFC 8941 3.1.2), serialised in their insertion order. */
export type Parameters = Readonly<Record<string, BareItem>>;

/** An Item (RFC 8941 3.3): a Bare Item with Parameters. */
export interface Item {
  readonly value: BareItem;
  readonly params?: Parameters | undefined;
}

const MAX_INTEGER = 999_999_999_999_999;
const KEY = /^[a-z*][a-z0-9_\-.*]*$/;
const TOKEN = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/;

/** A Token wrapper for `serializeBareItem`. */
export function sfToken(token: string): SfToken {
  return { token };
}

/** RFC 8941 4.1.4: an integer from -999,999,999,999,999 to 999,999,999,999,999. */
export function serializeInteger(value: number): string {
  if (!Number.isInteger(value) || Math.abs(value) > MAX_INTEGER) {
    throw new TypeError(`a structured-field Integer is a whole number of at most 15 digits (RFC 8941 3.3.1), got ${value}`);
  }
  return String(value === 0 ? 0 : value);
}

/** RFC 8941 4.1.6: printable ASCII (%x20-7E) in double quotes, `"` and `\` escaped. */
export function serializeString(value: string): string {
  if (!/^[\x20-\x7e]*$/.test(value)) {
    throw new TypeError(`a structured-field String holds printable ASCII only (RFC 8941 3.3.3): ${JSON.stringify(value)}`);
  }
  return `"${value.replace(/[\\"]/g, '\\$&')}"`;
}

/** RFC 8941 4.1.7: `( ALPHA / "*" ) *( tchar / ":" / "/" )`. */
export function serializeToken(value: string): string {
  if (!TOKEN.test(value)) throw new TypeError(`not a structured-field Token (RFC 8941 3.3.4): ${JSON.stringify(value)}`);
  return value;
}

/** RFC 8941 4.1.1.3: `( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )`. */
export function serializeKey(key: string): string {
  if (!KEY.test(key)) throw new TypeError(`not a structured-field key (RFC 8941 3.1.2): ${JSON.stringify(key)}`);
  return key;
}

/** RFC 8941 4.1.8: base64 between colons. */
export function serializeByteSequence(value: Uint8Array): string {
  return `:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}:`;
}

/** RFC 8941 4.1.9: `?1` or `?0`. */
export function serializeBoolean(value: boolean): string {
  return value ? '?1' : '?0';
}

/** RFC 8941 4.1.3.1: a Bare Item of any supported type. */
export function serializeBareItem(value: BareItem): string {
  if (typeof value === 'number') return serializeInteger(value);
  if (typeof value === 'string') return serializeString(value);
  if (typeof value === 'boolean') return serializeBoolean(value);
  if (value instanceof Uint8Array) return serializeByteSequence(value);
  return serializeToken(value.token);
}

/** RFC 8941 4.1.1.2: `;key=value` each, `;key` alone for Boolean true. */
export function serializeParameters(params: Parameters | undefined): string {
  if (params === undefined) return '';
  let out = '';
  for (const [key, value] of Object.entries(params)) {
    out += `;${serializeKey(key)}${value === true ? '' : `=${serializeBareItem(value)}`}`;
  }
  return out;
}

/** RFC 8941 4.1.3: a Bare Item followed by its Parameters. */
export function serializeItem(item: Item): string {
  return serializeBareItem(item.value) + serializeParameters(item.params);
}

/** RFC 8941 4.1.1: Items separated by `", "`. An empty List is not sent (RFC 8941 3.1). */
export function serializeList(items: readonly Item[]): string {
  if (items.length === 0) throw new TypeError('an empty structured-field List is not serialised: send no field (RFC 8941 3.1)');
  return items.map(serializeItem).join(', ');
}

/**
 * RFC 8941 4.1.2: `key=value` members separated by `", "`, in insertion order; a member whose value
 * is Boolean true is its key alone (`must-revalidate`). An empty Dictionary is not sent (3.2).
 */
export function serializeDictionary(members: Readonly<Record<string, Item>>): string {
  const entries = Object.entries(members);
  if (entries.length === 0) throw new TypeError('an empty structured-field Dictionary is not serialised: send no field (RFC 8941 3.2)');
  return entries
    .map(([key, item]) => `${serializeKey(key)}${item.value === true ? '' : `=${serializeBareItem(item.value)}`}${serializeParameters(item.params)}`)
    .join(', ');
}
