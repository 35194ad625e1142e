/**
 * Runs every example of `docs/` L1-only and against a private Redis (the cluster example against
 * a private three-master cluster too), and checks that each page shows its example file verbatim,
 * so the documentation cannot drift from the code. The examples assert what their page says.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main as cachingAndKeys } from '../../docs/examples/caching-and-keys.js';
import { main as failureBehaviour } from '../../docs/examples/failure-behaviour.js';
import { main as gettingStarted } from '../../docs/examples/getting-started.js';
import { main as httpCaching } from '../../docs/examples/http-caching.js';
import { main as observability } from '../../docs/examples/observability.js';
import { main as rateLimiting } from '../../docs/examples/rate-limiting.js';
import { main as redisCluster } from '../../docs/examples/redis-cluster.js';
import { main as replicasAndConsistency } from '../../docs/examples/replicas-and-consistency.js';
import { main as stampedeProtection } from '../../docs/examples/stampede-protection.js';
import { main as staleWhileRevalidate } from '../../docs/examples/stale-while-revalidate-and-grace.js';
import { main as tagsAndInvalidation } from '../../docs/examples/tags-and-invalidation.js';
import { main as testing } from '../../docs/examples/testing.js';
import { useCluster } from '../helpers/redis-cluster.js';
import { useRedis } from '../helpers/redis-server.js';

const examples: Record<string, () => Promise<void>> = {
  'getting-started': gettingStarted,
  'caching-and-keys': cachingAndKeys,
  'stale-while-revalidate-and-grace': staleWhileRevalidate,
  'failure-behaviour': failureBehaviour,
  observability,
  'rate-limiting': rateLimiting,
  'tags-and-invalidation': tagsAndInvalidation,
  'replicas-and-consistency': replicasAndConsistency,
  'stampede-protection': stampedeProtection,
  'redis-cluster': redisCluster,
  'http-caching': httpCaching,
  testing,
};

/** The examples that also run against a Redis Cluster (`REDIS_CLUSTER`). */
const clusterExamples: Record<string, () => Promise<void>> = {
  'redis-cluster': redisCluster,
};

/** The repository root: the first ancestor of this compiled file that holds the docs. */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'docs', 'getting-started.md'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('docs/getting-started.md not found above the compiled spec');
    dir = parent;
  }
  return dir;
}

/** What an example is given: `REDIS_URL`, `REDIS_CLUSTER` (seed nodes, `host:port,...`), or neither. */
interface Target {
  REDIS_URL?: string;
  REDIS_CLUSTER?: string;
}

/** Runs `fn` with the variables of `target` set (the others unset) and console.log silenced, restoring all. */
async function run(fn: () => Promise<void>, target: Target): Promise<void> {
  const names = ['REDIS_URL', 'REDIS_CLUSTER'] as const;
  const saved = names.map((name) => process.env[name]);
  const log = console.log;
  for (const name of names) {
    const value = target[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  console.log = () => {};
  try {
    await fn();
  } finally {
    console.log = log;
    names.forEach((name, i) => {
      const value = saved[i];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    });
  }
}

describe('docs/examples', () => {
  describe('each page', () => {
    const root = repositoryRoot();
    for (const name of Object.keys(examples)) {
      it(`${name}.md shows docs/examples/${name}.ts verbatim`, () => {
        const page = readFileSync(join(root, 'docs', `${name}.md`), 'utf8');
        const source = readFileSync(join(root, 'docs', 'examples', `${name}.ts`), 'utf8');
        expect(page.includes(`<!-- example: docs/examples/${name}.ts -->\n\`\`\`ts\n${source}\`\`\`\n`), 'paste the file again (the page is stale)').to.equal(true);
      });
    }
  });

  describe('without Redis', () => {
    for (const [name, main] of Object.entries(examples)) {
      it(`${name} runs and its assertions hold`, () => run(main, {}));
    }
  });

  describe('with REDIS_URL', () => {
    const redis = useRedis();
    for (const [name, main] of Object.entries(examples)) {
      it(`${name} runs and its assertions hold`, () => run(main, { REDIS_URL: redis().url }));
    }
  });

  describe('with REDIS_CLUSTER', () => {
    const cluster = useCluster();
    for (const [name, main] of Object.entries(clusterExamples)) {
      it(`${name} runs and its assertions hold`, () =>
        run(main, { REDIS_CLUSTER: cluster().nodes.map(({ host, port }) => `${host}:${port}`).join(',') }));
    }
  });
});
