/**
 * What the rig started and a suite has not stopped yet: servers, clusters, replicas. The root
 * hooks stop what is left after the last test and fail the run, since mocha runs without
 * `--exit` and a forgotten process would otherwise show up as a hang with no explanation.
 */
interface Leftover {
  /** What it is, for the failure message: `redis://127.0.0.1:1234`, `replica pid 42`. */
  readonly what: string;
  /** The line of the stack that started it. */
  readonly origin: string;
  readonly stop: () => Promise<void>;
}

const leftovers = new Set<Leftover>();

/**
 * The caller of the function that calls `callerOrigin`, as a stack line: whoever asked the
 * helper for a server. `depth` counts extra helper frames to skip.
 */
export function callerOrigin(depth = 0): string {
  // Line 0 is "Error", line 1 this function, line 2 the helper: line 3 is whoever called it.
  return new Error().stack?.split('\n')[3 + depth]?.trim() ?? 'an unknown caller';
}

/**
 * Records something started at `origin` that must be stopped; returns the function that
 * forgets it, to be called once it is stopped.
 */
export function trackLeftover(what: string, origin: string, stop: () => Promise<void>): () => void {
  const leftover: Leftover = { what, origin, stop };
  leftovers.add(leftover);
  return () => leftovers.delete(leftover);
}

/** Stops everything still tracked and describes each (what it is and where it was started). */
export async function stopLeftovers(): Promise<string[]> {
  const left = [...leftovers];
  leftovers.clear();
  await Promise.allSettled(left.map(({ stop }) => stop()));
  return left.map(({ what, origin }) => `${what} (started ${origin})`);
}
