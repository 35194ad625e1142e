import { expect } from 'chai';
import { formatEntityTag, parseEntityTag, parseEntityTagList, strongMatch, weakMatch, type EntityTag, type EntityTagList } from '../../lib/http/entity-tag.js';
import type { HeaderValue } from '../../lib/http/field-value.js';

const strong = (opaque: string): EntityTag => ({ weak: false, opaque });
const weak = (opaque: string): EntityTag => ({ weak: true, opaque });
/** A tag as its field value would read, for titles (even when it could not be sent). */
const show = (tag: EntityTag): string => `${tag.weak ? 'W/' : ''}"${tag.opaque}"`;
const list = (tags: EntityTag[], malformed = 0, any = false): EntityTagList => ({ any, tags, malformed });

describe('entity-tags', () => {
  describe('parseEntityTag: one ETag value (RFC 9110 8.8.3: entity-tag = [ weak ] opaque-tag)', () => {
    const CASES: readonly [string, string | undefined, EntityTag | undefined][] = [
      ['a strong tag', '"xyzzy"', strong('xyzzy')],
      ['a weak tag', 'W/"xyzzy"', weak('xyzzy')],
      ['an empty opaque-tag', '""', strong('')],
      ['an empty weak opaque-tag', 'W/""', weak('')],
      ['OWS around it (spaces and tabs)', ' \t"a"\t ', strong('a')],
      ['a comma inside (etagc includes %x2C)', '"a,b"', strong('a,b')],
      ['a backslash inside (etagc includes %x5C, no escaping)', '"a\\"', strong('a\\')],
      ['every VCHAR but DQUOTE', `"!#$%&'()*+,-./09:;<=>?@AZ[\\]^_\`az{|}~"`, strong(`!#$%&'()*+,-./09:;<=>?@AZ[\\]^_\`az{|}~`)],
      ['obs-text (%x80-FF)', '"\u0080\u00ff"', strong('\u0080\u00ff')],
      ['the shape of our body tags', '"d-Pdb5o8Ro0kYyeJFX5GrVyqE6UQ3Kf"', strong('d-Pdb5o8Ro0kYyeJFX5GrVyqE6UQ3Kf')],
      ['an absent field', undefined, undefined],
      ['an empty value', '', undefined],
      ['a lower-case weak prefix (%s"W/" is case-sensitive)', 'w/"a"', undefined],
      ['a weak prefix without a tag', 'W/', undefined],
      ['a space between W/ and the tag', 'W/ "a"', undefined],
      ['an unquoted value', 'xyzzy', undefined],
      ['a missing closing quote', '"xyzzy', undefined],
      ['a missing opening quote', 'xyzzy"', undefined],
      ['a space inside', '"a b"', undefined],
      ['a tab inside', '"a\tb"', undefined],
      ['a quote inside', '"a"b"', undefined],
      ['DEL inside', '"a\u007fb"', undefined],
      ['a control character inside', '"a\u0001b"', undefined],
      ['a character above U+00FF', '"é€"', undefined],
      ['a list', '"a", "b"', undefined],
      ['*', '*', undefined],
      ['text after the tag', '"a"b', undefined],
      ['single quotes', "'a'", undefined],
    ];
    for (const [what, input, expected] of CASES) {
      it(`${what}: ${JSON.stringify(input)}`, () => {
        expect(parseEntityTag(input)).to.deep.equal(expected);
      });
    }
  });

  describe('parseEntityTagList: If-Match / If-None-Match ("*" / #entity-tag, RFC 9110 13.1.1, 13.1.2, lists 5.6.1)', () => {
    const CASES: readonly [string, HeaderValue, EntityTagList | undefined][] = [
      ['an absent field', undefined, undefined],
      ['no field lines', [], undefined],
      ['an empty value', '', undefined],
      ['only OWS and commas (empty members are ignored)', ' ,\t, ', undefined],
      ['one strong tag', '"a"', list([strong('a')])],
      ['one weak tag', 'W/"a"', list([weak('a')])],
      ['a list with spaces', '"a", "b", W/"c"', list([strong('a'), strong('b'), weak('c')])],
      ['a list with no whitespace', '"a","b"', list([strong('a'), strong('b')])],
      ['a list with tabs', '"a"\t,\t"b"', list([strong('a'), strong('b')])],
      ['OWS before the first and after the last member', '\t "a", "b" \t', list([strong('a'), strong('b')])],
      ['empty members', ',"a",,"b",', list([strong('a'), strong('b')])],
      ['several field lines', ['"a"', 'W/"b", "c"'], list([strong('a'), weak('b'), strong('c')])],
      ['several field lines, one empty', ['"a"', ''], list([strong('a')])],
      ['a comma inside a tag', '"a,b", "c"', list([strong('a,b'), strong('c')])],
      ['a tag that is only a comma', '","', list([strong(',')])],
      ['an empty tag in a list', '"", "a"', list([strong(''), strong('a')])],
      ['duplicates are kept', '"a", "a"', list([strong('a'), strong('a')])],
      ['*', '*', list([], 0, true)],
      ['* with OWS', ' \t* ', list([], 0, true)],
      ['* on two field lines', ['*', '*'], list([], 0, true)],
      ['* beside tags (it matches whatever they match)', '"a", *', list([strong('a')], 0, true)],
      ['* beside a malformed member', '*, junk', list([], 1, true)],
      ['a lower-case weak prefix: malformed', 'w/"a", "b"', list([strong('b')], 1)],
      ['an unquoted member: malformed', 'a, "b"', list([strong('b')], 1)],
      ['text glued after a tag: malformed', '"a"b, "c"', list([strong('c')], 1)],
      ['two tags without a comma: one malformed member', '"a" "b", "c"', list([strong('c')], 1)],
      ['a space inside a tag: malformed up to the comma after its quotes', '"a b", "c"', list([strong('c')], 1)],
      ['a malformed member with a quoted comma is skipped whole', 'x"a,b", "c"', list([strong('c')], 1)],
      ['an unterminated tag swallows the rest', '"a, "b"', list([], 1)],
      ['only malformed members: present, matching nothing', 'junk, more', list([], 2)],
      ['** is not *', '**', list([], 1)],
      ['W/* is not *', 'W/*', list([], 1)],
      ['obs-fold is not supported (RFC 9112 5.2): the folded member is malformed', '"a",\r\n "b"', list([strong('a')], 1)],
      ['a CR inside OWS is not OWS', '"a"\r, "b"', list([strong('b')], 1)],
    ];
    for (const [what, input, expected] of CASES) {
      it(`${what}: ${JSON.stringify(input)}`, () => {
        expect(parseEntityTagList(input)).to.deep.equal(expected);
      });
    }
  });

  describe('strongMatch and weakMatch (RFC 9110 8.8.3.2, its example table first)', () => {
    // [tag 1, tag 2, strong comparison, weak comparison]
    const CASES: readonly [EntityTag, EntityTag, boolean, boolean][] = [
      [weak('1'), weak('1'), false, true],
      [weak('1'), weak('2'), false, false],
      [weak('1'), strong('1'), false, true],
      [strong('1'), strong('1'), true, true],
      [strong('1'), weak('1'), false, true],
      [strong('1'), strong('2'), false, false],
      [strong(''), strong(''), true, true],
      [strong('a'), strong('A'), false, false],
      [strong('a'), strong('a '), false, false],
      [strong('a-gzip'), strong('a'), false, false],
    ];
    for (const [a, b, strongResult, weakResult] of CASES) {
      it(`${show(a)} vs ${show(b)}: strong ${strongResult ? 'match' : 'no match'}, weak ${weakResult ? 'match' : 'no match'}`, () => {
        expect(strongMatch(a, b)).to.equal(strongResult);
        expect(strongMatch(b, a)).to.equal(strongResult);
        expect(weakMatch(a, b)).to.equal(weakResult);
        expect(weakMatch(b, a)).to.equal(weakResult);
      });
    }
  });

  describe('formatEntityTag (RFC 9110 8.8.3)', () => {
    const CASES: readonly [EntityTag, string][] = [
      [strong('xyzzy'), '"xyzzy"'],
      [weak('xyzzy'), 'W/"xyzzy"'],
      [strong(''), '""'],
      [strong('a,b'), '"a,b"'],
      [strong('\u00ff'), '"\u00ff"'],
    ];
    for (const [tag, expected] of CASES) {
      it(`${JSON.stringify(tag)} -> ${expected}, which parses back`, () => {
        expect(formatEntityTag(tag)).to.equal(expected);
        expect(parseEntityTag(expected)).to.deep.equal(tag);
      });
    }

    const INVALID: readonly string[] = ['a"b', 'a b', 'a\tb', '\u007f', '\u0000', '€'];
    for (const opaque of INVALID) {
      it(`refuses the opaque-tag ${JSON.stringify(opaque)} (not etagc)`, () => {
        expect(() => formatEntityTag(strong(opaque))).to.throw(TypeError, /etagc/);
      });
    }
  });
});
