import { expect } from 'chai';
import type { HeaderValue } from '../../lib/http/field-value.js';
import { mergeVary, parseVary } from '../../lib/http/vary.js';

describe('Vary (RFC 9110 12.5.5: #( "*" / field-name ), names case-insensitive per 5.1)', () => {
  describe('mergeVary and parseVary', () => {
    // [what, values, merged field value]
    const CASES: readonly [string, HeaderValue[], string | undefined][] = [
      ['nothing', [], undefined],
      ['absent values', [undefined, undefined], undefined],
      ['an empty value', [''], undefined],
      ['one name', ['Accept-Encoding'], 'Accept-Encoding'],
      ['a list', ['Accept-Encoding, Accept-Language'], 'Accept-Encoding, Accept-Language'],
      ['a list with tabs and empty members', ['\tAccept-Encoding\t,,\tCookie '], 'Accept-Encoding, Cookie'],
      ['two values', ['Accept-Encoding', 'Accept-Language'], 'Accept-Encoding, Accept-Language'],
      ['a name array (several field lines)', [['Accept-Language', 'Authorization']], 'Accept-Language, Authorization'],
      ['the same name twice, other case: first spelling kept', ['accept-encoding', 'Accept-Encoding'], 'accept-encoding'],
      ["koa-compress's Accept-Encoding after the policy's", ['Accept-Language, Accept-Encoding', 'Accept-Encoding'], 'Accept-Language, Accept-Encoding'],
      ['order of first appearance', ['Cookie', 'Accept, cookie', 'Authorization'], 'Cookie, Accept, Authorization'],
      ['* alone', ['*'], '*'],
      ['* among names absorbs them', ['Accept', '*', 'Cookie'], '*'],
      ['* inside a list', ['Accept, *'], '*'],
      ['* on a later field line', [['Accept', '*']], '*'],
      ['a member that is not a token is dropped', ['Accept, Bad Name, Cookie'], 'Accept, Cookie'],
      ['a member with a slash is dropped', ['a/b, Accept'], 'Accept'],
      ['only invalid members', ['a b'], undefined],
    ];
    for (const [what, values, expected] of CASES) {
      it(`${what}: ${JSON.stringify(values)} -> ${JSON.stringify(expected)}`, () => {
        expect(mergeVary(...values)).to.equal(expected);
        expect(parseVary(...values)).to.deep.equal(expected === undefined ? [] : expected.split(', '));
      });
    }
  });
});
