/**
 * The benchmark entry (`npm run bench`): starts a private redis-server, sets up every scenario,
 * measures all cases interleaved over several rounds in this one process, then the
 * multi-process cases (three replica processes on a second private redis-server), prints the
 * tables and writes `docs/benchmarks.md`.
 *
 * Options: `--rounds N` (default 7), `--no-report` (print only, leave the docs alone),
 * `--replicas-only` (only the multi-process cases; implies `--no-report`).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from '../spec/helpers/redis-server.js';
import { formatLatencyTable, formatTable, runRounds, summarizeLatency, type CaseResult } from './harness.js';
import { describeMachine, machineLine, markdownReport, writeReport } from './report.js';
import { bentoScenario } from './scenarios/bentocache.js';
import { l1Scenario } from './scenarios/l1.js';
import { l2Scenario } from './scenarios/l2.js';
import { rateLimitScenario } from './scenarios/ratelimit.js';
import { REPLICA_SETTINGS, replicaScenarios } from './scenarios/replicas.js';
import type { Scenario } from './scenarios/scenario.js';

const L1_SAMPLE_MS = 500;
const L2_SAMPLE_MS = 1000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '7' },
      'no-report': { type: 'boolean', default: false },
      'replicas-only': { type: 'boolean', default: false },
    },
  });
  const replicasOnly = values['replicas-only'] === true;
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

    let results: CaseResult[] = [];
    if (!replicasOnly) {
      const times = { l1: L1_SAMPLE_MS, l2: L2_SAMPLE_MS };
      scenarios.push(await l1Scenario(times));
      scenarios.push(await l2Scenario(server.url, times));
      scenarios.push(await bentoScenario(server.url, times));
      scenarios.push(await rateLimitScenario(server.url, times));
      const cases = scenarios.flatMap((s) => s.cases);
      // Rows grouped as the groups first appear, each group's rows in the order they were declared.
      const groups = [...new Set(cases.map((c) => c.group))];
      const ordered = groups.flatMap((group) => cases.filter((c) => c.group === group));

      console.log(`${ordered.length} cases, ${rounds} rounds (+ calibration and one warm-up round)`);
      results = await runRounds(ordered, {
        rounds,
        onRound: (round, total) => console.log(`round ${round}/${total} done (${Math.round((performance.now() - started) / 1000)} s)`),
      });
      for (const scenario of scenarios) await scenario.check();
      // Closed now: their idle connections have no business in the multi-process cases.
      for (const scenario of scenarios.splice(0)) await scenario.close();
      console.log(`\n${formatTable(results)}\n`);
    }

    console.log('multi-process cases: 3 replica processes on a private Redis');
    const replicas = await replicaScenarios(REPLICA_SETTINGS);
    const latencies = replicas.results.map(summarizeLatency);
    console.log(`\n${formatLatencyTable(latencies)}\n`);
    console.log(
      `clocks: largest offset between replica processes ${replicas.clockSkewMs.toFixed(3)} ms ` +
        `(measured over IPC, within ±${(replicas.clockRttMs / 2).toFixed(3)} ms)`,
    );

    if (values['no-report'] !== true && !replicasOnly) {
      const settings = {
        rounds,
        l1SampleMs: L1_SAMPLE_MS,
        l2SampleMs: L2_SAMPLE_MS,
        seconds: (performance.now() - started) / 1000,
        replicas: REPLICA_SETTINGS,
        clockSkewMs: replicas.clockSkewMs,
        clockRttMs: replicas.clockRttMs,
        stampedeWarmups: replicas.stampedeWarmups,
      };
      console.log(`written: ${await writeReport(markdownReport(results, latencies, machine, settings))}`);
    }
    console.log(`done in ${Math.round((performance.now() - started) / 1000)} s`);
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
