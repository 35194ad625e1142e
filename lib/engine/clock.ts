/** The time source the engine reads: epoch milliseconds. Inject a fake one in tests. */
export interface Clock {
  now(): number;
}

/** `Date.now()`, precise. */
export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock read on the L1 hit path. Reading a field is cheaper than `Date.now()`, and a cache
 * needs no better than a few milliseconds of precision to judge freshness, so a timer refreshes
 * the field. The timer is unref'd (it never holds the process open) and shared by every engine.
 */
export class CoarseClock implements Clock {
  #now = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #users = 0;
  readonly #resolutionMs: number;

  constructor(resolutionMs: number) {
    this.#resolutionMs = resolutionMs;
  }

  now(): number {
    return this.#now;
  }

  /** Starts the timer for one more user; `release()` undoes it. */
  acquire(): void {
    if (this.#users++ === 0) {
      this.#now = Date.now();
      this.#timer = setInterval(() => {
        this.#now = Date.now();
      }, this.#resolutionMs);
      this.#timer.unref();
    }
  }

  release(): void {
    if (this.#users > 0 && --this.#users === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}

/** The coarse clock every engine with the system clock shares: 2 ms of resolution. */
export const coarseClock = new CoarseClock(2);
