import { isToken, splitList, type HeaderValue } from './field-value.js';

/**
 * Vary (RFC 9110 12.5.5): `Vary = #( "*" / field-name )`. Field names are case-insensitive
 * (RFC 9110 5.1), and `*` means the response varies on more than fields, so it absorbs any name.
 */

/**
 * The members of Vary field values: field names and `*`, each once, compared case-insensitively
 * and kept in the spelling and order of their first appearance; `['*']` when any value holds `*`.
 * A member that is not a token (RFC 9110 5.6.2) is dropped. Each value may be a field value, an
 * array of field lines, or an array of names, which is the same thing.
 */
export function parseVary(...values: readonly HeaderValue[]): string[] {
  const names = new Map<string, string>();
  for (const value of values) {
    for (const member of splitList(value)) {
      if (member === '*') return ['*'];
      const key = member.toLowerCase();
      if (isToken(member) && !names.has(key)) names.set(key, member);
    }
  }
  return [...names.values()];
}

/**
 * The Vary field value that combines `values` (see `parseVary`), names joined by `", "`, or
 * `undefined` when there is no name at all, so no Vary is sent.
 */
export function mergeVary(...values: readonly HeaderValue[]): string | undefined {
  const names = parseVary(...values);
  return names.length === 0 ? undefined : names.join(', ');
}
