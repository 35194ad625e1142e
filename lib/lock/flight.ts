import type { Entry } from '../engine/entry.js';

/**
 * One load of one key in this process (single-flight): the first caller leads it, the others
 * join it. It lives until the method has finished and its result is stored, so a caller that
 * arrives after an impatient one timed out still joins the running method instead of starting
 * a second one.
 */
export class Flight {
  /** What the leader was answered (L2 value, stale value or the method's result). */
  answer: Promise<unknown> | undefined = undefined;
  /** The method's run and the store that follows it, once started. */
  produced: Promise<unknown> | undefined = undefined;
  /** The stale entry at hand, if any: joiners may be answered with it. */
  stale: Entry | undefined = undefined;
  /** A delete, set or clear of the key happened while the flight ran: what it produces is not stored. */
  invalidated = false;
  /** Nobody awaits the method's outcome (stale was served, or an early refresh): report its errors as events. */
  background = false;
  /** The tags of the entry being loaded: an invalidation of one of them means the result is not stored. */
  tags: readonly string[] = [];
  /** L2 did not answer in this flight: later writes are sent without being awaited. */
  l2Failed = false;
}
