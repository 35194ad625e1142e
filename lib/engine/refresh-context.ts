import { AsyncLocalStorage } from 'node:async_hooks';

/** What a refreshing method knows of the value it replaces. */
export interface PreviousValue<T = unknown> {
  readonly value: T;
  readonly etag?: string;
  readonly lastModified?: Date;
}

/** Returned by {@link refreshContext} inside a cached method (or a `getOrSet` factory). */
export interface RefreshContext<T = unknown> {
  /** The entry being refreshed (stale, or about to expire), if there is one. */
  readonly previous: PreviousValue<T> | undefined;
  /** Stores validators with the new value, for the next refresh to ask its upstream conditionally. */
  setValidators(validators: { etag?: string; lastModified?: Date | number }): void;
  /** Keep the previous value (the upstream said 304): what the method returns is ignored and the previous value is stored afresh. */
  keepPrevious(): void;
}

export class RefreshState implements RefreshContext {
  readonly previous: PreviousValue | undefined;
  etag: string | undefined;
  lastModified: number | undefined;
  kept = false;

  constructor(previous: PreviousValue | undefined) {
    this.previous = previous;
    this.etag = undefined;
    this.lastModified = undefined;
  }

  setValidators(validators: { etag?: string; lastModified?: Date | number }): void {
    if (validators.etag !== undefined) this.etag = validators.etag;
    if (validators.lastModified !== undefined) this.lastModified = +validators.lastModified;
  }

  keepPrevious(): void {
    this.kept = this.previous !== undefined;
  }
}

export const refreshStorage = new AsyncLocalStorage<RefreshState>();

/**
 * Inside a cached method (or a `getOrSet` factory): the value being refreshed and the means to
 * store validators or keep it. Outside one: `undefined`, so a method can also be called uncached.
 */
export function refreshContext<T = unknown>(): RefreshContext<T> | undefined {
  return refreshStorage.getStore() as RefreshContext<T> | undefined;
}
