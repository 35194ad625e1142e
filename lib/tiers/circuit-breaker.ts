import type { Clock } from '../engine/clock.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Turns a dead Redis into one fast failure instead of a `redisTimeout` per call. After
 * `threshold` consecutive failures it opens: calls skip Redis with no round trip. After
 * `cooldown` one call probes (half-open); its success closes the breaker, its failure opens it
 * again for twice as long, up to `maxCooldown`.
 */
export class CircuitBreaker {
  #state: BreakerState = 'closed';
  #failures = 0;
  #reopenAt = 0;
  #cooldown: number;
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #baseCooldown: number;
  readonly #maxCooldown: number;
  readonly #onChange: (state: BreakerState) => void;

  constructor(
    options: { threshold: number; cooldown: number; maxCooldown: number },
    clock: Clock,
    onChange: (state: BreakerState) => void = () => {},
  ) {
    this.#clock = clock;
    this.#threshold = options.threshold;
    this.#baseCooldown = options.cooldown;
    this.#cooldown = options.cooldown;
    this.#maxCooldown = options.maxCooldown;
    this.#onChange = onChange;
  }

  get state(): BreakerState {
    return this.#state;
  }

  /** Would a call be let through now (closed, or open with its cooldown over)? Changes nothing. */
  get passable(): boolean {
    return this.#state === 'closed' || (this.#state === 'open' && this.#clock.now() >= this.#reopenAt);
  }

  /** May this call use Redis? In the open state only the first call after the cooldown may, as the probe. */
  allow(): boolean {
    if (this.#state === 'closed') return true;
    if (this.#state === 'open' && this.#clock.now() >= this.#reopenAt) {
      this.#set('half-open');
      return true;
    }
    return false;
  }

  success(): void {
    this.#failures = 0;
    if (this.#state !== 'closed') {
      this.#cooldown = this.#baseCooldown;
      this.#set('closed');
    }
  }

  failure(): void {
    if (this.#state === 'half-open') {
      this.#cooldown = Math.min(this.#cooldown * 2, this.#maxCooldown);
      this.#open();
    } else if (this.#state === 'closed' && ++this.#failures >= this.#threshold) {
      this.#open();
    }
  }

  /** Opens at once (a connection error is not worth waiting `threshold` calls for). */
  trip(): void {
    if (this.#state !== 'open') this.#open();
  }

  #open(): void {
    this.#reopenAt = this.#clock.now() + this.#cooldown;
    this.#set('open');
  }

  #set(state: BreakerState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.#onChange(state);
  }
}
