import { trimOws } from './field-value.js';

/**
 * HTTP-date (RFC 9110 5.6.7), case-sensitive, in three formats:
 *
 * | format | example |
 * | --- | --- |
 * | IMF-fixdate (the one to send) | `Sun, 06 Nov 1994 08:49:37 GMT` |
 * | obsolete RFC 850 | `Sunday, 06-Nov-94 08:49:37 GMT` |
 * | ANSI C asctime(), read as UTC | `Sun Nov  6 08:49:37 1994` |
 *
 * Parsed values are milliseconds since the epoch (whole seconds), so they compare with `<=`.
 */

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const DAY = DAYS.join('|');
const MONTH = MONTHS.join('|');
const TIME = '(\\d\\d):(\\d\\d):(\\d\\d)';
/** `day-name "," SP day SP month SP year SP time-of-day SP "GMT"` */
const IMF_FIXDATE = new RegExp(`^(${DAY}), (\\d\\d) (${MONTH}) (\\d{4}) ${TIME} GMT$`);
/** `day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP "GMT"` */
const RFC_850 = new RegExp(`^(${LONG_DAYS.join('|')}), (\\d\\d)-(${MONTH})-(\\d\\d) ${TIME} GMT$`);
/** `day-name SP month SP ( 2DIGIT / ( SP 1DIGIT ) ) SP time-of-day SP year` */
const ASCTIME = new RegExp(`^(${DAY}) (${MONTH}) (\\d\\d| \\d) ${TIME} (\\d{4})$`);

const MS_PER_SECOND = 1000;

interface Fields {
  readonly dayName: number;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/** Options of `parseHttpDate`. */
export interface ParseHttpDateOptions {
  /**
   * The current time in milliseconds: an RFC 850 two-digit year more than 50 years after it
   * belongs to the previous century (RFC 9110 5.6.7).
   * @default Date.now()
   */
  readonly now?: number | undefined;
}

/**
 * The time an HTTP-date field value stands for, in milliseconds since the epoch; `undefined` when
 * it is not a valid HTTP-date (RFC 9110 5.6.7).
 *
 * - OWS around the value is allowed (it is not part of a field value, RFC 9110 5.5); anything
 *   else must match the grammar exactly: single spaces, names case-sensitive, two-digit fields.
 * - The date must exist (no 31 Apr, 29 Feb only in leap years) and the day name must be the one
 *   the date falls on (RFC 5322 3.3, to which RFC 9110 5.6.7 refers for the semantics).
 * - `23:59:60` is allowed, as the grammar's comment says (`00:00:00 - 23:59:60 (leap second)`),
 *   and read as 23:59:59, the last second a POSIX clock can name: a resource modified at 23:59:59
 *   is then not modified since 23:59:60, and one modified at midnight is. Second 60 at any other
 *   time of day, second 61, hour 24 and minute 60 are invalid.
 * - RFC 850's two-digit year is read in the 100 years ending 50 years after `now`: "a timestamp
 *   that appears to be more than 50 years in the future" is the latest past year with those digits.
 * - asctime has no zone: it is read as UTC, never as the process's local time.
 */
export function parseHttpDate(value: string, options: ParseHttpDateOptions = {}): number | undefined {
  const text = trimOws(value);
  const fields = matchImfFixdate(text) ?? matchRfc850(text, options.now ?? Date.now()) ?? matchAsctime(text);
  return fields === undefined ? undefined : toTime(fields);
}

function matchImfFixdate(text: string): Fields | undefined {
  const m = IMF_FIXDATE.exec(text);
  if (m === null) return undefined;
  return fields(DAYS.indexOf(m[1] as (typeof DAYS)[number]), Number(m[4]), m[3], m[2], m[5], m[6], m[7]);
}

function matchRfc850(text: string, now: number): Fields | undefined {
  const m = RFC_850.exec(text);
  if (m === null) return undefined;
  const parsed = fields(LONG_DAYS.indexOf(m[1] as (typeof LONG_DAYS)[number]), Number(m[4]), m[3], m[2], m[5], m[6], m[7]);
  return { ...parsed, year: fourDigitYear(parsed, now) };
}

function matchAsctime(text: string): Fields | undefined {
  const m = ASCTIME.exec(text);
  if (m === null) return undefined;
  return fields(DAYS.indexOf(m[1] as (typeof DAYS)[number]), Number(m[7]), m[2], (m[3] ?? '').trim(), m[4], m[5], m[6]);
}

function fields(dayName: number, year: number, month: string | undefined, day: string | undefined, hour: string | undefined, minute: string | undefined, second: string | undefined): Fields {
  return {
    dayName,
    year,
    month: MONTHS.indexOf(month as (typeof MONTHS)[number]),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
  };
}

/**
 * The year of a two-digit RFC 850 date: the latest year ending in those digits whose timestamp is
 * not more than 50 years after `now` (RFC 9110 5.6.7).
 */
function fourDigitYear(parsed: Fields, now: number): number {
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() + 50);
  const latest = limit.getTime();
  let year = Math.floor(limit.getUTCFullYear() / 100) * 100 + parsed.year;
  // Compare whole timestamps, not years: the 50-year limit falls on a day of the year.
  while (utc({ ...parsed, year }) > latest) year -= 100;
  return year;
}

function utc(f: Fields): number {
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0 to 99 to 1900 to 1999.
  date.setUTCFullYear(f.year, f.month, f.day);
  date.setUTCHours(f.hour, f.minute, Math.min(f.second, 59), 0);
  return date.getTime();
}

function toTime(f: Fields): number | undefined {
  if (f.hour > 23 || f.minute > 59) return undefined;
  if (f.second > 59 && !(f.second === 60 && f.hour === 23 && f.minute === 59)) return undefined;
  if (f.day < 1 || f.day > daysInMonth(f.year, f.month)) return undefined;
  const time = utc(f);
  return new Date(time).getUTCDay() === f.dayName ? time : undefined;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(2000, month + 1, 0)).getUTCDate() - (month === 1 && !isLeapYear(year) ? 1 : 0);
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * `time` as an IMF-fixdate (RFC 9110 5.6.7), the only format a sender may generate; milliseconds
 * are dropped (HTTP dates have one-second resolution).
 *
 * @throws RangeError for an invalid date or a year outside 0 to 9999 (IMF-fixdate has four digits).
 */
export function formatHttpDate(time: Date | number): string {
  const date = new Date(typeof time === 'number' ? time : time.getTime());
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw new RangeError(`an HTTP-date needs a valid date with a year from 0 to 9999 (RFC 9110 5.6.7), got ${String(time)}`);
  }
  return `${DAYS[date.getUTCDay()]}, ${pad(date.getUTCDate(), 2)} ${MONTHS[date.getUTCMonth()]} ${pad(year, 4)} ${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)} GMT`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `time` rounded down to its second, the resolution at which HTTP dates compare (RFC 9110 8.8.2). */
export function toHttpSecond(time: Date | number): number {
  const ms = typeof time === 'number' ? time : time.getTime();
  return Math.floor(ms / MS_PER_SECOND) * MS_PER_SECOND;
}
