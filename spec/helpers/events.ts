import type { EventEmitter } from 'node:events';

/** Options of {@link once}. */
export interface OnceOptions {
  /**
   * How long to wait before failing.
   * @defaultValue 5000
   */
  timeoutMs?: number;
  /** Only an emission whose arguments pass this test counts (a message on one channel, say). */
  filter?: (...args: any[]) => boolean;
}

/**
 * Resolves with the arguments of the next `event` emitted by `emitter` (that passes `filter`),
 * or rejects after `timeoutMs` with a message naming the event.
 *
 * Unlike `events.once` from Node, an `'error'` emission does not reject: ioredis emits one per
 * failed reconnect attempt, which is exactly when a test waits for `'ready'`.
 */
export function once(emitter: EventEmitter, event: string, options: OnceOptions = {}): Promise<unknown[]> {
  const { timeoutMs = 5000, filter } = options;
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      if (filter !== undefined && !filter(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      const which = filter === undefined ? '' : ' passing the filter';
      reject(new Error(`timed out after ${timeoutMs} ms waiting for a '${event}' event${which}`));
    }, timeoutMs);
    emitter.on(event, listener);
  });
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /**
   * How long to keep polling before failing.
   * @defaultValue 5000
   */
  timeoutMs?: number;
  /**
   * The pause between two polls; the next poll starts only after the previous one settled.
   * @defaultValue 10
   */
  intervalMs?: number;
  /** What is awaited, for the failure message. Defaults to the source of `probe`. */
  what?: string;
}

/**
 * Polls `probe` until it returns a truthy value, and resolves with that value.
 *
 * Only for conditions that have no event to wait on (a key that expired, a counter in another
 * process). A `probe` that throws counts as "not yet" (so `() => expect(x).to.equal(1)` works);
 * the last error becomes the `cause` of the timeout error, whose message says what was awaited.
 */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitForOptions = {}): Promise<T> {
  const { timeoutMs = 5000, intervalMs = 10, what = probe.toString() } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError === undefined ? '' : `; last error: ${describeError(lastError)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : JSON.stringify(error);
}
