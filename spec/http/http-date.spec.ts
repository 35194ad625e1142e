import { expect } from 'chai';
import { formatHttpDate, parseHttpDate, toHttpSecond } from '../../lib/http/http-date.js';

/** 1994-11-06T08:49:37Z, the example of RFC 9110 5.6.7. */
const EXAMPLE = Date.UTC(1994, 10, 6, 8, 49, 37);
const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);

/** A UTC time in any year: Date.UTC reads years 0 to 99 as 1900 to 1999. */
function utcYear(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  return date.getTime();
}

describe('HTTP-date', () => {
  describe('parseHttpDate: the three formats (RFC 9110 5.6.7)', () => {
    const CASES: readonly [string, string, number][] = [
      ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT', EXAMPLE],
      ['obsolete RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT', EXAMPLE],
      ['asctime, day padded with a space', 'Sun Nov  6 08:49:37 1994', EXAMPLE],
      ['asctime, day with two digits', 'Sun Nov 06 08:49:37 1994', EXAMPLE],
      ['asctime, a two-digit day', 'Wed Nov 16 08:49:37 1994', Date.UTC(1994, 10, 16, 8, 49, 37)],
      ['IMF-fixdate with OWS around it (RFC 9110 5.5)', ' \tSun, 06 Nov 1994 08:49:37 GMT\t ', EXAMPLE],
      ['asctime with OWS around it', '\tSun Nov  6 08:49:37 1994 ', EXAMPLE],
      ['the epoch', 'Thu, 01 Jan 1970 00:00:00 GMT', 0],
      ['before the epoch', 'Wed, 31 Dec 1969 23:59:59 GMT', -1000],
      ['29 February of a leap year', 'Thu, 29 Feb 2024 00:00:00 GMT', Date.UTC(2024, 1, 29)],
      ['29 February 2000 (divisible by 400)', 'Tue, 29 Feb 2000 12:00:00 GMT', Date.UTC(2000, 1, 29, 12)],
      ['31 December', 'Fri, 31 Dec 1999 23:59:59 GMT', Date.UTC(1999, 11, 31, 23, 59, 59)],
      ['year 0000 is not read as 1900 (4DIGIT)', 'Sat, 01 Jan 0000 00:00:00 GMT', utcYear(0, 0, 1)],
      ['year 9999', 'Fri, 31 Dec 9999 23:59:59 GMT', Date.UTC(9999, 11, 31, 23, 59, 59)],
      ['a leap second at 23:59:60 (grammar comment), read as 23:59:59', 'Sat, 31 Dec 2016 23:59:60 GMT', Date.UTC(2016, 11, 31, 23, 59, 59)],
      ['a leap second in RFC 850', 'Saturday, 31-Dec-16 23:59:60 GMT', Date.UTC(2016, 11, 31, 23, 59, 59)],
      ['a leap second in asctime', 'Thu Jun 30 23:59:60 2016', Date.UTC(2016, 5, 30, 23, 59, 59)],
    ];
    for (const [what, input, expected] of CASES) {
      it(`${what}: ${JSON.stringify(input)}`, () => {
        expect(parseHttpDate(input, { now: NOW })).to.equal(expected);
      });
    }
  });

  describe('parseHttpDate: invalid dates are undefined (RFC 9110 5.6.7: case-sensitive, exact grammar)', () => {
    const CASES: readonly [string, string][] = [
      ['an empty value', ''],
      ['only OWS', ' \t '],
      ['lower-case names', 'sun, 06 nov 1994 08:49:37 gmt'],
      ['upper-case names', 'SUN, 06 NOV 1994 08:49:37 GMT'],
      ['a lower-case GMT', 'Sun, 06 Nov 1994 08:49:37 gmt'],
      ['UTC instead of GMT', 'Sun, 06 Nov 1994 08:49:37 UTC'],
      ['a numeric zone', 'Sun, 06 Nov 1994 08:49:37 +0000'],
      ['no zone', 'Sun, 06 Nov 1994 08:49:37'],
      ['a one-digit day', 'Sun, 6 Nov 1994 08:49:37 GMT'],
      ['a two-digit year in IMF-fixdate', 'Sun, 06 Nov 94 08:49:37 GMT'],
      ['a one-digit hour', 'Sun, 06 Nov 1994 8:49:37 GMT'],
      ['fractional seconds', 'Sun, 06 Nov 1994 08:49:37.5 GMT'],
      ['two spaces between fields', 'Sun,  06 Nov 1994 08:49:37 GMT'],
      ['a tab between fields', 'Sun,\t06 Nov 1994 08:49:37 GMT'],
      ['no space after the comma', 'Sun,06 Nov 1994 08:49:37 GMT'],
      ['no comma', 'Sun 06 Nov 1994 08:49:37 GMT'],
      ['a long day name in IMF-fixdate', 'Sunday, 06 Nov 1994 08:49:37 GMT'],
      ['a short day name in RFC 850', 'Sun, 06-Nov-94 08:49:37 GMT'],
      ['a four-digit year in RFC 850', 'Sunday, 06-Nov-1994 08:49:37 GMT'],
      ['a long month name', 'Sun, 06 November 1994 08:49:37 GMT'],
      ['a numeric month', 'Sun, 06 11 1994 08:49:37 GMT'],
      ['asctime with GMT', 'Sun Nov  6 08:49:37 1994 GMT'],
      ['asctime with a one-digit day and one space', 'Sun Nov 6 08:49:37 1994'],
      ['asctime with a two-digit year', 'Sun Nov  6 08:49:37 94'],
      ['ISO 8601', '1994-11-06T08:49:37Z'],
      ['milliseconds since the epoch', '784111777000'],
      ['a list of two dates', 'Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT'],
      ['the wrong day name (RFC 5322 3.3)', 'Mon, 06 Nov 1994 08:49:37 GMT'],
      ['the wrong long day name', 'Monday, 06-Nov-94 08:49:37 GMT'],
      ['the wrong asctime day name', 'Mon Nov  6 08:49:37 1994'],
      ['day 00', 'Sun, 00 Nov 1994 08:49:37 GMT'],
      ['31 April', 'Sun, 31 Apr 1994 08:49:37 GMT'],
      ['29 February of a common year', 'Thu, 29 Feb 2023 00:00:00 GMT'],
      ['29 February 1900 (divisible by 100, not 400)', 'Thu, 29 Feb 1900 00:00:00 GMT'],
      ['day 32', 'Sun, 32 Dec 1994 08:49:37 GMT'],
      ['hour 24', 'Sun, 06 Nov 1994 24:00:00 GMT'],
      ['minute 60', 'Sun, 06 Nov 1994 08:60:00 GMT'],
      ['second 60 other than at 23:59', 'Sun, 06 Nov 1994 08:49:60 GMT'],
      ['second 60 at 23:58', 'Sat, 31 Dec 2016 23:58:60 GMT'],
      ['second 61', 'Sat, 31 Dec 2016 23:59:61 GMT'],
      ['non-ASCII digits', 'Sun, ٠٦ Nov 1994 08:49:37 GMT'],
      ['obs-fold inside (RFC 9112 5.2)', 'Sun, 06 Nov 1994\r\n 08:49:37 GMT'],
      ['trailing text', 'Sun, 06 Nov 1994 08:49:37 GMT x'],
    ];
    for (const [what, input] of CASES) {
      it(`${what}: ${JSON.stringify(input)}`, () => {
        expect(parseHttpDate(input, { now: NOW })).to.equal(undefined);
      });
    }
  });

  describe('parseHttpDate: RFC 850 two-digit years, more than 50 years ahead is the past century (RFC 9110 5.6.7)', () => {
    // [what, now, value, year]
    const CASES: readonly [string, number, string, number][] = [
      ['94 in 2026 is 1994', NOW, 'Sunday, 06-Nov-94 08:49:37 GMT', 1994],
      ['26 in 2026 is 2026', NOW, 'Sunday, 01-Mar-26 00:00:00 GMT', 2026],
      ['00 in 2026 is 2000', NOW, 'Saturday, 01-Jan-00 00:00:00 GMT', 2000],
      ['70 in 2026 (44 years ahead) is 2070', NOW, 'Wednesday, 01-Jan-70 00:00:00 GMT', 2070],
      ['76 on 1 Mar 2026 at noon, 50 years ahead to the second, is 2076', NOW, 'Sunday, 01-Mar-76 12:00:00 GMT', 2076],
      ['76 one second later is more than 50 years ahead: 1976', NOW, 'Monday, 01-Mar-76 12:00:01 GMT', 1976],
      ['77 in 2026 is 1977', NOW, 'Saturday, 01-Jan-77 00:00:00 GMT', 1977],
      ['99 in 2026 is 1999', NOW, 'Friday, 31-Dec-99 23:59:59 GMT', 1999],
      ['30 in 2090 (40 years ahead) is 2130', Date.UTC(2090, 0, 1), 'Sunday, 01-Jan-30 00:00:00 GMT', 2130],
      ['50 in 2090 is 2050', Date.UTC(2090, 0, 1), 'Saturday, 01-Jan-50 00:00:00 GMT', 2050],
      ['19 in 1970 is 2019', 0, 'Tuesday, 01-Jan-19 00:00:00 GMT', 2019],
      ['21 in 1970 (51 years ahead) is 1921', 0, 'Saturday, 01-Jan-21 00:00:00 GMT', 1921],
    ];
    for (const [what, now, input, year] of CASES) {
      it(`${what}: ${JSON.stringify(input)}`, () => {
        const time = parseHttpDate(input, { now });
        expect(time).to.be.a('number');
        expect(new Date(time as number).getUTCFullYear()).to.equal(year);
      });
    }

    it('reads the day name against the chosen century (a 2076 day name fails in 1976 reading)', () => {
      // 1 Mar 2076 is a Sunday, 1 Mar 1976 a Monday.
      expect(parseHttpDate('Sunday, 01-Mar-76 12:00:01 GMT', { now: NOW })).to.equal(undefined);
    });
  });

  describe('parseHttpDate: asctime has no zone and is read as UTC (RFC 9110 5.6.7), whatever TZ says', () => {
    const ZONES = ['America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'UTC'];
    for (const zone of ZONES) {
      it(`under TZ=${zone}`, () => {
        const before = process.env.TZ;
        process.env.TZ = zone;
        try {
          expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).to.equal(EXAMPLE);
          expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', { now: NOW })).to.equal(EXAMPLE);
          expect(formatHttpDate(EXAMPLE)).to.equal('Sun, 06 Nov 1994 08:49:37 GMT');
        } finally {
          if (before === undefined) delete process.env.TZ;
          else process.env.TZ = before;
        }
      });
    }
  });

  describe('formatHttpDate: IMF-fixdate, the format a sender generates (RFC 9110 5.6.7)', () => {
    const CASES: readonly [string, Date | number, string][] = [
      ['the RFC example', EXAMPLE, 'Sun, 06 Nov 1994 08:49:37 GMT'],
      ['a Date', new Date(EXAMPLE), 'Sun, 06 Nov 1994 08:49:37 GMT'],
      ['milliseconds dropped, not rounded', EXAMPLE + 999, 'Sun, 06 Nov 1994 08:49:37 GMT'],
      ['the epoch', 0, 'Thu, 01 Jan 1970 00:00:00 GMT'],
      ['before the epoch', -1, 'Wed, 31 Dec 1969 23:59:59 GMT'],
      ['a one-digit day padded', Date.UTC(2024, 1, 1, 1, 2, 3), 'Thu, 01 Feb 2024 01:02:03 GMT'],
      ['29 February', Date.UTC(2024, 1, 29), 'Thu, 29 Feb 2024 00:00:00 GMT'],
      ['year 0000', utcYear(0, 0, 1), 'Sat, 01 Jan 0000 00:00:00 GMT'],
      ['year 999 padded to four digits', utcYear(999, 11, 31), 'Tue, 31 Dec 0999 00:00:00 GMT'],
      ['year 99 padded, not read as 1999', utcYear(99, 0, 1), 'Thu, 01 Jan 0099 00:00:00 GMT'],
      ['year 9999', Date.UTC(9999, 11, 31, 23, 59, 59), 'Fri, 31 Dec 9999 23:59:59 GMT'],
    ];
    for (const [what, input, expected] of CASES) {
      it(`${what} -> ${expected}, which parses back to its second`, () => {
        expect(formatHttpDate(input)).to.equal(expected);
        expect(parseHttpDate(expected)).to.equal(toHttpSecond(input));
      });
    }

    const INVALID: readonly [string, Date | number][] = [
      ['an invalid Date', new Date(Number.NaN)],
      ['NaN', Number.NaN],
      ['a year after 9999', Date.UTC(10000, 0, 1)],
      ['a negative year', Date.UTC(-1, 0, 1)],
    ];
    for (const [what, input] of INVALID) {
      it(`refuses ${what}`, () => {
        expect(() => formatHttpDate(input)).to.throw(RangeError, /HTTP-date/);
      });
    }
  });

  describe('toHttpSecond: one-second resolution (RFC 9110 8.8.2)', () => {
    const CASES: readonly [Date | number, number][] = [
      [EXAMPLE + 999, EXAMPLE],
      [EXAMPLE, EXAMPLE],
      [new Date(EXAMPLE + 1), EXAMPLE],
      [-1, -1000],
      [0, 0],
    ];
    for (const [input, expected] of CASES) {
      it(`${String(input)} -> ${expected}`, () => {
        expect(toHttpSecond(input)).to.equal(expected);
      });
    }
  });
});
