/**
 * The benchmark entry (`npm run bench`): starts a private redis-server, sets up every scenario,
 * measures all cases interleaved over several rounds in this one process, prints the table and
 * writes `docs/benchmarks.md`.
 *
 * Options: `--rounds N` (default 7), `--no-report` (print only, leave the docs alone).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from '../spec/helpers/redis-server.js';
import { formatTable, runRounds } from './harness.js';
import { describeMachine, machineLine, markdownReport, writeReport } from './report.js';
import { bentoScenario } from './scenarios/bentocache.js';
import { l1Scenario } from './scenarios/l1.js';
import { l2Scenario } from './scenarios/l2.js';
import type { Scenario } from './scenarios/scenario.js';

const L1_SAMPLE_MS = 500;
const L2_SAMPLE_MS = 1000;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, 'no-report': { type: 'boolean', default: false } } });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: expected a positive integer, got ${values.rounds}`);
  if (globalThis.gc === undefined) console.warn('warning: run with --expose-gc, or garbage of one case is collected during the next');

  const started = performance.now();
  const server = await startRedis();
  const scenarios: Scenario[] = [];
  try {
    const probe = new Redis(server.url);
    const redisVersion = /redis_version:(\S+)/.exec(await probe.info('server'))?.[1] ?? 'unknown';
    await probe.quit();
    const machine = await describeMachine(redisVersion);
    console.log(machineLine(machine));

    const times = { l1: L1_SAMPLE_MS, l2: L2_SAMPLE_MS };
    scenarios.push(await l1Scenario(times));
    scenarios.push(await l2Scenario(server.url, times));
    scenarios.push(await bentoScenario(server.url, times));
    const cases = scenarios.flatMap((s) => s.cases);
    // Rows grouped as the groups first appear, each group's rows in the order they were declared.
    const groups = [...new Set(cases.map((c) => c.group))];
    const ordered = groups.flatMap((group) => cases.filter((c) => c.group === group));

    console.log(`${ordered.length} cases, ${rounds} rounds (+ calibration and one warm-up round)`);
    const results = await runRounds(ordered, {
      rounds,
      onRound: (round, total) => console.log(`round ${round}/${total} done (${Math.round((performance.now() - started) / 1000)} s)`),
    });
    for (const scenario of scenarios) await scenario.check();

    console.log(`\n${formatTable(results)}\n`);
    if (values['no-report'] !== true) {
      const settings = { rounds, l1SampleMs: L1_SAMPLE_MS, l2SampleMs: L2_SAMPLE_MS, seconds: (performance.now() - started) / 1000 };
      console.log(`written: ${await writeReport(markdownReport(results, machine, settings))}`);
    }
  } finally {
    for (const scenario of scenarios) await scenario.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
  // A scenario that failed half-way may not have closed its clients: do not hang on them.
  setTimeout(() => process.exit(1), 5_000).unref();
});
