import { expect } from 'chai';
import { NOT_MODIFIED_DROPPED, NOT_MODIFIED_REQUIRED, notModifiedHeaders, notModifiedRemovals, type ResponseHeaders } from '../../lib/http/not-modified.js';

/** The header section of a compressed 200 as the Koa layer builds it. */
const OK_HEADERS: ResponseHeaders = {
  'cache-control': 'public, max-age=60',
  'cdn-cache-control': 'max-age=300',
  'content-encoding': 'gzip',
  'content-language': 'en',
  'content-length': 431,
  'content-location': '/products/1',
  'content-type': 'application/json; charset=utf-8',
  date: 'Mon, 15 Jan 2024 10:00:00 GMT',
  etag: '"1f-abc-gzip"',
  expires: 'Mon, 15 Jan 2024 10:01:00 GMT',
  'last-modified': 'Mon, 15 Jan 2024 09:00:00 GMT',
  ratelimit: '"search";r=99;t=60',
  'set-cookie': ['a=1', 'b=2'],
  'cache-tag': 'product:1,products',
  vary: 'Accept-Encoding, Accept-Language',
};

describe('notModifiedHeaders (RFC 9110 15.4.5)', () => {
  describe('each field of a full 200 (RFC 9110 15.4.5; Last-Modified dropped beside an ETag)', () => {
    const CASES: readonly [string, boolean, string][] = [
      ['cache-control', true, 'MUST: Cache-Control'],
      ['content-location', true, 'MUST: Content-Location'],
      ['date', true, 'MUST: Date'],
      ['etag', true, 'MUST: ETag'],
      ['expires', true, 'MUST: Expires'],
      ['vary', true, 'MUST: Vary'],
      ['content-type', false, 'representation metadata (8.3)'],
      ['content-encoding', false, 'representation metadata (8.4)'],
      ['content-language', false, 'representation metadata (8.5)'],
      ['content-length', false, 'representation metadata (8.6)'],
      ['last-modified', false, 'a validator the ETag makes redundant (15.4.5 example)'],
      ['cdn-cache-control', true, 'not representation metadata: it guides cache updates (RFC 9213)'],
      ['cache-tag', true, 'not representation metadata'],
      ['ratelimit', true, 'not representation metadata'],
      ['set-cookie', true, 'not representation metadata'],
    ];
    const result = notModifiedHeaders(OK_HEADERS);
    for (const [name, kept, why] of CASES) {
      it(`${kept ? 'keeps' : 'drops'} ${name}: ${why}`, () => {
        if (kept) expect(result[name]).to.equal(OK_HEADERS[name]);
        else expect(result).to.not.have.property(name);
      });
    }
  });

  describe('single fields (RFC 9110 15.4.5, 8.6, RFC 9112 6.1)', () => {
    const CASES: readonly [string, ResponseHeaders, Record<string, unknown>][] = [
      ['Last-Modified without an ETag is kept (15.4.5: "useful if the response does not have an ETag")', { 'last-modified': 'x', date: 'd' }, { 'last-modified': 'x', date: 'd' }],
      ['Last-Modified beside an ETag is dropped', { etag: '"a"', 'last-modified': 'x' }, { etag: '"a"' }],
      ['Last-Modified beside an ETag spelt otherwise is dropped', { ETag: '"a"', 'Last-Modified': 'x' }, { ETag: '"a"' }],
      ['Last-Modified beside an undefined ETag is kept', { etag: undefined, 'last-modified': 'x' }, { 'last-modified': 'x' }],
      ['names keep their spelling', { 'Cache-Control': 'no-cache', VARY: 'Accept' }, { 'Cache-Control': 'no-cache', VARY: 'Accept' }],
      ['Content-Type in any case is dropped', { 'Content-Type': 'text/plain', 'CONTENT-LENGTH': 3 }, {}],
      ['Content-Range (14.4) is dropped', { 'content-range': 'bytes 0-1/2' }, {}],
      ['Content-Disposition (RFC 6266) is dropped', { 'content-disposition': 'inline' }, {}],
      ['Content-MD5 is dropped', { 'content-md5': 'x' }, {}],
      ['Content-Digest (RFC 9530) is dropped', { 'content-digest': 'sha-256=:x:' }, {}],
      ['Transfer-Encoding (RFC 9112 6.1) is dropped', { 'transfer-encoding': 'chunked' }, {}],
      ['Content-Location stays (a MUST)', { 'content-location': '/a' }, { 'content-location': '/a' }],
      ['Content-Security-Policy is not representation metadata', { 'content-security-policy': "default-src 'self'" }, { 'content-security-policy': "default-src 'self'" }],
      ['an undefined field is left out', { vary: undefined, date: 'd' }, { date: 'd' }],
      ['an array value stays the same array', { 'set-cookie': ['a=1'] }, { 'set-cookie': ['a=1'] }],
      ['no fields', {}, {}],
    ];
    for (const [what, input, expected] of CASES) {
      it(what, () => {
        expect(notModifiedHeaders(input)).to.deep.equal(expected);
      });
    }
  });

  it('keeps every required field and drops every listed one, whatever the 200 had', () => {
    const all: Record<string, string> = {};
    for (const name of [...NOT_MODIFIED_REQUIRED, ...NOT_MODIFIED_DROPPED]) all[name] = 'x';
    expect(Object.keys(notModifiedHeaders(all)).sort()).to.deep.equal([...NOT_MODIFIED_REQUIRED].sort());
  });

  it('does not change its input', () => {
    const input = { 'content-type': 'text/plain', etag: '"a"' };
    notModifiedHeaders(input);
    expect(input).to.deep.equal({ 'content-type': 'text/plain', etag: '"a"' });
  });

  describe('notModifiedRemovals: the same result, as the fields to remove in place', () => {
    const sets: Record<string, string>[] = [
      {},
      { 'content-type': 'application/json', 'content-length': '10', etag: '"a"', 'cache-control': 'max-age=60', vary: 'Accept-Encoding' },
      { 'last-modified': 'Thu, 01 Jan 2026 00:00:00 GMT', etag: '"a"', 'content-encoding': 'gzip' },
      { 'last-modified': 'Thu, 01 Jan 2026 00:00:00 GMT', 'content-type': 'text/plain', 'set-cookie': 'a=1' },
      Object.fromEntries([...NOT_MODIFIED_REQUIRED, ...NOT_MODIFIED_DROPPED, 'last-modified', 'ratelimit'].map((name) => [name, 'x'])),
    ];
    for (const headers of sets) {
      it(`{ ${Object.keys(headers).join(', ')} }`, () => {
        const removed = new Set(notModifiedRemovals(Object.keys(headers)));
        const left = Object.keys(headers).filter((name) => !removed.has(name));
        expect(left.sort()).to.deep.equal(Object.keys(notModifiedHeaders(headers)).sort());
      });
    }
  });
});
