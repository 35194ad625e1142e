/**
 * Runs every example of `docs/` L1-only and against a private Redis, and checks that each page
 * shows its example file verbatim, so the documentation cannot drift from the code. The examples
 * assert what their page says.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main as cachingAndKeys } from '../../docs/examples/caching-and-keys.js';
import { main as failureBehaviour } from '../../docs/examples/failure-behaviour.js';
import { main as gettingStarted } from '../../docs/examples/getting-started.js';
import { main as observability } from '../../docs/examples/observability.js';
import { main as staleWhileRevalidate } from '../../docs/examples/stale-while-revalidate-and-grace.js';
import { useRedis } from '../helpers/redis-server.js';

const examples: Record<string, () => Promise<void>> = {
  'getting-started': gettingStarted,
  'caching-and-keys': cachingAndKeys,
  'stale-while-revalidate-and-grace': staleWhileRevalidate,
  'failure-behaviour': failureBehaviour,
  observability,
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

/** Runs `fn` with `REDIS_URL` set to `url` (or unset) and console.log silenced, restoring both. */
async function run(fn: () => Promise<void>, url: string | undefined): Promise<void> {
  const saved = process.env['REDIS_URL'];
  const log = console.log;
  if (url === undefined) delete process.env['REDIS_URL'];
  else process.env['REDIS_URL'] = url;
  console.log = () => {};
  try {
    await fn();
  } finally {
    console.log = log;
    if (saved === undefined) delete process.env['REDIS_URL'];
    else process.env['REDIS_URL'] = saved;
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
      it(`${name} runs and its assertions hold`, () => run(main, undefined));
    }
  });

  describe('with REDIS_URL', () => {
    const redis = useRedis();
    for (const [name, main] of Object.entries(examples)) {
      it(`${name} runs and its assertions hold`, () => run(main, redis().url));
    }
  });
});
