import { expect } from 'chai';
import {
  serializeBareItem,
  serializeByteSequence,
  serializeDictionary,
  serializeInteger,
  serializeKey,
  serializeList,
  serializeParameters,
  serializeString,
  serializeToken,
  sfToken,
  type BareItem,
  type Item,
  type Parameters,
} from '../../lib/http/structured-field.js';

describe('structured fields (RFC 8941)', () => {
  describe('serializeInteger (RFC 8941 4.1.4, range 3.3.1)', () => {
    const VALID: readonly [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [42, '42'],
      [-42, '-42'],
      [999_999_999_999_999, '999999999999999'],
      [-999_999_999_999_999, '-999999999999999'],
    ];
    for (const [input, expected] of VALID) {
      it(`${input} -> ${expected}`, () => {
        expect(serializeInteger(input)).to.equal(expected);
      });
    }
    for (const input of [1.5, 1_000_000_000_000_000, -1_000_000_000_000_000, Number.NaN, Number.POSITIVE_INFINITY]) {
      it(`refuses ${input}`, () => {
        expect(() => serializeInteger(input)).to.throw(TypeError, /Integer/);
      });
    }
  });

  describe('serializeString (RFC 8941 4.1.6, 3.3.3)', () => {
    const VALID: readonly [string, string][] = [
      ['', '""'],
      ['search', '"search"'],
      ['a b', '"a b"'],
      ['say "hi"', '"say \\"hi\\""'],
      ['back\\slash', '"back\\\\slash"'],
      [' !~', '" !~"'],
    ];
    for (const [input, expected] of VALID) {
      it(`${JSON.stringify(input)} -> ${expected}`, () => {
        expect(serializeString(input)).to.equal(expected);
      });
    }
    for (const input of ['é', 'a\tb', 'a\nb', '\u007f', '\u0000']) {
      it(`refuses ${JSON.stringify(input)} (not printable ASCII)`, () => {
        expect(() => serializeString(input)).to.throw(TypeError, /printable ASCII/);
      });
    }
  });

  describe('serializeToken (RFC 8941 4.1.7, 3.3.4)', () => {
    for (const input of ['a', '*', 'text/html', 'a:b', "A!#$%&'*+-.^_`|~0"]) {
      it(`${input} is a Token`, () => {
        expect(serializeToken(input)).to.equal(input);
      });
    }
    for (const input of ['', '1a', '-a', 'a b', 'a"b', 'a,b', 'é']) {
      it(`refuses ${JSON.stringify(input)}`, () => {
        expect(() => serializeToken(input)).to.throw(TypeError, /Token/);
      });
    }
  });

  describe('serializeKey (RFC 8941 4.1.1.3, 3.1.2)', () => {
    for (const input of ['a', 'max-age', 'a_b.c*d', '*', 'q', 'a1']) {
      it(`${input} is a key`, () => {
        expect(serializeKey(input)).to.equal(input);
      });
    }
    for (const input of ['', 'Max-Age', '1a', '-a', 'a b', 'a=b', 'é']) {
      it(`refuses ${JSON.stringify(input)}`, () => {
        expect(() => serializeKey(input)).to.throw(TypeError, /key/);
      });
    }
  });

  describe('serializeBareItem (RFC 8941 4.1.3.1: 4.1.4 to 4.1.9)', () => {
    const CASES: readonly [string, BareItem, string][] = [
      ['an Integer', 7, '7'],
      ['a String', 'x', '"x"'],
      ['a Token', sfToken('x'), 'x'],
      ['a Byte Sequence (4.1.8)', new Uint8Array([1, 2, 3]), ':AQID:'],
      ['an empty Byte Sequence', new Uint8Array(), '::'],
      ['a view into a Buffer: only the view', Buffer.from('xhiy').subarray(1, 3), `:${Buffer.from('hi').toString('base64')}:`],
      ['Boolean true (4.1.9)', true, '?1'],
      ['Boolean false', false, '?0'],
    ];
    for (const [what, input, expected] of CASES) {
      it(`${what} -> ${expected}`, () => {
        expect(serializeBareItem(input)).to.equal(expected);
      });
    }
    it('serializeByteSequence is base64 between colons', () => {
      expect(serializeByteSequence(Buffer.from('hello'))).to.equal(':aGVsbG8=:');
    });
  });

  describe('serializeParameters (RFC 8941 4.1.1.2)', () => {
    const CASES: readonly [Parameters | undefined, string][] = [
      [undefined, ''],
      [{}, ''],
      [{ q: 100, w: 60 }, ';q=100;w=60'],
      [{ a: true }, ';a'],
      [{ a: false }, ';a=?0'],
      [{ u: 'x', t: sfToken('y') }, ';u="x";t=y'],
    ];
    for (const [input, expected] of CASES) {
      it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
        expect(serializeParameters(input)).to.equal(expected);
      });
    }
    it('refuses a key that is not lower case', () => {
      expect(() => serializeParameters({ Q: 1 })).to.throw(TypeError, /key/);
    });
  });

  describe('serializeList (RFC 8941 4.1.1)', () => {
    const CASES: readonly [Item[], string][] = [
      [[{ value: 'burst', params: { q: 100, w: 60 } }], '"burst";q=100;w=60'],
      [[{ value: 'burst', params: { q: 100, w: 60 } }, { value: 'daily', params: { q: 1000, w: 86400 } }], '"burst";q=100;w=60, "daily";q=1000;w=86400'],
      [[{ value: sfToken('a') }, { value: 1 }, { value: true, params: { x: true } }], 'a, 1, ?1;x'],
    ];
    for (const [input, expected] of CASES) {
      it(expected, () => {
        expect(serializeList(input)).to.equal(expected);
      });
    }
    it('refuses an empty List (3.1: not serialised)', () => {
      expect(() => serializeList([])).to.throw(TypeError, /empty/);
    });
  });

  describe('serializeDictionary (RFC 8941 4.1.2)', () => {
    const CASES: readonly [Record<string, Item>, string][] = [
      [{ 'max-age': { value: 60 } }, 'max-age=60'],
      [{ 'max-age': { value: 60 }, 'stale-while-revalidate': { value: 30 } }, 'max-age=60, stale-while-revalidate=30'],
      [{ 'must-revalidate': { value: true } }, 'must-revalidate'],
      [{ a: { value: false } }, 'a=?0'],
      [{ a: { value: true, params: { b: 1 } } }, 'a;b=1'],
      [{ a: { value: 'x', params: { b: true } } }, 'a="x";b'],
      [{ a: { value: sfToken('t') } }, 'a=t'],
    ];
    for (const [input, expected] of CASES) {
      it(expected, () => {
        expect(serializeDictionary(input)).to.equal(expected);
      });
    }
    it('refuses an empty Dictionary (3.2: not serialised)', () => {
      expect(() => serializeDictionary({})).to.throw(TypeError, /empty/);
    });
    it('refuses a member key that is not a key', () => {
      expect(() => serializeDictionary({ 'Max-Age': { value: 1 } })).to.throw(TypeError, /key/);
    });
  });
});
