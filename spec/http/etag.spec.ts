import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { parseEntityTag, type EntityTag } from '../../lib/http/entity-tag.js';
import { CONTENT_CODINGS, bodyEtag, encodedEtag, identityEtag, type BodyEtagOptions } from '../../lib/http/etag.js';
import type { HeaderValue } from '../../lib/http/field-value.js';

const strong = (opaque: string): EntityTag => ({ weak: false, opaque });
const weak = (opaque: string): EntityTag => ({ weak: true, opaque });

describe('ETags', () => {
  describe('bodyEtag: a validator of the identity bytes (RFC 9110 8.8.1, syntax 8.8.3)', () => {
    // [what, body, options, exact field value]
    const CASES: readonly [string, Uint8Array | string, BodyEtagOptions, string][] = [
      ['an empty body', '', {}, '"0-47DEQpj8HBSa-_TImW-5JCeuQeR"'],
      ['a string, hashed as UTF-8', 'hello world', {}, '"b-uU0nuZNNPgilLlLX2n2r-sSE7-N"'],
      ['the same bytes as a Buffer', Buffer.from('hello world'), {}, '"b-uU0nuZNNPgilLlLX2n2r-sSE7-N"'],
      ['the same bytes as a plain Uint8Array', new Uint8Array(Buffer.from('hello world')), {}, '"b-uU0nuZNNPgilLlLX2n2r-sSE7-N"'],
      ['a view into a larger buffer: only the view', Buffer.from('xxhello worldyy').subarray(2, 13), {}, '"b-uU0nuZNNPgilLlLX2n2r-sSE7-N"'],
      ['SHA-1 (27 base64url characters, as jshttp/etag but URL-safe)', '', { algorithm: 'sha1' }, '"0-2jmj7l5rSw0yVb_vlWAYkK_YBwk"'],
      ['SHA-1 of a string', 'hello world', { algorithm: 'sha1' }, '"b-Kq5sNclPz7QV2-lfQIuc6R7oRu0"'],
      ['weak', 'hello world', { weak: true }, 'W/"b-uU0nuZNNPgilLlLX2n2r-sSE7-N"'],
      ['weak SHA-1', 'hello world', { weak: true, algorithm: 'sha1' }, 'W/"b-Kq5sNclPz7QV2-lfQIuc6R7oRu0"'],
    ];
    for (const [what, body, options, expected] of CASES) {
      it(`${what} -> ${expected}`, () => {
        expect(bodyEtag(body, options)).to.equal(expected);
      });
    }

    const LENGTHS: readonly [string, string][] = [
      ['é', '2'],
      ['€', '3'],
      ['a'.repeat(255), 'ff'],
      ['a'.repeat(4096), '1000'],
    ];
    for (const [body, hex] of LENGTHS) {
      it(`puts the byte length in hex first: ${body.length} characters -> ${hex}`, () => {
        const digest = createHash('sha256').update(body, 'utf8').digest('base64url').slice(0, 27);
        expect(bodyEtag(body)).to.equal(`"${hex}-${digest}"`);
      });
    }

    it('is a strong entity-tag that parses back', () => {
      expect(parseEntityTag(bodyEtag('{"id":1}'))).to.have.property('weak', false);
    });

    it('changes when one byte changes', () => {
      expect(bodyEtag('{"id":1}')).to.not.equal(bodyEtag('{"id":2}'));
    });

    it('is the same in another process (same bytes, same tag on every replica)', () => {
      const module = new URL('../../lib/http/etag.js', import.meta.url).href;
      const script = `import(${JSON.stringify(module)}).then((m) => process.stdout.write(m.bodyEtag('{"id":1,"name":"été"}')))`;
      const other = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' });
      expect(other).to.equal(bodyEtag('{"id":1,"name":"été"}'));
    });
  });

  describe('encodedEtag: a distinct strong tag per content coding (RFC 9110 8.8.3.3, codings 8.4.1)', () => {
    // [what, identity tag, Content-Encoding, representation tag]
    const CASES: readonly [string, string, HeaderValue, string][] = [
      ['gzip', '"1f-abc"', 'gzip', '"1f-abc-gzip"'],
      ['br', '"1f-abc"', 'br', '"1f-abc-br"'],
      ['deflate', '"1f-abc"', 'deflate', '"1f-abc-deflate"'],
      ['zstd', '"1f-abc"', 'zstd', '"1f-abc-zstd"'],
      ['a coding in upper case (8.4.1: case-insensitive)', '"1f-abc"', 'GZIP', '"1f-abc-gzip"'],
      ['two codings, in the order applied', '"1f-abc"', 'deflate, br', '"1f-abc-deflate-br"'],
      ['two codings on two field lines', '"1f-abc"', ['deflate', 'gzip'], '"1f-abc-deflate-gzip"'],
      ['identity: unchanged', '"1f-abc"', 'identity', '"1f-abc"'],
      ['identity among codings is skipped', '"1f-abc"', 'identity, gzip', '"1f-abc-gzip"'],
      ['no Content-Encoding: unchanged', '"1f-abc"', undefined, '"1f-abc"'],
      ['an empty Content-Encoding: unchanged', '"1f-abc"', '', '"1f-abc"'],
      ['OWS around the tag and the coding', ' "1f-abc"\t', '\tgzip ', '"1f-abc-gzip"'],
      ['a weak tag stays as it is (8.8.1: weak tags may be shared across codings)', 'W/"1f-abc"', 'gzip', 'W/"1f-abc"'],
      ['an empty opaque-tag', '""', 'br', '"-br"'],
    ];
    for (const [what, identity, coding, expected] of CASES) {
      it(`${what}: ${identity} + ${JSON.stringify(coding)} -> ${expected}`, () => {
        expect(encodedEtag(identity, coding)).to.equal(expected);
      });
    }

    const INVALID: readonly [string, string, HeaderValue, RegExp][] = [
      ['an unquoted identity tag', 'abc', 'gzip', /entity-tag/],
      ['a list as the identity tag', '"a", "b"', 'gzip', /entity-tag/],
      ['a coding that is not a token', '"abc"', 'g zip', /content coding/],
      ['a coding with a quote', '"abc"', 'g"zip', /content coding/],
    ];
    for (const [what, identity, coding, message] of INVALID) {
      it(`refuses ${what}`, () => {
        expect(() => encodedEtag(identity, coding)).to.throw(TypeError, message);
      });
    }
  });

  describe('identityEtag: the server matches its own encoded tags (RFC 9110 8.8.3.3, 13.1.1, 13.1.2)', () => {
    // [what, received, codings (default list when undefined), identity]
    const CASES: readonly [string, EntityTag, readonly string[] | undefined, EntityTag][] = [
      ['a gzip tag', strong('1f-abc-gzip'), undefined, strong('1f-abc')],
      ['a br tag', strong('1f-abc-br'), undefined, strong('1f-abc')],
      ['a deflate tag', strong('1f-abc-deflate'), undefined, strong('1f-abc')],
      ['a zstd tag', strong('1f-abc-zstd'), undefined, strong('1f-abc')],
      ['an x-gzip tag, as a whole', strong('1f-abc-x-gzip'), undefined, strong('1f-abc')],
      ['two codings', strong('1f-abc-deflate-br'), undefined, strong('1f-abc')],
      ['a tag weakened on the way keeps its weakness', weak('1f-abc-gzip'), undefined, weak('1f-abc')],
      ['an identity tag: itself', strong('1f-abc'), undefined, strong('1f-abc')],
      ['an unknown suffix: itself', strong('1f-abc-lzma'), undefined, strong('1f-abc-lzma')],
      ['a suffix without a hyphen: itself', strong('1f-abcgzip'), undefined, strong('1f-abcgzip')],
      ['a tag that is only a suffix: the empty tag (as encodedEtag(\'""\', \'gzip\') gives it)', strong('-gzip'), undefined, strong('')],
      ['the coding in upper case: itself (tags compare case-sensitively)', strong('1f-abc-GZIP'), undefined, strong('1f-abc-GZIP')],
      ['a custom list of codings', strong('1f-abc-lzma'), ['lzma'], strong('1f-abc')],
      ['a custom list that leaves gzip out', strong('1f-abc-gzip'), ['br'], strong('1f-abc-gzip')],
    ];
    for (const [what, received, codings, expected] of CASES) {
      it(`${what}: ${JSON.stringify(received)} -> ${JSON.stringify(expected)}`, () => {
        expect(identityEtag(received, codings)).to.deep.equal(expected);
      });
    }

    for (const coding of CONTENT_CODINGS) {
      it(`round-trips ${coding}: identityEtag(encodedEtag(tag, "${coding}")) is the identity tag`, () => {
        const identity = bodyEtag('{"id":1}');
        const encoded = encodedEtag(identity, coding);
        expect(encoded).to.not.equal(identity);
        expect(identityEtag(parseEntityTag(encoded) as EntityTag)).to.deep.equal(parseEntityTag(identity));
      });
    }
  });
});
