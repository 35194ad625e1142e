/**
 * Root hooks for every spec: an unhandled rejection or an uncaught exception anywhere in the
 * run fails it, instead of being printed and forgotten.
 */
const problems: unknown[] = [];

process.on('unhandledRejection', (reason) => {
  problems.push(reason);
});

export const mochaHooks = {
  afterEach(this: Mocha.Context): void {
    if (problems.length > 0) {
      const first = problems.splice(0, problems.length)[0];
      throw new Error(`unhandled rejection during "${this.currentTest?.fullTitle() ?? 'a test'}": ${String(first)}`, {
        cause: first,
      });
    }
  },
};
