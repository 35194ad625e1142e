import { createHash } from 'node:crypto';
import { formatEntityTag, parseEntityTag, type EntityTag } from './entity-tag.js';
import { isToken, splitList, type HeaderValue } from './field-value.js';

/** The digest behind a body's entity-tag. */
export type EtagAlgorithm = 'sha256' | 'sha1';

/** Options of `bodyEtag`. */
export interface BodyEtagOptions {
  /**
   * The digest of the body bytes. Both give 27 base64url characters: SHA-1 has exactly that many,
   * SHA-256 is cut to its first 27 (162 bits), like jshttp/etag.
   * @default 'sha256'
   */
  readonly algorithm?: EtagAlgorithm | undefined;
  /**
   * `W/"..."` instead of `"..."` (RFC 9110 8.8.1): for `@HttpCacheable({ etag: 'weak' })`.
   * @default false
   */
  readonly weak?: boolean | undefined;
}

/** Characters of the digest kept in a tag: 27 base64url characters are 162 bits. */
const DIGEST_CHARS = 27;

/**
 * The content codings whose suffix `identityEtag` removes by default: those of the HTTP Content
 * Coding registry a Node server can produce, plus the `x-` aliases of RFC 9110 8.4.1.
 */
export const CONTENT_CODINGS: readonly string[] = ['gzip', 'x-gzip', 'deflate', 'br', 'zstd', 'compress', 'x-compress'];

const CODINGS_BY_LENGTH = longestFirst(CONTENT_CODINGS);

function longestFirst(codings: readonly string[]): readonly string[] {
  return [...codings].sort((a, b) => b.length - a.length);
}

/**
 * The entity-tag of a body: `"<byte length in hex>-<27 base64url characters of its digest>"`, for
 * example `"d-Pdb5o8Ro0kYyeJFX5GrVyqE6UQ3Kf"`. A string is hashed as its UTF-8 bytes.
 *
 * It is a strong validator (RFC 9110 8.8.1) of the identity representation: it depends on the bytes
 * only, so every replica and every process computes the same tag for the same value, and any change
 * of the bytes changes it (up to a 2^-162 collision). Compute it once per cached entry, beside the
 * serialised body, and reuse it: a 304 then needs neither.
 */
export function bodyEtag(body: Uint8Array | string, options: BodyEtagOptions = {}): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const digest = createHash(options.algorithm ?? 'sha256').update(bytes).digest('base64url');
  return formatEntityTag({ weak: options.weak ?? false, opaque: `${bytes.byteLength.toString(16)}-${digest.slice(0, DIGEST_CHARS)}` });
}

/**
 * The ETag of the representation after the content codings of `contentEncoding` were applied to
 * the identity representation whose ETag is `identityTag`.
 *
 * Choice, RFC 9110 8.8.3.3: "a strong entity tag for a content-encoded representation has to be
 * distinct from the entity tag of an unencoded representation". A strong tag gets one
 * `-<coding>` suffix per coding, in the order applied (`"1f-abc"` under gzip is `"1f-abc-gzip"`),
 * and stays strong, the choice of Apache's `DeflateAlterETag AddSuffix`. Weakening it instead (as
 * nginx does) would make every If-Match from a browser, which always accepts gzip, fail the strong
 * comparison of RFC 9110 13.1.1, so that a conditional PUT after a compressed GET could only ever
 * get 412. The suffixed tag is as strong as the encoder is deterministic: replicas that share the
 * Node version (zlib, brotli) and the compression settings produce the same bytes for it.
 * A weak tag is returned unchanged: weak validators may be shared by representations that differ
 * only in their coding (RFC 9110 8.8.1), and If-None-Match compares weakly anyway.
 *
 * `identity`, an absent or empty Content-Encoding leave the tag unchanged. Coding names are
 * case-insensitive (RFC 9110 8.4.1) and written in lower case.
 *
 * @throws TypeError when `identityTag` is not an entity-tag or a coding is not a token.
 */
export function encodedEtag(identityTag: string, contentEncoding: HeaderValue): string {
  const tag = parseEntityTag(identityTag);
  if (tag === undefined) throw new TypeError(`not an entity-tag (RFC 9110 8.8.3): ${JSON.stringify(identityTag)}`);
  if (tag.weak) return formatEntityTag(tag);
  let opaque = tag.opaque;
  for (const member of splitList(contentEncoding)) {
    const coding = member.toLowerCase();
    if (!isToken(coding)) throw new TypeError(`not a content coding (RFC 9110 8.4.1): ${JSON.stringify(member)}`);
    if (coding !== 'identity') opaque += `-${coding}`;
  }
  return formatEntityTag({ weak: false, opaque });
}

/**
 * The identity tag a received tag stands for: `encodedEtag` undone, so a server matches its own
 * compressed tags in If-None-Match and If-Match. Every trailing `-<coding>` of `codings` is
 * removed (`"1f-abc-gzip"` is `"1f-abc"`, `W/"1f-abc-br"` is `W/"1f-abc"`), keeping the tag's
 * weakness: an intermediary that weakened our tag still means our representation. A tag without
 * such a suffix is returned as it is.
 *
 * Compare both the received tag and this one with the current identity tag: a tag of another
 * server that happens to end in `-gzip` then still matches itself.
 */
export function identityEtag(received: EntityTag, codings: readonly string[] = CONTENT_CODINGS): EntityTag {
  // Longest first, so `-x-gzip` goes as a whole rather than as `-gzip` leaving `-x`.
  const byLength = codings === CONTENT_CODINGS ? CODINGS_BY_LENGTH : longestFirst(codings);
  let opaque = received.opaque;
  for (;;) {
    const coding = byLength.find((name) => opaque.endsWith(`-${name}`));
    if (coding === undefined) break;
    opaque = opaque.slice(0, opaque.length - coding.length - 1);
  }
  return opaque === received.opaque ? received : { weak: received.weak, opaque };
}
