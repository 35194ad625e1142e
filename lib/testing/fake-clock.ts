import type { Clock } from '../engine/clock.js';
import { parseDuration, type Duration } from '../engine/duration.js';

// One interface for the engine and for tests: re-exported rather than declared twice.
export type { Clock };

/**
 * A clock that moves only when told to, so TTL, grace and timeout tests never sleep.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * const cache = createCache({ clock });
 * clock.advance(30_000); // the entry is now 30 s older
 * ```
 */
export class FakeClock implements Clock {
  #now: number;

  /**
   * @param startMs - The time to start at, in epoch milliseconds.
   * @defaultValue `1_700_000_000_000` (2023-11-14): a fixed, realistic date, so a test that leaks
   *   the fake time into a real timestamp is easy to spot and results do not depend on the day.
   */
  constructor(startMs = 1_700_000_000_000) {
    this.#now = checkFinite(startMs, 'startMs');
  }

  /** The current fake time in epoch milliseconds. */
  now(): number {
    return this.#now;
  }

  /**
   * Moves the clock forward by `by`: milliseconds, or a duration string such as `'30s'`. Negative values are refused: time going
   * backwards is a different scenario, spelled out with {@link FakeClock.set}.
   */
  advance(by: Duration): void {
    const ms = typeof by === 'string' ? parseDuration(by, 'FakeClock.advance') : by;
    if (checkFinite(ms, 'ms') < 0) throw new RangeError(`FakeClock.advance: ms must be >= 0, got ${ms}`);
    this.#now += ms;
  }

  /** Jumps to `ms` epoch milliseconds, backwards too (to test a clock that was corrected). */
  set(ms: number): void {
    this.#now = checkFinite(ms, 'ms');
  }
}

function checkFinite(value: number, name: string): number {
  // A NaN would silently poison every comparison made against the clock afterwards.
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new RangeError(`FakeClock: ${name} must be a finite number of milliseconds, got ${String(value)}`);
  }
  return value;
}
