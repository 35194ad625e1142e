import { splitList, trimOws, type HeaderValue } from './field-value.js';

/**
 * Accept-Encoding (RFC 9110 12.5.3): which content coding to send.
 *
 * RFC 9110 12.5.3 in short: each member is a coding (or `*`) with an optional weight `q` from 0 to
 * 1 (12.4.2), 0 meaning "not acceptable"; names are case-insensitive; `identity` is acceptable
 * unless excluded by `identity;q=0`, or by `*;q=0` with no `identity` member; no field at all means
 * no preference (any coding would do), and an empty field means identity only.
 */

/** The weight of each member, by lower-case coding name (`*` included); `undefined` for no field. */
export function parseAcceptEncoding(value: HeaderValue): Map<string, number> | undefined {
  if (value === undefined || (typeof value !== 'string' && value.length === 0)) return undefined;
  const weights = new Map<string, number>();
  for (const member of splitList(value)) {
    const [name = '', ...params] = member.split(';');
    const coding = trimOws(name).toLowerCase();
    if (coding === '') continue;
    let q = 1;
    for (const param of params) {
      const [key = '', raw = ''] = param.split('=');
      if (trimOws(key).toLowerCase() !== 'q') continue;
      q = parseWeight(trimOws(raw));
    }
    // A malformed weight makes the member meaningless: it is skipped, not read as q=1.
    if (Number.isNaN(q)) continue;
    // Duplicates: the first one wins, as in most servers; RFC 9110 does not define them.
    if (!weights.has(coding)) weights.set(coding, q);
  }
  return weights;
}

/** `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` (RFC 9110 12.4.2); NaN if malformed. */
function parseWeight(raw: string): number {
  return /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(raw) ? Number(raw) : Number.NaN;
}

/**
 * The coding to send, chosen from `available` (the server's codings, best first, `identity`
 * excluded) for a request whose Accept-Encoding is `value`:
 *
 * - a coding of `available` with the highest weight above 0, ties going to the server's order;
 *   `*` gives its weight to every coding the field does not name;
 * - `'identity'` when no coding is acceptable, or when identity is named with a higher weight than
 *   the best coding, or when there is no field (no preference: the unencoded body is the safe
 *   default, as for koa-compress) or the field is empty;
 * - `undefined` when nothing is acceptable, identity included (`identity;q=0`, or `*;q=0` without
 *   an identity member, with no available coding acceptable). The server then either answers 406
 *   or disregards the field and sends identity (RFC 9110 12.1); `httpCache` does the latter.
 */
export function negotiateEncoding(value: HeaderValue, available: readonly string[]): string | undefined {
  const weights = parseAcceptEncoding(value);
  if (weights === undefined || weights.size === 0) return 'identity';
  const star = weights.get('*');
  let best: string | undefined;
  let bestQ = 0;
  for (const coding of available) {
    // `x-gzip` is `gzip` (RFC 9110 8.4.1.3): a recipient SHOULD treat them as equivalent.
    const q = weights.get(coding) ?? (coding === 'gzip' ? weights.get('x-gzip') : undefined) ?? star ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  const identityQ = weights.get('identity') ?? star ?? 1;
  // Only a named identity (or `*`) can outweigh a coding the client asked for; the implicit one cannot.
  const identityNamed = weights.has('identity') || star !== undefined;
  if (best !== undefined && !(identityNamed && identityQ > bestQ)) return best;
  return identityQ > 0 ? 'identity' : undefined;
}
