import { expect } from 'chai';
import { combineFieldLines, isToken, splitList, trimOws, type HeaderValue } from '../../lib/http/field-value.js';

describe('field values', () => {
  describe('combineFieldLines (RFC 9110 5.3: field lines combine in order with ", ")', () => {
    const CASES: readonly [string, HeaderValue, string | undefined][] = [
      ['an absent field', undefined, undefined],
      ['no field lines', [], undefined],
      ['one string', 'a', 'a'],
      ['an empty string, which is a present, empty field', '', ''],
      ['one line in an array', ['a'], 'a'],
      ['two lines', ['a', 'b'], 'a, b'],
      ['three lines, one empty', ['a', '', 'b'], 'a, , b'],
    ];
    for (const [what, input, expected] of CASES) {
      it(`${what}: ${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
        expect(combineFieldLines(input)).to.equal(expected);
      });
    }
  });

  describe('trimOws (RFC 9110 5.6.3: OWS = *( SP / HTAB ), RFC 9110 5.5: not part of the value)', () => {
    const CASES: readonly [string, string][] = [
      ['a', 'a'],
      ['  a  ', 'a'],
      ['\ta\t', 'a'],
      [' \t a b \t ', 'a b'],
      ['\r\na', '\r\na'],
      ['a\n', 'a\n'],
      ['', ''],
      [' \t ', ''],
    ];
    for (const [input, expected] of CASES) {
      it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
        expect(trimOws(input)).to.equal(expected);
      });
    }
  });

  describe('isToken (RFC 9110 5.6.2)', () => {
    const CASES: readonly [string, boolean][] = [
      ['Accept-Encoding', true],
      ["!#$%&'*+-.^_`|~09azAZ", true],
      ['*', true],
      ['', false],
      ['a b', false],
      ['a,b', false],
      ['a"b', false],
      ['a/b', false],
      ['a:b', false],
      ['a\tb', false],
      ['é', false],
    ];
    for (const [input, expected] of CASES) {
      it(`${JSON.stringify(input)} is ${expected ? '' : 'not '}a token`, () => {
        expect(isToken(input)).to.equal(expected);
      });
    }
  });

  describe('splitList (RFC 9110 5.6.1 lists, 5.6.3 OWS, 5.6.4 quoted-string)', () => {
    const CASES: readonly [string, HeaderValue, string[]][] = [
      ['an absent field', undefined, []],
      ['an empty field', '', []],
      ['one member', 'a', ['a']],
      ['members with spaces', 'a, b ,c', ['a', 'b', 'c']],
      ['members with tabs', 'a\t,\tb', ['a', 'b']],
      ['empty members (5.6.1: ignored)', ', a,, ,b,', ['a', 'b']],
      ['only commas and OWS', ' , ,\t', []],
      ['several field lines', ['a, b', 'c'], ['a', 'b', 'c']],
      ['a comma inside a quoted-string', 'a="x,y", b', ['a="x,y"', 'b']],
      ['an escaped quote inside a quoted-string', 'a="x\\",y", b', ['a="x\\",y"', 'b']],
      ['obs-fold is not unfolded (RFC 9112 5.2)', 'a,\r\n b', ['a', '\r\n b']],
    ];
    for (const [what, input, expected] of CASES) {
      it(`${what}: ${JSON.stringify(input)}`, () => {
        expect(splitList(input)).to.deep.equal(expected);
      });
    }
  });
});
