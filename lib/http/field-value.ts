/**
 * Field values as Node hands them over, and the list syntax every other `lib/http/` file parses.
 *
 * - A field is absent (`undefined`), one field line (`string`) or several field lines (`string[]`);
 *   several lines combine into one value joined by `", "` (RFC 9110 5.3).
 * - `OWS = *( SP / HTAB )` (RFC 9110 5.6.3): tabs count as whitespace everywhere spaces do.
 * - Lists (RFC 9110 5.6.1) accept empty elements (`a, , b`, a leading or trailing comma) and
 *   ignore them.
 * - obs-fold (a CRLF followed by whitespace inside a value, RFC 9112 5.2) is not supported: CR and
 *   LF are not whitespace here, so a member that contains one is malformed rather than unfolded.
 */

/** A request or response field: absent, one field line, or several field lines. */
export type HeaderValue = string | readonly string[] | undefined;

/** Request fields by lower-case name, as `IncomingMessage.headers` (and Koa's `ctx.headers`) give them. */
export interface RequestHeaders {
  readonly [name: string]: HeaderValue;
}

/** `tchar` of RFC 9110 5.6.2: any VCHAR except delimiters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** True for SP and HTAB, the two characters of OWS (RFC 9110 5.6.3). */
export function isOws(char: string | undefined): boolean {
  return char === ' ' || char === '\t';
}

/** `value` without leading and trailing OWS (RFC 9110 5.5: a field value excludes them). */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value[start])) start++;
  while (end > start && isOws(value[end - 1])) end--;
  return value.slice(start, end);
}

/** True when `value` is a `token` (RFC 9110 5.6.2), the syntax of field names and content codings. */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/**
 * The field value of `value` with its field lines combined in order, separated by `", "`
 * (RFC 9110 5.3); `undefined` when the field is absent or has no lines.
 */
export function combineFieldLines(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return value.length === 0 ? undefined : value.join(', ');
}

/**
 * The members of a comma-separated list (RFC 9110 5.6.1), each trimmed of OWS, empty members left
 * out. A comma inside a quoted-string (RFC 9110 5.6.4, backslash escapes honoured) does not split.
 * Entity-tag lists are not quoted-strings (a backslash is an ordinary `etagc`): they have their own
 * scanner in `entity-tag.ts`.
 */
export function splitList(value: HeaderValue): string[] {
  const combined = combineFieldLines(value);
  if (combined === undefined) return [];
  const members: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < combined.length; i++) {
    const char = combined[i];
    if (quoted) {
      if (char === '\\') i++;
      else if (char === '"') quoted = false;
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      pushMember(members, combined.slice(start, i));
      start = i + 1;
    }
  }
  pushMember(members, combined.slice(start));
  return members;
}

function pushMember(members: string[], raw: string): void {
  const member = trimOws(raw);
  if (member !== '') members.push(member);
}
