import { expect } from 'chai';
import { negotiateEncoding, parseAcceptEncoding } from '../../lib/http/accept-encoding.js';
import type { HeaderValue } from '../../lib/http/field-value.js';

/** What httpCache offers by default, best first. */
const SERVER = ['br', 'gzip'] as const;

describe('Accept-Encoding (RFC 9110 12.5.3; weights 12.4.2)', () => {
  describe('parseAcceptEncoding: each coding\'s weight, names in lower case', () => {
    // [what, field, weights by coding (in order), or undefined for no field]
    const CASES: readonly [string, HeaderValue, [string, number][] | undefined][] = [
      ['no field (12.5.3: no preference)', undefined, undefined],
      ['no field lines', [], undefined],
      ['an empty field (12.5.3: identity only)', '', []],
      ['only commas and OWS (5.6.1: empty members ignored)', ' ,\t, ', []],
      ['one coding, weight 1 by default (12.4.2)', 'gzip', [['gzip', 1]]],
      ['a list', 'gzip, br', [['gzip', 1], ['br', 1]]],
      ['*', '*', [['*', 1]]],
      ['*;q=0', '*;q=0', [['*', 0]]],
      ['identity;q=0', 'identity;q=0', [['identity', 0]]],
      ['weights', 'br;q=0.8, gzip;q=0.5, identity;q=0.1', [['br', 0.8], ['gzip', 0.5], ['identity', 0.1]]],
      ['coding names in any case (8.4.1: case-insensitive)', 'GZIP, Br', [['gzip', 1], ['br', 1]]],
      ['the q parameter name in any case (12.4.2)', 'gzip;Q=0.5', [['gzip', 0.5]]],
      ['OWS around ";" and ",", tabs included (5.6.3, 12.4.2)', '\tgzip\t;\tq=0.5\t,\tbr ;q=0.4 ', [['gzip', 0.5], ['br', 0.4]]],
      ['no whitespace at all', 'gzip;q=0.5,br', [['gzip', 0.5], ['br', 1]]],
      ['several field lines (5.3)', ['gzip;q=0.5', 'br'], [['gzip', 0.5], ['br', 1]]],
      ['three decimals, the most a qvalue has', 'gzip;q=0.125', [['gzip', 0.125]]],
      ['"1.000" and "0." are qvalues', 'gzip;q=1.000, br;q=0.', [['gzip', 1], ['br', 0]]],
      ['an unknown parameter is ignored', 'gzip;level=9;q=0.5', [['gzip', 0.5]]],
      ['q=2 (above 1): the member is skipped', 'br;q=2, gzip', [['gzip', 1]]],
      ['q=abc: skipped', 'br;q=abc, gzip', [['gzip', 1]]],
      ['q=0.1234 (four decimals): skipped', 'br;q=0.1234, gzip', [['gzip', 1]]],
      ['q=1.5: skipped', 'br;q=1.5, gzip', [['gzip', 1]]],
      ['q=.5 (no leading digit): skipped', 'br;q=.5, gzip', [['gzip', 1]]],
      ['q=-0: skipped', 'br;q=-0, gzip', [['gzip', 1]]],
      ['an empty q: skipped', 'br;q=, gzip', [['gzip', 1]]],
      ['only malformed members', 'br;q=2', []],
      ['a duplicate: the first one wins', 'gzip;q=0, br, gzip;q=1', [['gzip', 0], ['br', 1]]],
      ['a duplicate in another case', 'gzip, GZIP;q=0', [['gzip', 1]]],
    ];
    for (const [what, value, expected] of CASES) {
      it(`${what}: ${JSON.stringify(value)} -> ${JSON.stringify(expected)}`, () => {
        const weights = parseAcceptEncoding(value);
        expect(weights === undefined ? undefined : [...weights]).to.deep.equal(expected);
      });
    }
  });

  describe('negotiateEncoding: the coding to send, server order on ties (12.5.3, 12.4.2)', () => {
    // [what, field, the server's codings (best first), the choice]
    const CASES: readonly [string, HeaderValue, readonly string[], string | undefined][] = [
      // 12.5.3: "A request without any Accept-Encoding header field implies that the user agent has
      // no preferences"; the unencoded body is the safe choice.
      ['no field: identity', undefined, SERVER, 'identity'],
      ['no field lines: identity', [], SERVER, 'identity'],
      // "An Accept-Encoding header field with a field value that is empty implies that the user
      // agent does not want any content coding in response."
      ['an empty field: identity', '', SERVER, 'identity'],
      ['one coding the server has', 'gzip', SERVER, 'gzip'],
      ['one coding the server lacks: identity', 'zstd', SERVER, 'identity'],
      ['equal weights: the server\'s first', 'gzip, br', SERVER, 'br'],
      ['equal weights, the other server order', 'br, gzip', ['gzip', 'br'], 'gzip'],
      ['equal explicit weights: the server\'s first', 'gzip;q=0.5, br;q=0.5', SERVER, 'br'],
      ['a browser\'s field', 'gzip, deflate, br, zstd', SERVER, 'br'],
      ['the higher weight wins over the server\'s order', 'br;q=0.5, gzip', SERVER, 'gzip'],
      ['a coding refused with q=0', 'br;q=0, gzip', SERVER, 'gzip'],
      ['every offered coding refused: identity (acceptable unless excluded)', 'br;q=0, gzip;q=0', SERVER, 'identity'],
      ['*: the server\'s first', '*', SERVER, 'br'],
      ['* with a coding refused', '*, br;q=0', SERVER, 'gzip'],
      ['* at a lower weight than a named coding', '*;q=0.5, gzip', SERVER, 'gzip'],
      ['*;q=0 with a named coding', '*;q=0, gzip', SERVER, 'gzip'],
      ['*;q=0 and nothing else: nothing acceptable, identity included', '*;q=0', SERVER, undefined],
      ['*;q=0 with identity named: identity', '*;q=0, identity', SERVER, 'identity'],
      ['identity;q=0 alone: nothing acceptable (unlisted codings are not acceptable)', 'identity;q=0', SERVER, undefined],
      ['identity;q=0 with a coding the server has', 'identity;q=0, gzip', SERVER, 'gzip'],
      ['identity;q=0 with only a coding the server lacks', 'identity;q=0, zstd', SERVER, undefined],
      ['identity;q=0 with *', 'identity;q=0, *', SERVER, 'br'],
      ['identity alone', 'identity', SERVER, 'identity'],
      ['identity named above the codings', 'gzip;q=0.5, identity', SERVER, 'identity'],
      ['identity named below a coding', 'gzip, identity;q=0.5', SERVER, 'gzip'],
      ['identity named at the same weight: the coding', 'gzip;q=0.5, identity;q=0.5', SERVER, 'gzip'],
      ['* above a named coding gives identity that weight too', '*, gzip;q=0.5', ['gzip'], 'identity'],
      ['coding names in upper case', 'GZIP', SERVER, 'gzip'],
      ['mixed case', 'Br;Q=0.1, gZiP;q=0.2', SERVER, 'gzip'],
      ['OWS with tabs', '\tbr\t;\tq=0.1\t,\tgzip\t;\tq=0.2', SERVER, 'gzip'],
      ['several field lines', ['br;q=0.1', 'gzip;q=0.2'], SERVER, 'gzip'],
      ['q=2 skipped: the other coding', 'br;q=2, gzip;q=0.1', SERVER, 'gzip'],
      ['q=abc skipped', 'br;q=abc, gzip;q=0.1', SERVER, 'gzip'],
      ['q=0.1234 skipped', 'br;q=0.1234, gzip;q=0.001', SERVER, 'gzip'],
      ['only malformed members: as an empty field, identity', 'br;q=2', SERVER, 'identity'],
      ['a malformed identity;q weight does not exclude identity', 'identity;q=zero', SERVER, 'identity'],
      ['duplicates: the first one wins (refused)', 'br;q=0, br', SERVER, 'identity'],
      ['duplicates: the first one wins (accepted)', 'br, br;q=0', SERVER, 'br'],
      ['no coding offered by the server', 'gzip, br', [], 'identity'],
      ['no coding offered and identity refused', 'identity;q=0, gzip', [], undefined],
      ['deflate when the server offers it', 'deflate', ['br', 'gzip', 'deflate'], 'deflate'],
    ];
    for (const [what, value, available, expected] of CASES) {
      it(`${what}: ${JSON.stringify(value)} over ${JSON.stringify(available)} -> ${JSON.stringify(expected)}`, () => {
        expect(negotiateEncoding(value, available)).to.equal(expected);
      });
    }
  });
});
