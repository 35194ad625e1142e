/**
 * Root hooks for every spec.
 *
 * - An unhandled rejection fails the test during which it surfaced. Mocha catches it but only
 *   re-emits it on `process`, so without this listener it would be dropped without a word.
 * - Uncaught exceptions are left to mocha: its own listener already fails the running test (or
 *   hook) with the error; a second listener here would only report it twice.
 * - A Redis server that a suite started and did not stop fails the run (and is stopped), rather
 *   than keeping the process alive: mocha runs without `--exit`, so a leak shows as a hang.
 */
import { stopLeftoverServers } from './redis-server.js';

const problems: unknown[] = [];

process.on('unhandledRejection', (reason) => {
  problems.push(reason);
});

function reportProblems(where: string): void {
  if (problems.length === 0) return;
  const first = problems.splice(0, problems.length)[0];
  throw new Error(`unhandled rejection during ${where}: ${String(first)}`, { cause: first });
}

export const mochaHooks = {
  afterEach(this: Mocha.Context): void {
    reportProblems(`"${this.currentTest?.fullTitle() ?? 'a test'}"`);
  },
  async afterAll(): Promise<void> {
    // Rejections from `before`/`after` hooks surface after the last afterEach.
    reportProblems('a hook or after the last test');
    const leftovers = await stopLeftoverServers();
    if (leftovers.length > 0) {
      throw new Error(`servers, clusters or replicas started and never stopped (use useRedis(), useCluster() or useReplicas(), or stop/close them in an after hook):\n  ${leftovers.join('\n  ')}`);
    }
  },
};
