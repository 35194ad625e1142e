import type { BenchCase } from '../harness.js';

/** What a scenario file sets up: its cases, a check that they measured what they claim, and its teardown. */
export interface Scenario {
  readonly cases: readonly BenchCase[];
  /** Throws if a case did not measure what it says (a hit case that missed, say). */
  readonly check: () => void | Promise<void>;
  /** Closes every engine and client the scenario opened. */
  readonly close: () => Promise<void>;
}

/** About how long one sample of an L1 case and of an L2 case runs. */
export interface SampleTimes {
  readonly l1: number;
  readonly l2: number;
}
