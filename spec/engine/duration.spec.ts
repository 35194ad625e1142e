import { expect } from 'chai';
import { CacheConfigError, parseDuration } from '../../lib/index.js';

describe('parseDuration', () => {
  describe('given a valid duration', () => {
    const cases: ReadonlyArray<readonly [input: unknown, ms: number]> = [
      [0, 0],
      [250, 250],
      [1.9, 1], // whole milliseconds, rounded down
      [86_400_000, 86_400_000],
      ['0ms', 0],
      ['250ms', 250],
      ['0s', 0],
      ['30s', 30_000],
      ['5m', 300_000],
      ['1h', 3_600_000],
      ['1d', 86_400_000],
      ['1.5s', 1_500],
      ['0.5ms', 0],
      ['2.25m', 135_000],
      [' 30s ', 30_000],
      ['\t5m\n', 300_000],
    ];
    for (const [input, ms] of cases) {
      it(`turns ${JSON.stringify(input)} into ${ms} ms`, () => {
        expect(parseDuration(input, 'ttl')).to.equal(ms);
      });
    }
  });

  describe('given anything else', () => {
    // `shown`: how the message quotes the bad value, so the user can find it in their config.
    const cases: ReadonlyArray<readonly [title: string, input: unknown, shown: string]> = [
      ['a negative number', -1, '-1'],
      ['NaN', Number.NaN, 'NaN'],
      ['Infinity', Number.POSITIVE_INFINITY, 'Infinity'],
      ['-Infinity', Number.NEGATIVE_INFINITY, '-Infinity'],
      ['a string with a word for a unit', '10 minutes', '"10 minutes"'],
      ['a number in a string, without a unit', '5', '"5"'],
      ['an empty string', '', '""'],
      ['a blank string', '   ', '"   "'],
      ['a negative string', '-5s', '"-5s"'],
      ['a space between number and unit', '5 s', '"5 s"'],
      ['an unknown unit', '2w', '"2w"'],
      ['an upper-case unit', '5M', '"5M"'],
      ['an exponent', '1e3ms', '"1e3ms"'],
      ['a unit without a number', 'ms', '"ms"'],
      ['null', null, 'null'],
      ['undefined', undefined, 'undefined'],
      ['a boolean', true, 'boolean true'],
      ['an object', {}, 'an object'],
      ['an array', [], 'an array'],
      ['a BigInt', 5n, 'bigint 5'],
    ];
    for (const [title, input, shown] of cases) {
      it(`throws CacheConfigError naming the option for ${title}`, () => {
        let caught: unknown;
        try {
          parseDuration(input, 'defaults.grace');
        } catch (error) {
          caught = error;
        }
        expect(caught).to.be.instanceOf(CacheConfigError);
        const error = caught as CacheConfigError;
        expect(error.code).to.equal('ERR_CONFIG');
        expect(error.option).to.equal('defaults.grace');
        expect(error.message).to.match(/^defaults\.grace: /);
        expect(error.message).to.include(shown);
      });
    }
  });

  it('names whatever option it is given', () => {
    expect(() => parseDuration('soon', 'breaker.cooldown')).to.throw(CacheConfigError, /^breaker\.cooldown: /);
  });
});
