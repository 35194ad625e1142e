/**
 * The NestJS page's example needs legacy decorators, so it lives with the legacy fixtures
 * (compiled into build/legacy/) rather than in docs/examples/. Like the other examples, it runs
 * L1-only and against a private Redis, and docs/nestjs.md must show it verbatim.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { useRedis } from '../helpers/redis-server.js';

const SOURCE = 'spec/fixtures/legacy/docs/nestjs-example.ts';
/** The compiled example, from build/spec/docs/. */
const COMPILED = '../../legacy/spec/fixtures/legacy/docs/nestjs-example.js';

/** The repository root: the first ancestor of this compiled file that holds the docs. */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'docs', 'nestjs.md'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('docs/nestjs.md not found above the compiled spec');
    dir = parent;
  }
  return dir;
}

/** Runs the example with `REDIS_URL` set to `redisUrl` (or unset) and console.log silenced, restoring both. */
async function run(redisUrl: string | undefined): Promise<void> {
  const { main } = (await import(COMPILED)) as { main: () => Promise<void> };
  const saved = process.env['REDIS_URL'];
  const log = console.log;
  if (redisUrl === undefined) delete process.env['REDIS_URL'];
  else process.env['REDIS_URL'] = redisUrl;
  console.log = () => {};
  try {
    await main();
  } finally {
    console.log = log;
    if (saved === undefined) delete process.env['REDIS_URL'];
    else process.env['REDIS_URL'] = saved;
  }
}

/** The example calls `app.enableShutdownHooks()`: `app.close()` must take its signal listeners away. */
function signalListeners(): number {
  return process.listenerCount('SIGTERM') + process.listenerCount('SIGINT');
}

describe('docs/nestjs.md', () => {
  it(`shows ${SOURCE} verbatim`, () => {
    const root = repositoryRoot();
    const page = readFileSync(join(root, 'docs', 'nestjs.md'), 'utf8');
    const source = readFileSync(join(root, SOURCE), 'utf8');
    expect(page.includes(`<!-- example: ${SOURCE} -->\n\`\`\`ts\n${source}\`\`\`\n`), 'paste the file again (the page is stale)').to.equal(true);
  });

  it('runs without Redis and its assertions hold', async () => {
    const before = signalListeners();
    await run(undefined);
    expect(signalListeners()).to.equal(before);
  });

  describe('with REDIS_URL', () => {
    const redis = useRedis();
    it('runs and its assertions hold', async () => {
      const before = signalListeners();
      await run(redis().url);
      expect(signalListeners()).to.equal(before);
    });
  });
});
