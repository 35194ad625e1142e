import { expect } from 'chai';
import type { HttpCachePolicy } from '../../lib/http/cache-control.js';
import { buildCacheControl, buildCdnCacheControl } from '../../lib/http/cache-control.js';
import type { HeaderValue, RequestHeaders } from '../../lib/http/field-value.js';
import { applyPrivateRequest, cookieNames, isPrivateRequest, privateRequestReasons, type PrivateRequestReasons } from '../../lib/http/private-request.js';

const POLICY: HttpCachePolicy = { maxAge: 60, sMaxAge: 300, cdnMaxAge: 600, staleWhileRevalidate: 30, vary: ['Accept-Language'] };

describe('private requests', () => {
  describe('cookieNames (RFC 6265 5.4)', () => {
    const CASES: readonly [HeaderValue, string[]][] = [
      [undefined, []],
      ['', []],
      ['session=abc', ['session']],
      ['a=1; b=2', ['a', 'b']],
      ['a=1;b=2', ['a', 'b']],
      [' a = 1 ;\tb=2; ', ['a', 'b']],
      ['a=x=y', ['a']],
      ['flag', ['']],
      ['=v', ['']],
      [';;', []],
      [['a=1', 'b=2'], ['a', 'b']],
      [[], []],
    ];
    for (const [input, expected] of CASES) {
      it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
        expect(cookieNames(input)).to.deep.equal(expected);
      });
    }
  });

  describe('privateRequestReasons and isPrivateRequest (RFC 9111 3.5, RFC 6265 5.4, API.md section 3)', () => {
    // [what, headers, privateCookies, reasons]
    const CASES: readonly [string, RequestHeaders, readonly string[] | undefined, PrivateRequestReasons][] = [
      ['no credentials', { accept: '*/*' }, undefined, { authorization: false, cookie: false }],
      ['Authorization', { authorization: 'Bearer x' }, undefined, { authorization: true, cookie: false }],
      ['an empty Authorization still counts', { authorization: '' }, undefined, { authorization: true, cookie: false }],
      ['Authorization on no field line', { authorization: [] }, undefined, { authorization: false, cookie: false }],
      ['any cookie, without a list', { cookie: 'theme=dark' }, undefined, { authorization: false, cookie: true }],
      ['an empty Cookie field, without a list', { cookie: '' }, undefined, { authorization: false, cookie: false }],
      ['a listed cookie', { cookie: 'theme=dark; session=abc' }, ['session'], { authorization: false, cookie: true }],
      ['only unlisted cookies', { cookie: 'theme=dark' }, ['session'], { authorization: false, cookie: false }],
      ['a listed cookie in another case (names are case-sensitive)', { cookie: 'Session=abc' }, ['session'], { authorization: false, cookie: false }],
      ['a listed cookie on a second field line (RFC 9113 8.2.3)', { cookie: ['theme=dark', 'session=abc'] }, ['session'], { authorization: false, cookie: true }],
      ['an empty list: no cookie is private', { cookie: 'session=abc' }, [], { authorization: false, cookie: false }],
      ['both', { authorization: 'Basic x', cookie: 'session=abc' }, ['session'], { authorization: true, cookie: true }],
    ];
    for (const [what, headers, privateCookies, reasons] of CASES) {
      it(`${what} -> ${JSON.stringify(reasons)}`, () => {
        expect(privateRequestReasons(headers, privateCookies)).to.deep.equal(reasons);
        expect(isPrivateRequest(headers, privateCookies)).to.equal(reasons.authorization || reasons.cookie);
      });
    }
  });

  describe('applyPrivateRequest: private, no s-maxage, no CDN-Cache-Control, Vary on the credentials (API.md section 3, RFC 9111 3.5, RFC 9110 12.5.5)', () => {
    // [what, policy, headers, privateCookies, Cache-Control, CDN-Cache-Control, Vary]
    const CASES: readonly [string, HttpCachePolicy, RequestHeaders, readonly string[] | undefined, string, string | undefined, readonly string[] | undefined][] = [
      ['an anonymous request keeps the policy', POLICY, {}, undefined, 'public, max-age=60, s-maxage=300, stale-while-revalidate=30', 'max-age=600, stale-while-revalidate=30', ['Accept-Language']],
      ['Authorization', POLICY, { authorization: 'Bearer x' }, undefined, 'private, max-age=60, stale-while-revalidate=30', undefined, ['Accept-Language', 'Authorization']],
      ['any cookie', POLICY, { cookie: 'a=1' }, undefined, 'private, max-age=60, stale-while-revalidate=30', undefined, ['Accept-Language', 'Cookie']],
      ['a listed cookie', POLICY, { cookie: 'a=1; session=x' }, ['session'], 'private, max-age=60, stale-while-revalidate=30', undefined, ['Accept-Language', 'Cookie']],
      ['an unlisted cookie keeps the policy', POLICY, { cookie: 'a=1' }, ['session'], 'public, max-age=60, s-maxage=300, stale-while-revalidate=30', 'max-age=600, stale-while-revalidate=30', ['Accept-Language']],
      ['both credentials', POLICY, { authorization: 'x', cookie: 'a=1' }, undefined, 'private, max-age=60, stale-while-revalidate=30', undefined, ['Accept-Language', 'Authorization', 'Cookie']],
      ['Vary already holding cookie keeps its spelling', { maxAge: 5, vary: ['cookie'] }, { cookie: 'a=1' }, undefined, 'private, max-age=5', undefined, ['cookie']],
      ['Vary: * stays *', { maxAge: 5, vary: ['*'] }, { authorization: 'x' }, undefined, 'private, max-age=5', undefined, ['*']],
      ['no-store is left as it is', { noStore: true }, { authorization: 'x' }, undefined, 'no-store', undefined, undefined],
    ];
    for (const [what, policy, headers, privateCookies, cacheControl, cdn, vary] of CASES) {
      it(`${what} -> ${cacheControl}`, () => {
        const applied = applyPrivateRequest(policy, headers, privateCookies);
        expect(buildCacheControl(applied)).to.equal(cacheControl);
        expect(buildCdnCacheControl(applied)).to.equal(cdn);
        expect(applied.vary).to.deep.equal(vary);
      });
    }

    it('returns the same policy object when nothing changes', () => {
      expect(applyPrivateRequest(POLICY, {})).to.equal(POLICY);
    });
  });
});
