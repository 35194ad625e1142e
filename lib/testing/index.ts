/**
 * `tiercache/testing`: tools for testing code that uses tiercache, without sleeping or mocking.
 *
 * @module tiercache/testing
 */
export { FakeClock } from './fake-clock.js';
export type { Clock } from './fake-clock.js';
