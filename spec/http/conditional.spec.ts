import { expect } from 'chai';
import {
  evaluateIfMatch,
  evaluateIfModifiedSince,
  evaluateIfNoneMatch,
  evaluateIfUnmodifiedSince,
  evaluatePreconditions,
  type CurrentRepresentation,
  type PreconditionOptions,
  type PreconditionResult,
} from '../../lib/http/conditional.js';
import { identityEtag } from '../../lib/http/etag.js';
import type { HeaderValue, RequestHeaders } from '../../lib/http/field-value.js';

/** Last modified on Monday 15 January 2024 at 10:00:00.500 UTC: half a second past the HTTP-date. */
const LAST_MODIFIED = new Date(Date.UTC(2024, 0, 15, 10, 0, 0, 500));
const LM_IMF = 'Mon, 15 Jan 2024 10:00:00 GMT';
const LM_850 = 'Monday, 15-Jan-24 10:00:00 GMT';
const LM_ASCTIME = 'Mon Jan 15 10:00:00 2024';
const BEFORE = 'Mon, 15 Jan 2024 09:59:59 GMT';
const AFTER = 'Mon, 15 Jan 2024 10:00:01 GMT';
/** The server's clock: Saturday 1 June 2024, 00:00:00 UTC. */
const NOW = Date.UTC(2024, 5, 1);
const AT_NOW = 'Sat, 01 Jun 2024 00:00:00 GMT';
const FUTURE = 'Sat, 01 Jun 2024 00:00:01 GMT';

const CURRENT: CurrentRepresentation = { exists: true, etag: '"v1"', lastModified: LAST_MODIFIED };
const WEAK_CURRENT: CurrentRepresentation = { ...CURRENT, etag: 'W/"v1"' };
const NO_TAG: CurrentRepresentation = { exists: true, lastModified: LAST_MODIFIED };
const NO_DATE: CurrentRepresentation = { exists: true, etag: '"v1"' };
const MISSING: CurrentRepresentation = { exists: false };
const OPTIONS: PreconditionOptions = { now: NOW };

type Case = readonly [what: string, value: HeaderValue, current: CurrentRepresentation, expected: boolean | undefined];

function runTable(cases: readonly Case[], evaluate: (value: HeaderValue, current: CurrentRepresentation) => boolean | undefined): void {
  for (const [what, value, current, expected] of cases) {
    it(`${what}: ${JSON.stringify(value)} -> ${String(expected)}`, () => {
      expect(evaluate(value, current)).to.equal(expected);
    });
  }
}

describe('conditional requests', () => {
  describe('evaluateIfMatch: strong comparison, "*" needs a current representation (RFC 9110 13.1.1, 8.8.3.2)', () => {
    runTable(
      [
        ['absent', undefined, CURRENT, undefined],
        ['empty', '', CURRENT, undefined],
        ['only commas', ' , ', CURRENT, undefined],
        ['the current tag', '"v1"', CURRENT, true],
        ['a list holding it', '"v0", "v1"', CURRENT, true],
        ['a list with tabs holding it', '"v0"\t,\t"v1"', CURRENT, true],
        ['several field lines holding it', ['"v0"', '"v1"'], CURRENT, true],
        ['a stale tag', '"v0"', CURRENT, false],
        ['the tag in another case', '"V1"', CURRENT, false],
        ['the tag sent weak: never a strong match', 'W/"v1"', CURRENT, false],
        ['a strong tag against a weak current tag', '"v1"', WEAK_CURRENT, false],
        ['a weak tag against a weak current tag', 'W/"v1"', WEAK_CURRENT, false],
        ['* with a current representation', '*', CURRENT, true],
        ['* with a current representation that has no tag', '*', NO_TAG, true],
        ['* without a current representation', '*', MISSING, false],
        ['a tag without a current representation', '"v1"', MISSING, false],
        ['a tag when the representation has none', '"v1"', NO_TAG, false],
        ['an unquoted tag: malformed, never matches', 'v1', CURRENT, false],
        ['a lower-case w/: malformed', 'w/"v1"', CURRENT, false],
        ['a malformed member beside the current tag', 'junk, "v1"', CURRENT, true],
        ['a quoted comma makes one tag, not the current one', '"v0,v1"', CURRENT, false],
        ['an encoded tag without normalizeTag', '"v1-gzip"', CURRENT, false],
        ['the current tag given as an EntityTag', '"v1"', { exists: true, etag: { weak: false, opaque: 'v1' } }, true],
        ['an unparseable current tag matches nothing', '"v1"', { exists: true, etag: 'v1' }, false],
      ],
      (value, current) => evaluateIfMatch(value, current, OPTIONS),
    );
  });

  describe('evaluateIfNoneMatch: weak comparison, "*" fails when a current representation exists (RFC 9110 13.1.2, 8.8.3.2)', () => {
    runTable(
      [
        ['absent', undefined, CURRENT, undefined],
        ['empty', '', CURRENT, undefined],
        ['the current tag', '"v1"', CURRENT, false],
        ['the current tag sent weak', 'W/"v1"', CURRENT, false],
        ['a strong tag against a weak current tag', '"v1"', WEAK_CURRENT, false],
        ['a weak tag against a weak current tag', 'W/"v1"', WEAK_CURRENT, false],
        ['a stale tag', '"v0"', CURRENT, true],
        ['a list holding it', '"v0", "v1"', CURRENT, false],
        ['a list holding it, tabs around the comma', '"v0"\t,\t"v1"', CURRENT, false],
        ['a list holding it, no whitespace', '"v0","v1"', CURRENT, false],
        ['a list with empty members holding it', ',"v0",,"v1",', CURRENT, false],
        ['several field lines holding it', ['"v0"', 'W/"v1"'], CURRENT, false],
        ['a list of stale tags', '"v0", W/"v2"', CURRENT, true],
        ['the tag in another case', '"V1"', CURRENT, true],
        ['* with a current representation', '*', CURRENT, false],
        ['* without a current representation', '*', MISSING, true],
        ['* beside junk with a current representation', '*, junk', CURRENT, false],
        ['a tag without a current representation', '"v1"', MISSING, true],
        ['a tag when the representation has none', '"v1"', NO_TAG, true],
        ['an unquoted tag: malformed, never matches', 'v1', CURRENT, true],
        ['a lower-case w/: malformed', 'w/"v1"', CURRENT, true],
        ['an unterminated tag', '"v1', CURRENT, true],
        ['a quoted comma makes one tag, not the current one', '"a,v1"', CURRENT, true],
        ['obs-fold is not unfolded: the folded member is malformed', '"v0",\r\n "v1"', CURRENT, true],
      ],
      (value, current) => evaluateIfNoneMatch(value, current, OPTIONS),
    );
  });

  describe('evaluateIfModifiedSince: three date formats, one-second resolution, future dates ignored (RFC 9110 13.1.3, 5.6.7)', () => {
    runTable(
      [
        ['absent', undefined, CURRENT, undefined],
        ['the Last-Modified date as IMF-fixdate', LM_IMF, CURRENT, false],
        ['the Last-Modified date as RFC 850', LM_850, CURRENT, false],
        ['the Last-Modified date as asctime (read as UTC)', LM_ASCTIME, CURRENT, false],
        ['the date with OWS around it', `\t${LM_IMF} `, CURRENT, false],
        ['one field line in an array', [LM_IMF], CURRENT, false],
        ['a second before: modified since', BEFORE, CURRENT, true],
        ['a second after', AFTER, CURRENT, false],
        ['the server time itself', AT_NOW, CURRENT, false],
        ['a second in the future: ignored', FUTURE, CURRENT, undefined],
        ['a year in the future: ignored', 'Sun, 01 Jun 2025 00:00:00 GMT', CURRENT, undefined],
        ['two field lines (more than one member): ignored', [LM_IMF, LM_IMF], CURRENT, undefined],
        ['two dates in one line: ignored', `${LM_IMF}, ${LM_IMF}`, CURRENT, undefined],
        ['not a date: ignored', 'yesterday', CURRENT, undefined],
        ['lower-case names: ignored', LM_IMF.toLowerCase(), CURRENT, undefined],
        ['an ISO date: ignored', '2024-01-15T10:00:00Z', CURRENT, undefined],
        ['no modification date known: ignored', LM_IMF, NO_DATE, undefined],
        ['a last modification given as milliseconds', LM_IMF, { exists: true, lastModified: LAST_MODIFIED.getTime() }, false],
      ],
      (value, current) => evaluateIfModifiedSince(value, current, OPTIONS),
    );
  });

  describe('evaluateIfUnmodifiedSince: holds when not modified after the date (RFC 9110 13.1.4, 5.6.7)', () => {
    runTable(
      [
        ['absent', undefined, CURRENT, undefined],
        ['the Last-Modified date as IMF-fixdate', LM_IMF, CURRENT, true],
        ['the Last-Modified date as RFC 850', LM_850, CURRENT, true],
        ['the Last-Modified date as asctime', LM_ASCTIME, CURRENT, true],
        ['a second before: modified since, fails', BEFORE, CURRENT, false],
        ['a second after', AFTER, CURRENT, true],
        ['a future date (no future rule here)', FUTURE, CURRENT, true],
        ['two field lines: ignored', [BEFORE, BEFORE], CURRENT, undefined],
        ['not a date: ignored', 'Mon, 15 Jan 2024', CURRENT, undefined],
        ['no modification date known: ignored', BEFORE, NO_DATE, undefined],
      ],
      (value, current) => evaluateIfUnmodifiedSince(value, current, OPTIONS),
    );
  });

  describe('evaluatePreconditions: the order of RFC 9110 13.2.2', () => {
    type OrderCase = readonly [what: string, method: string, headers: RequestHeaders, current: CurrentRepresentation, expected: PreconditionResult];
    const CASES: readonly OrderCase[] = [
      ['GET without preconditions', 'GET', {}, CURRENT, 'proceed'],
      ['GET, If-None-Match the current tag (step 3)', 'GET', { 'if-none-match': '"v1"' }, CURRENT, 'not-modified'],
      ['HEAD, If-None-Match the current tag (step 3)', 'HEAD', { 'if-none-match': '"v1"' }, CURRENT, 'not-modified'],
      ['GET, If-None-Match a weak form of the current tag', 'GET', { 'if-none-match': 'W/"v1"' }, CURRENT, 'not-modified'],
      ['GET, If-None-Match a list with tabs', 'GET', { 'if-none-match': '"v0"\t,\t"v1"' }, CURRENT, 'not-modified'],
      ['GET, If-None-Match: *', 'GET', { 'if-none-match': '*' }, CURRENT, 'not-modified'],
      ['GET, If-None-Match a stale tag', 'GET', { 'if-none-match': '"v0"' }, CURRENT, 'proceed'],
      ['GET, If-None-Match stale, If-Modified-Since unchanged: IMS ignored (13.1.3)', 'GET', { 'if-none-match': '"v0"', 'if-modified-since': LM_IMF }, CURRENT, 'proceed'],
      ['GET, If-None-Match malformed, If-Modified-Since unchanged: IMS still ignored', 'GET', { 'if-none-match': 'v1', 'if-modified-since': LM_IMF }, CURRENT, 'proceed'],
      ['GET, If-None-Match current, If-Modified-Since older: If-None-Match decides', 'GET', { 'if-none-match': '"v1"', 'if-modified-since': BEFORE }, CURRENT, 'not-modified'],
      ['GET, If-None-Match empty, If-Modified-Since unchanged: IMS applies', 'GET', { 'if-none-match': '', 'if-modified-since': LM_IMF }, CURRENT, 'not-modified'],
      ['GET, If-Modified-Since unchanged (step 4)', 'GET', { 'if-modified-since': LM_IMF }, CURRENT, 'not-modified'],
      ['HEAD, If-Modified-Since unchanged as RFC 850', 'HEAD', { 'if-modified-since': LM_850 }, CURRENT, 'not-modified'],
      ['GET, If-Modified-Since unchanged as asctime', 'GET', { 'if-modified-since': LM_ASCTIME }, CURRENT, 'not-modified'],
      ['GET, If-Modified-Since older', 'GET', { 'if-modified-since': BEFORE }, CURRENT, 'proceed'],
      ['GET, If-Modified-Since in the future: treated as absent', 'GET', { 'if-modified-since': FUTURE }, CURRENT, 'proceed'],
      ['GET, If-Modified-Since invalid', 'GET', { 'if-modified-since': 'Mon, 32 Jan 2024 10:00:00 GMT' }, CURRENT, 'proceed'],
      ['GET, If-Modified-Since without a known modification date', 'GET', { 'if-modified-since': LM_IMF }, NO_DATE, 'proceed'],
      ['GET, If-Match stale (step 1 applies to every method)', 'GET', { 'if-match': '"v0"' }, CURRENT, 'precondition-failed'],
      ['GET, If-Match current, If-None-Match current', 'GET', { 'if-match': '"v1"', 'if-none-match': '"v1"' }, CURRENT, 'not-modified'],
      ['GET, If-Match stale, If-None-Match current: step 1 first', 'GET', { 'if-match': '"v0"', 'if-none-match': '"v1"' }, CURRENT, 'precondition-failed'],
      ['GET, If-Unmodified-Since older (step 2)', 'GET', { 'if-unmodified-since': BEFORE }, CURRENT, 'precondition-failed'],
      ['GET, If-Match current, If-Unmodified-Since older: IUS ignored (13.1.4)', 'GET', { 'if-match': '"v1"', 'if-unmodified-since': BEFORE }, CURRENT, 'proceed'],
      ['GET, If-Match empty, If-Unmodified-Since older: IUS applies', 'GET', { 'if-match': '', 'if-unmodified-since': BEFORE }, CURRENT, 'precondition-failed'],
      ['GET, If-Unmodified-Since unchanged, If-None-Match current', 'GET', { 'if-unmodified-since': LM_IMF, 'if-none-match': '"v1"' }, CURRENT, 'not-modified'],
      ['GET, If-Unmodified-Since older, If-None-Match stale', 'GET', { 'if-unmodified-since': BEFORE, 'if-none-match': '"v0"' }, CURRENT, 'precondition-failed'],
      ['GET, If-None-Match current without a current representation', 'GET', { 'if-none-match': '"v1"' }, MISSING, 'proceed'],
      ['PUT, If-Match current', 'PUT', { 'if-match': '"v1"' }, CURRENT, 'proceed'],
      ['PUT, If-Match stale (lost update prevented)', 'PUT', { 'if-match': '"v0"' }, CURRENT, 'precondition-failed'],
      ['PUT, If-Match a weak tag: strong comparison fails', 'PUT', { 'if-match': 'W/"v1"' }, CURRENT, 'precondition-failed'],
      ['PUT, If-Match a list holding the current tag, on two lines', 'PUT', { 'if-match': ['"v0"', '"v1"'] }, CURRENT, 'proceed'],
      ['PUT, If-Match: * with a current representation', 'PUT', { 'if-match': '*' }, CURRENT, 'proceed'],
      ['PUT, If-Match: * without one', 'PUT', { 'if-match': '*' }, MISSING, 'precondition-failed'],
      ['PUT, If-Match malformed', 'PUT', { 'if-match': 'v1' }, CURRENT, 'precondition-failed'],
      ['PUT, If-None-Match: * with a current representation', 'PUT', { 'if-none-match': '*' }, CURRENT, 'precondition-failed'],
      ['PUT, If-None-Match: * without one (create only)', 'PUT', { 'if-none-match': '*' }, MISSING, 'proceed'],
      ['POST, If-None-Match: * with a current representation', 'POST', { 'if-none-match': '*' }, CURRENT, 'precondition-failed'],
      ['PUT, If-None-Match the current tag (step 3: 412, not 304)', 'PUT', { 'if-none-match': '"v1"' }, CURRENT, 'precondition-failed'],
      ['DELETE, If-None-Match a weak form of the current tag', 'DELETE', { 'if-none-match': 'W/"v1"' }, CURRENT, 'precondition-failed'],
      ['PATCH, If-Match current, If-None-Match current', 'PATCH', { 'if-match': '"v1"', 'if-none-match': '"v1"' }, CURRENT, 'precondition-failed'],
      ['PUT, If-Modified-Since unchanged: only for GET and HEAD (13.1.3)', 'PUT', { 'if-modified-since': LM_IMF }, CURRENT, 'proceed'],
      ['POST, If-Modified-Since unchanged', 'POST', { 'if-modified-since': LM_IMF }, CURRENT, 'proceed'],
      ['POST, If-Unmodified-Since older', 'POST', { 'if-unmodified-since': BEFORE }, CURRENT, 'precondition-failed'],
      ['PUT, If-Unmodified-Since newer', 'PUT', { 'if-unmodified-since': AFTER }, CURRENT, 'proceed'],
      ['PUT, If-Unmodified-Since unchanged at one-second resolution', 'PUT', { 'if-unmodified-since': LM_IMF }, CURRENT, 'proceed'],
      ['OPTIONS, If-Match stale: ignored (13.2.1)', 'OPTIONS', { 'if-match': '"v0"' }, CURRENT, 'proceed'],
      ['TRACE, If-None-Match current: ignored (13.2.1)', 'TRACE', { 'if-none-match': '"v1"' }, CURRENT, 'proceed'],
      ['CONNECT, If-Unmodified-Since older: ignored (13.2.1)', 'CONNECT', { 'if-unmodified-since': BEFORE }, CURRENT, 'proceed'],
      ['get in lower case is not GET (9.1: case-sensitive): no If-Modified-Since', 'get', { 'if-modified-since': LM_IMF }, CURRENT, 'proceed'],
      ['get in lower case, If-None-Match current: 412', 'get', { 'if-none-match': '"v1"' }, CURRENT, 'precondition-failed'],
    ];
    for (const [what, method, headers, current, expected] of CASES) {
      it(`${what} -> ${expected}`, () => {
        expect(evaluatePreconditions({ method, headers }, current, OPTIONS)).to.equal(expected);
      });
    }

    it('reads the clock when no `now` is given (a date an hour ahead is in the future)', () => {
      const current = { exists: true, lastModified: Date.now() - 10_000 };
      const inAnHour = new Date(Date.now() + 3_600_000).toUTCString();
      expect(evaluatePreconditions({ method: 'GET', headers: { 'if-modified-since': inAnHour } }, current)).to.equal('proceed');
      const now = new Date().toUTCString();
      expect(evaluatePreconditions({ method: 'GET', headers: { 'if-modified-since': now } }, current)).to.equal('not-modified');
    });
  });

  describe('evaluatePreconditions with content-coding tags mapped back (RFC 9110 8.8.3.3, 13.1.1, 13.1.2)', () => {
    const WITH_CODINGS: PreconditionOptions = { now: NOW, normalizeTag: identityEtag };
    type CodingCase = readonly [what: string, method: string, headers: RequestHeaders, options: PreconditionOptions, expected: PreconditionResult];
    const CASES: readonly CodingCase[] = [
      ['GET, If-None-Match the gzip tag', 'GET', { 'if-none-match': '"v1-gzip"' }, WITH_CODINGS, 'not-modified'],
      ['GET, If-None-Match the br tag, weakened on the way', 'GET', { 'if-none-match': 'W/"v1-br"' }, WITH_CODINGS, 'not-modified'],
      ['GET, If-None-Match the gzip tag of a stale version', 'GET', { 'if-none-match': '"v0-gzip"' }, WITH_CODINGS, 'proceed'],
      ['GET, If-None-Match the gzip tag without the mapping', 'GET', { 'if-none-match': '"v1-gzip"' }, OPTIONS, 'proceed'],
      ['PUT, If-Match the gzip tag', 'PUT', { 'if-match': '"v1-gzip"' }, WITH_CODINGS, 'proceed'],
      ['PUT, If-Match the deflate-then-br tag', 'PUT', { 'if-match': '"v1-deflate-br"' }, WITH_CODINGS, 'proceed'],
      ['PUT, If-Match the gzip tag of a stale version', 'PUT', { 'if-match': '"v0-gzip"' }, WITH_CODINGS, 'precondition-failed'],
      ['PUT, If-Match the gzip tag sent weak: strong comparison still fails', 'PUT', { 'if-match': 'W/"v1-gzip"' }, WITH_CODINGS, 'precondition-failed'],
      ['PUT, If-Match the gzip tag without the mapping', 'PUT', { 'if-match': '"v1-gzip"' }, OPTIONS, 'precondition-failed'],
    ];
    for (const [what, method, headers, options, expected] of CASES) {
      it(`${what} -> ${expected}`, () => {
        expect(evaluatePreconditions({ method, headers }, CURRENT, options)).to.equal(expected);
      });
    }

    it('still matches a current tag that itself ends in -gzip (the received tag is compared as it is too)', () => {
      const current = { exists: true, etag: '"v1-gzip"' };
      expect(evaluatePreconditions({ method: 'GET', headers: { 'if-none-match': '"v1-gzip"' } }, current, WITH_CODINGS)).to.equal('not-modified');
      expect(evaluatePreconditions({ method: 'PUT', headers: { 'if-match': '"v1-gzip"' } }, current, WITH_CODINGS)).to.equal('proceed');
    });
  });
});
