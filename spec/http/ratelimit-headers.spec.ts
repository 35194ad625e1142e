import { expect } from 'chai';
import { RateLimitError } from '../../lib/errors.js';
import {
  policyName,
  rateLimitErrorHeaders,
  rateLimitField,
  rateLimitPolicyField,
  retryAfterField,
  secondsUp,
  type RateLimitPolicyInfo,
  type RateLimitStatus,
} from '../../lib/http/ratelimit-headers.js';

const SEARCH: RateLimitPolicyInfo = { name: 'search', limit: 100, windowMs: 60_000 };
const DAILY: RateLimitPolicyInfo = { name: 'daily', limit: 1000, windowMs: 86_400_000 };

describe('rate-limit fields', () => {
  describe('policyName: a structured-field String (RFC 8941 3.3.3)', () => {
    const CASES: readonly [string, string][] = [
      ['search', 'search'],
      ['ProductService.search', 'ProductService.search'],
      ['a b', 'a b'],
      ['say "hi"', 'say "hi"'],
      ['50%', '50%25'],
      ['café', 'caf%C3%A9'],
      ['検索', '%E6%A4%9C%E7%B4%A2'],
      ['😀', '%F0%9F%98%80'],
      ['\ud800', '%EF%BF%BD'],
      ['tab\there', 'tab%09here'],
    ];
    for (const [input, expected] of CASES) {
      it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
        expect(policyName(input)).to.equal(expected);
      });
    }
  });

  describe('rateLimitPolicyField: a List of "<name>";q=<quota>;w=<window> (draft-ietf-httpapi-ratelimit-headers-08+ sections 3, 3.1.1, 3.1.3)', () => {
    const CASES: readonly [string, RateLimitPolicyInfo | RateLimitPolicyInfo[], string][] = [
      ['one policy', SEARCH, '"search";q=100;w=60'],
      ['one policy in a list', [SEARCH], '"search";q=100;w=60'],
      ['two policies', [SEARCH, DAILY], '"search";q=100;w=60, "daily";q=1000;w=86400'],
      ['a window in fractions of a second, rounded up', { name: 'x', limit: 5, windowMs: 1500 }, '"x";q=5;w=2'],
      ['a window under a second is 1 (w is positive)', { name: 'x', limit: 5, windowMs: 10 }, '"x";q=5;w=1'],
      ['a window of 0 is 1', { name: 'x', limit: 5, windowMs: 0 }, '"x";q=5;w=1'],
      ['a quota of 0', { name: 'x', limit: 0, windowMs: 1000 }, '"x";q=0;w=1'],
      ['a name with a quote, escaped', { name: 'a"b', limit: 1, windowMs: 1000 }, '"a\\"b";q=1;w=1'],
      ['a non-ASCII name, percent-encoded', { name: 'café', limit: 1, windowMs: 1000 }, '"caf%C3%A9";q=1;w=1'],
    ];
    for (const [what, input, expected] of CASES) {
      it(`${what} -> ${expected}`, () => {
        expect(rateLimitPolicyField(input)).to.equal(expected);
      });
    }
    for (const [what, input] of [
      ['no policy', []],
      ['a fractional limit', { name: 'x', limit: 1.5, windowMs: 1000 }],
      ['a negative limit', { name: 'x', limit: -1, windowMs: 1000 }],
    ] as const) {
      it(`refuses ${what}`, () => {
        expect(() => rateLimitPolicyField(input)).to.throw(TypeError);
      });
    }
  });

  describe('rateLimitField: a List of "<name>";r=<remaining>;t=<seconds> (draft-ietf-httpapi-ratelimit-headers-08+ sections 4, 4.1.1, 4.1.2)', () => {
    const CASES: readonly [string, RateLimitStatus | RateLimitStatus[], string][] = [
      ['one status', { policy: SEARCH, remaining: 50, resetMs: 30_000 }, '"search";r=50;t=30'],
      ['none left', { policy: SEARCH, remaining: 0, resetMs: 12_000 }, '"search";r=0;t=12'],
      ['fractional tokens, rounded down', { policy: SEARCH, remaining: 3.9, resetMs: 1000 }, '"search";r=3;t=1'],
      ['a negative remaining is 0', { policy: SEARCH, remaining: -2, resetMs: 1000 }, '"search";r=0;t=1'],
      ['a reset in fractions of a second, rounded up', { policy: SEARCH, remaining: 1, resetMs: 1001 }, '"search";r=1;t=2'],
      ['a reset of 0', { policy: SEARCH, remaining: 100, resetMs: 0 }, '"search";r=100;t=0'],
      ['a reset in the past is 0', { policy: SEARCH, remaining: 100, resetMs: -50 }, '"search";r=100;t=0'],
      ['two statuses', [{ policy: SEARCH, remaining: 1, resetMs: 1000 }, { policy: DAILY, remaining: 900, resetMs: 3_600_000 }], '"search";r=1;t=1, "daily";r=900;t=3600'],
    ];
    for (const [what, input, expected] of CASES) {
      it(`${what} -> ${expected}`, () => {
        expect(rateLimitField(input)).to.equal(expected);
      });
    }
  });

  describe('retryAfterField: delay-seconds, rounded up (RFC 9110 10.2.3)', () => {
    const CASES: readonly [number, string][] = [
      [0, '0'],
      [-100, '0'],
      [1, '1'],
      [999, '1'],
      [1000, '1'],
      [1001, '2'],
      [59_000.5, '60'],
      [86_400_000, '86400'],
    ];
    for (const [input, expected] of CASES) {
      it(`${input} ms -> ${expected}`, () => {
        expect(retryAfterField(input)).to.equal(expected);
      });
    }
    for (const input of [Number.NaN, Number.POSITIVE_INFINITY]) {
      it(`refuses ${input}`, () => {
        expect(() => secondsUp(input)).to.throw(RangeError);
      });
    }
  });

  describe('rateLimitErrorHeaders: the fields of a 429 (RFC 6585 section 4, RFC 9110 10.2.3, draft sections 3 and 4)', () => {
    it('takes a RateLimitError as it is', () => {
      const error = new RateLimitError({ limit: 100, remaining: 0, resetMs: 12_345, retryAfterMs: 600.2, policy: SEARCH });
      expect(rateLimitErrorHeaders(error)).to.deep.equal({
        'RateLimit-Policy': '"search";q=100;w=60',
        RateLimit: '"search";r=0;t=13',
        'Retry-After': '1',
      });
    });
  });
});
