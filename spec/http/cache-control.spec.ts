import { expect } from 'chai';
import {
  MAX_DELTA_SECONDS,
  buildCacheControl,
  buildCdnCacheControl,
  capToFreshness,
  mergePolicies,
  toDeltaSeconds,
  type CapOptions,
  type HttpCachePolicy,
} from '../../lib/http/cache-control.js';

/** A Dictionary (RFC 8941 3.2) of Integer or Boolean-true members, as RFC 9213 2.1 parses it. */
const SF_DICTIONARY = /^[a-z*][a-z0-9_\-.*]*(=-?\d{1,15})?(, [a-z*][a-z0-9_\-.*]*(=-?\d{1,15})?)*$/;

describe('Cache-Control', () => {
  describe('buildCacheControl (RFC 9111 5.2.2; RFC 5861 sections 3 and 4; RFC 8246 section 2)', () => {
    const CASES: readonly [string, HttpCachePolicy, string][] = [
      ['the default policy', {}, 'public, max-age=0'],
      ['maxAge (5.2.2.1, 5.2.2.9)', { maxAge: 60 }, 'public, max-age=60'],
      ['maxAge 0', { maxAge: 0 }, 'public, max-age=0'],
      ['a fractional age, rounded down (1.2.2)', { maxAge: 59.9 }, 'public, max-age=59'],
      ['an age above 2^31, capped (1.2.2)', { maxAge: 1e12 }, `public, max-age=${MAX_DELTA_SECONDS}`],
      ['private (5.2.2.7)', { maxAge: 60, visibility: 'private' }, 'private, max-age=60'],
      ['sMaxAge (5.2.2.10)', { maxAge: 60, sMaxAge: 300 }, 'public, max-age=60, s-maxage=300'],
      ['sMaxAge 0', { maxAge: 60, sMaxAge: 0 }, 'public, max-age=60, s-maxage=0'],
      ['sMaxAge with private: dropped, no shared cache stores it', { maxAge: 60, sMaxAge: 300, visibility: 'private' }, 'private, max-age=60'],
      ['stale-while-revalidate (RFC 5861 3)', { maxAge: 60, staleWhileRevalidate: 30 }, 'public, max-age=60, stale-while-revalidate=30'],
      ['stale-if-error (RFC 5861 4)', { maxAge: 60, staleIfError: 600 }, 'public, max-age=60, stale-if-error=600'],
      ['stale extensions at 0 send nothing', { maxAge: 60, staleWhileRevalidate: 0, staleIfError: 0 }, 'public, max-age=60'],
      ['the API.md example', { maxAge: 60, sMaxAge: 300, staleWhileRevalidate: 30 }, 'public, max-age=60, s-maxage=300, stale-while-revalidate=30'],
      ['must-revalidate (5.2.2.2)', { maxAge: 60, mustRevalidate: true }, 'public, max-age=60, must-revalidate'],
      ['must-revalidate drops the stale extensions (4.2.4)', { maxAge: 60, mustRevalidate: true, staleWhileRevalidate: 30, staleIfError: 60 }, 'public, max-age=60, must-revalidate'],
      ['immutable (RFC 8246 2)', { maxAge: 31_536_000, immutable: true }, 'public, max-age=31536000, immutable'],
      ['immutable without a freshness lifetime: dropped', { maxAge: 0, immutable: true }, 'public, max-age=0'],
      ['no-cache (5.2.2.4)', { maxAge: 60, noCache: true, staleWhileRevalidate: 30 }, 'public, no-cache'],
      ['private no-cache', { visibility: 'private', noCache: true }, 'private, no-cache'],
      ['no-store (5.2.2.5) overrides everything', { maxAge: 60, sMaxAge: 300, noCache: true, immutable: true, visibility: 'private', noStore: true }, 'no-store'],
      ['every directive, in order', { maxAge: 60, sMaxAge: 120, staleWhileRevalidate: 30, staleIfError: 90, immutable: true }, 'public, max-age=60, s-maxage=120, stale-while-revalidate=30, stale-if-error=90, immutable'],
      ['fields that are not directives change nothing', { maxAge: 1, vary: ['Accept'], etag: 'weak', lastModified: new Date(0), tagHeader: 'Cache-Tag', cdnMaxAge: 5 }, 'public, max-age=1'],
    ];
    for (const [what, policy, expected] of CASES) {
      it(`${what} -> ${expected}`, () => {
        expect(buildCacheControl(policy)).to.equal(expected);
      });
    }
    for (const [what, policy] of [
      ['a negative maxAge', { maxAge: -1 }],
      ['a NaN sMaxAge', { sMaxAge: Number.NaN }],
      ['a negative staleWhileRevalidate', { staleWhileRevalidate: -5 }],
    ] as const) {
      it(`refuses ${what} (1.2.2)`, () => {
        expect(() => buildCacheControl(policy)).to.throw(RangeError, /seconds/);
      });
    }
  });

  describe('buildCdnCacheControl: a structured-field Dictionary (RFC 9213 sections 2.1 and 3, RFC 8941 3.2)', () => {
    const CASES: readonly [string, HttpCachePolicy, string | undefined][] = [
      ['no cdnMaxAge: no field, the CDN reads Cache-Control (2.2)', { maxAge: 60, sMaxAge: 300 }, undefined],
      ['cdnMaxAge', { cdnMaxAge: 600 }, 'max-age=600'],
      ['cdnMaxAge 0', { cdnMaxAge: 0 }, 'max-age=0'],
      ['with stale-while-revalidate', { cdnMaxAge: 60, staleWhileRevalidate: 30 }, 'max-age=60, stale-while-revalidate=30'],
      ['with stale-if-error', { cdnMaxAge: 60, staleIfError: 600 }, 'max-age=60, stale-if-error=600'],
      ['with must-revalidate: a bare key, no stale extensions', { cdnMaxAge: 60, mustRevalidate: true, staleWhileRevalidate: 30 }, 'max-age=60, must-revalidate'],
      ['with immutable', { cdnMaxAge: 60, immutable: true }, 'max-age=60, immutable'],
      ['a fractional age, rounded down', { cdnMaxAge: 60.7 }, 'max-age=60'],
      ['an age above 2^31, capped', { cdnMaxAge: 1e13 }, `max-age=${MAX_DELTA_SECONDS}`],
      ['private: no field', { cdnMaxAge: 60, visibility: 'private' }, undefined],
      ['no-store: no field', { cdnMaxAge: 60, noStore: true }, undefined],
      ['no-cache: no field', { cdnMaxAge: 60, noCache: true }, undefined],
    ];
    for (const [what, policy, expected] of CASES) {
      it(`${what} -> ${String(expected)}`, () => {
        const field = buildCdnCacheControl(policy);
        expect(field).to.equal(expected);
        if (field !== undefined) expect(field).to.match(SF_DICTIONARY);
      });
    }
  });

  describe('toDeltaSeconds (RFC 9111 1.2.2)', () => {
    const CASES: readonly [number, number][] = [
      [0, 0],
      [1, 1],
      [1.999, 1],
      [MAX_DELTA_SECONDS, MAX_DELTA_SECONDS],
      [MAX_DELTA_SECONDS + 1, MAX_DELTA_SECONDS],
      [Number.POSITIVE_INFINITY, MAX_DELTA_SECONDS],
    ];
    for (const [input, expected] of CASES) {
      it(`${input} -> ${expected}`, () => {
        expect(toDeltaSeconds(input)).to.equal(expected);
      });
    }
  });

  describe('mergePolicies: the safest of several (API.md section 3; RFC 9111 5.2.2, RFC 9213 2.2, RFC 9110 12.5.5)', () => {
    const BASE: HttpCachePolicy = {
      maxAge: 0,
      sMaxAge: undefined,
      cdnMaxAge: undefined,
      staleWhileRevalidate: undefined,
      staleIfError: undefined,
      visibility: 'public',
      noStore: false,
      noCache: false,
      mustRevalidate: false,
      immutable: false,
      vary: undefined,
      etag: 'strong',
      lastModified: undefined,
      tagHeader: undefined,
    };
    const CASES: readonly [string, HttpCachePolicy[], HttpCachePolicy | undefined][] = [
      ['no policy', [], undefined],
      ['one policy, defaults filled in', [{ maxAge: 60 }], { ...BASE, maxAge: 60 }],
      ['the shortest max-age', [{ maxAge: 60 }, { maxAge: 30 }, { maxAge: 90 }], { ...BASE, maxAge: 30 }],
      ['an unset max-age counts as 0', [{ maxAge: 60 }, {}], { ...BASE, maxAge: 0 }],
      ['s-maxage: the shortest shared age, max-age standing in', [{ maxAge: 60, sMaxAge: 300 }, { maxAge: 120 }], { ...BASE, maxAge: 60, sMaxAge: 120 }],
      ['s-maxage: both set', [{ maxAge: 10, sMaxAge: 300 }, { maxAge: 10, sMaxAge: 200 }], { ...BASE, maxAge: 10, sMaxAge: 200 }],
      ['s-maxage unset everywhere stays unset', [{ maxAge: 10 }, { maxAge: 20 }], { ...BASE, maxAge: 10 }],
      ['cdnMaxAge: the shortest CDN age, s-maxage then max-age standing in', [{ maxAge: 10, cdnMaxAge: 600 }, { maxAge: 20, sMaxAge: 100 }, { maxAge: 500 }], { ...BASE, maxAge: 10, sMaxAge: 10, cdnMaxAge: 100 }],
      ['stale-while-revalidate: the shortest, unset counting as none', [{ staleWhileRevalidate: 30 }, { staleWhileRevalidate: 10 }], { ...BASE, staleWhileRevalidate: 10 }],
      ['stale-while-revalidate on one policy only: none', [{ staleWhileRevalidate: 30 }, {}], BASE],
      ['stale-if-error: the shortest', [{ staleIfError: 600 }, { staleIfError: 60 }], { ...BASE, staleIfError: 60 }],
      ['private over public', [{ visibility: 'public' }, { visibility: 'private' }], { ...BASE, visibility: 'private' }],
      ['no-store if any', [{ maxAge: 60 }, { noStore: true }], { ...BASE, noStore: true }],
      ['no-cache if any', [{ noCache: true }, {}], { ...BASE, noCache: true }],
      ['must-revalidate if any', [{}, { mustRevalidate: true }], { ...BASE, mustRevalidate: true }],
      ['immutable only if all', [{ immutable: true }, {}], BASE],
      ['immutable when all are', [{ immutable: true }, { immutable: true }], { ...BASE, immutable: true }],
      ['Vary: the union, case-insensitive, first spelling', [{ vary: ['Accept-Language', 'cookie'] }, { vary: ['Cookie', 'Authorization'] }], { ...BASE, vary: ['Accept-Language', 'cookie', 'Authorization'] }],
      ['Vary: * absorbs the rest', [{ vary: ['Accept'] }, { vary: ['*'] }], { ...BASE, vary: ['*'] }],
      ['ETag: weak if any', [{ etag: 'strong' }, { etag: 'weak' }], { ...BASE, etag: 'weak' }],
      ['ETag: none if any', [{ etag: 'weak' }, { etag: false }], { ...BASE, etag: false }],
      ['Last-Modified: the latest', [{ lastModified: new Date(1000) }, { lastModified: new Date(5000) }], { ...BASE, lastModified: new Date(5000) }],
      ['Last-Modified: none when one part has none', [{ lastModified: new Date(1000) }, {}], BASE],
      ['tag header: the first set', [{}, { tagHeader: 'Surrogate-Key' }, { tagHeader: 'Cache-Tag' }], { ...BASE, tagHeader: 'Surrogate-Key' }],
    ];
    for (const [what, policies, expected] of CASES) {
      it(what, () => {
        expect(mergePolicies(policies)).to.deep.equal(expected);
      });
    }

    it('merges the API.md example with a private policy into a private response without s-maxage', () => {
      const merged = mergePolicies([{ maxAge: 60, sMaxAge: 300, staleWhileRevalidate: 30, vary: ['Accept-Language'] }, { maxAge: 120, staleWhileRevalidate: 60, visibility: 'private' }]);
      expect(buildCacheControl(merged as HttpCachePolicy)).to.equal('private, max-age=60, stale-while-revalidate=30');
    });
  });

  describe('capToFreshness: max-age never beyond the entry freshness, 0 when stale (API.md section 3, RFC 9111 5.2.2.1)', () => {
    const CASES: readonly [string, HttpCachePolicy, number, CapOptions, HttpCachePolicy][] = [
      ['more freshness left than max-age: unchanged', { maxAge: 60 }, 120_000, {}, { maxAge: 60, sMaxAge: undefined, cdnMaxAge: undefined }],
      ['less left: cut', { maxAge: 60 }, 30_000, {}, { maxAge: 30, sMaxAge: undefined, cdnMaxAge: undefined }],
      ['a fraction of a second is rounded down', { maxAge: 60 }, 29_999, {}, { maxAge: 29, sMaxAge: undefined, cdnMaxAge: undefined }],
      ['less than a second left: 0', { maxAge: 60 }, 999, {}, { maxAge: 0, sMaxAge: undefined, cdnMaxAge: undefined }],
      ['exactly expired: 0', { maxAge: 60 }, 0, {}, { maxAge: 0, sMaxAge: undefined, cdnMaxAge: undefined }],
      ['a stale entry: 0', { maxAge: 60 }, -5_000, {}, { maxAge: 0, sMaxAge: undefined, cdnMaxAge: undefined }],
      ['shared ages are cut too', { maxAge: 60, sMaxAge: 300, cdnMaxAge: 600 }, 100_000, {}, { maxAge: 60, sMaxAge: 100, cdnMaxAge: 100 }],
      ['shared ages left alone with shared: false', { maxAge: 60, sMaxAge: 300, cdnMaxAge: 600 }, 10_000, { shared: false }, { maxAge: 10, sMaxAge: 300, cdnMaxAge: 600 }],
      ['stale extensions are not cut', { maxAge: 60, staleWhileRevalidate: 30, staleIfError: 300 }, -1, {}, { maxAge: 0, sMaxAge: undefined, cdnMaxAge: undefined, staleWhileRevalidate: 30, staleIfError: 300 }],
      ['an unset max-age stays 0', {}, 60_000, {}, { maxAge: 0, sMaxAge: undefined, cdnMaxAge: undefined }],
    ];
    for (const [what, policy, remainingMs, options, expected] of CASES) {
      it(`${what}: ${remainingMs} ms left`, () => {
        expect(capToFreshness(policy, remainingMs, options)).to.deep.equal(expected);
      });
    }

    it('a stale entry with stale-while-revalidate builds max-age=0 with it', () => {
      expect(buildCacheControl(capToFreshness({ maxAge: 60, staleWhileRevalidate: 30 }, -1))).to.equal('public, max-age=0, stale-while-revalidate=30');
    });
  });
});
