import { createCache, type CacheEngine, type CacheOptions } from '../../lib/index.js';

/**
 * Engines for a suite, each started (`ready()`: L2 and bus up) and closed after each test.
 * `create(url, options)` gives an engine in this test's namespace unless one is given.
 */
export function useEngines(): {
  create(url: string, options?: Partial<CacheOptions>): Promise<CacheEngine>;
  namespace(): string;
} {
  const engines: CacheEngine[] = [];
  let counter = 0;
  let current = '';
  beforeEach(() => {
    current = `ns${process.pid}x${++counter}`;
  });
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((engine) => engine.close()));
  });
  return {
    async create(url, options = {}) {
      const engine = createCache({ namespace: current, l2: { redis: url }, earlyRefresh: false, ...options });
      engines.push(engine);
      await engine.ready();
      return engine;
    },
    namespace: () => current,
  };
}

/** Resolves with the next `event` the engine emits that passes `filter`. */
export function nextEvent<E extends Parameters<CacheEngine['once']>[0]>(
  engine: CacheEngine,
  event: E,
  filter: (...args: any[]) => boolean = () => true,
): Promise<unknown[]> {
  return new Promise((resolve) => {
    const listener = (...args: any[]): void => {
      if (!filter(...args)) return;
      engine.off(event, listener);
      resolve(args);
    };
    engine.on(event, listener);
  });
}
