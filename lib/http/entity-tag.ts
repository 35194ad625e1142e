import { combineFieldLines, isOws, trimOws, type HeaderValue } from './field-value.js';

/**
 * Entity-tags (RFC 9110 8.8.3):
 *
 * ```
 * entity-tag = [ weak ] opaque-tag
 * weak       = %s"W/"                 ; case-sensitive: w/"x" is malformed
 * opaque-tag = DQUOTE *etagc DQUOTE
 * etagc      = %x21 / %x23-7E / obs-text   ; no SP, no DQUOTE, no controls; "," and "\" are plain
 * If-Match / If-None-Match = "*" / #entity-tag   (RFC 9110 13.1.1, 13.1.2)
 * ```
 */
export interface EntityTag {
  /** True for `W/"..."`: a weak validator (RFC 9110 8.8.1). */
  readonly weak: boolean;
  /** The characters between the double quotes. */
  readonly opaque: string;
}

/** The parsed members of an If-Match or If-None-Match field. */
export interface EntityTagList {
  /**
   * True when a member is `*`. `*` matches any current representation, so it absorbs the other
   * members of a list it appears in (`*, "a"` means `*`): a malformed `*` list stays on the side
   * that protects an unsafe request (`If-None-Match: *, junk` still refuses to overwrite).
   */
  readonly any: boolean;
  /** The well-formed entity-tags, in order. */
  readonly tags: readonly EntityTag[];
  /** How many members were malformed. A malformed member never matches anything. */
  readonly malformed: number;
}

/** True for an `etagc` character (RFC 9110 8.8.3): `!`, `#` to `~`, and obs-text (U+0080 to U+00FF). */
function isEtagc(code: number): boolean {
  return code === 0x21 || (code >= 0x23 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);
}

/**
 * Reads one entity-tag at `start` of `text`. Returns it with the index after its closing quote, or
 * `undefined` when the text there is not an entity-tag.
 */
function readEntityTag(text: string, start: number): { tag: EntityTag; end: number } | undefined {
  let i = start;
  const weak = text.startsWith('W/', i);
  if (weak) i += 2;
  if (text[i] !== '"') return undefined;
  const open = ++i;
  while (i < text.length && isEtagc(text.charCodeAt(i))) i++;
  if (text[i] !== '"') return undefined;
  return { tag: { weak, opaque: text.slice(open, i) }, end: i + 1 };
}

/**
 * The entity-tag in an ETag field value (RFC 9110 8.8.3), OWS around it allowed; `undefined` for
 * anything else (a list, an unquoted value, `w/`, a character outside `etagc`, an absent field).
 */
export function parseEntityTag(value: string | undefined): EntityTag | undefined {
  if (value === undefined) return undefined;
  const text = trimOws(value);
  const read = readEntityTag(text, 0);
  return read !== undefined && read.end === text.length ? read.tag : undefined;
}

/**
 * Parses the list of an If-Match or If-None-Match field (RFC 9110 13.1.1, 13.1.2, with the list
 * rules of 5.6.1): members separated by commas with OWS (spaces or tabs) around them, empty members
 * ignored, several field lines read as one list. A comma inside an opaque-tag (`"a,b"`) is part of
 * the tag. A malformed member is skipped up to the next comma outside double quotes and counted in
 * `malformed`; the others still count.
 *
 * @returns `undefined` when the field is absent or its list has no members at all (only OWS and
 * commas): such a field imposes no condition.
 */
export function parseEntityTagList(value: HeaderValue): EntityTagList | undefined {
  const text = combineFieldLines(value);
  if (text === undefined) return undefined;
  const tags: EntityTag[] = [];
  let any = false;
  let malformed = 0;
  let i = 0;
  for (;;) {
    while (i < text.length && (isOws(text[i]) || text[i] === ',')) i++;
    if (i >= text.length) break;
    const start = i;
    let tag: EntityTag | undefined;
    let star = false;
    if (text[i] === '*') {
      star = true;
      i++;
    } else {
      const read = readEntityTag(text, i);
      if (read !== undefined) {
        tag = read.tag;
        i = read.end;
      }
    }
    while (i < text.length && isOws(text[i])) i++;
    if ((star || tag !== undefined) && (i >= text.length || text[i] === ',')) {
      if (star) any = true;
      else if (tag !== undefined) tags.push(tag);
      continue;
    }
    malformed++;
    i = skipMember(text, start);
  }
  if (!any && tags.length === 0 && malformed === 0) return undefined;
  return { any, tags, malformed };
}

/** The index of the comma (or the end) that closes a malformed member starting at `start`. */
function skipMember(text: string, start: number): number {
  let quoted = false;
  let i = start;
  for (; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === ',' && !quoted) break;
  }
  return i;
}

/**
 * The field value of `tag`: `"opaque"` or `W/"opaque"`.
 *
 * @throws TypeError when `opaque` holds a character outside `etagc` (RFC 9110 8.8.3).
 */
export function formatEntityTag(tag: EntityTag): string {
  for (let i = 0; i < tag.opaque.length; i++) {
    if (!isEtagc(tag.opaque.charCodeAt(i))) {
      throw new TypeError(`an entity-tag cannot contain ${JSON.stringify(tag.opaque[i])} (RFC 9110 8.8.3 etagc): ${JSON.stringify(tag.opaque)}`);
    }
  }
  return `${tag.weak ? 'W/' : ''}"${tag.opaque}"`;
}

/**
 * Strong comparison (RFC 9110 8.8.3.2): both tags are strong and their opaque-tags are equal
 * character by character. Used by If-Match (13.1.1) and If-Range.
 */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/**
 * Weak comparison (RFC 9110 8.8.3.2): the opaque-tags are equal character by character, whatever
 * either tag's weakness. Used by If-None-Match (13.1.2).
 */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}
