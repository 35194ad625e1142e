/**
 * The benchmark entry (`npm run bench`): starts a private redis-server, sets up every scenario,
 * measures all cases interleaved over several rounds in this one process, then the
 * multi-process cases (three replica processes on a second private redis-server), prints the
 * tables and writes `docs/benchmarks.md`.
 *
 * Options: `--rounds N` (default 7), `--no-report` (print only, leave the docs alone),
 * `--only a,b` (only those scenarios, of l1, l2, miss, ratelimit, peers, http, replicas, memory;
 * `peers` brings the scenarios its baselines come from; implies `--no-report`), `--replicas-only`
 * (the same as `--only replicas`).
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedis } from '../spec/helpers/redis-server.js';
import { formatLatencyTable, formatTable, runRounds, summarizeLatency, type CaseResult } from './harness.js';
import { charts, describeMachine, machineLine, markdownReport, SCENARIO_IDS, writeReport } from './report.js';
import { asyncCacheDedupeScenario } from './scenarios/async-cache-dedupe.js';
import { bentoScenario } from './scenarios/bentocache.js';
import { cacheManagerScenario } from './scenarios/cache-manager.js';
import { l1Scenario } from './scenarios/l1.js';
import { l2Scenario } from './scenarios/l2.js';
import { memoryScenario, memoryTable, memoryTargets, type MemoryFindings } from './scenarios/memory.js';
import { missScenario } from './scenarios/miss.js';
import { rateLimiterFlexibleScenario } from './scenarios/rate-limiter-flexible.js';
import { rateLimitScenario } from './scenarios/ratelimit.js';
import { HTTP_SETTINGS, httpScenario, httpTable, httpTargets, type HttpFindings } from './scenarios/http.js';
import { REPLICA_SETTINGS, replicaScenarios, type ReplicaFindings } from './scenarios/replicas.js';
import type { Scenario } from './scenarios/scenario.js';
import { typeCacheableScenario } from './scenarios/type-cacheable.js';
import { textTable } from './table.js';

const L1_SAMPLE_MS = 500;
const L2_SAMPLE_MS = 1000;
/** The scenarios `--only` can name, in the order they run. */
const SCENARIOS = SCENARIO_IDS;
type ScenarioId = (typeof SCENARIOS)[number];

function parseOnly(only: string | undefined, replicasOnly: boolean): Set<ScenarioId> {
  if (replicasOnly) return new Set(['replicas']);
  if (only === undefined) return new Set(SCENARIOS);
  const chosen = new Set<ScenarioId>();
  for (const name of only.split(',').map((part) => part.trim())) {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only: unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
    chosen.add(name as ScenarioId);
  }
  // The peers' rows are compared with baselines that these scenarios measure.
  if (chosen.has('peers')) for (const id of ['l1', 'l2', 'miss', 'ratelimit'] as const) chosen.add(id);
  return chosen;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '7' },
      'no-report': { type: 'boolean', default: false },
      'replicas-only': { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  });
  const chosen = parseOnly(values.only, values['replicas-only'] === true);
  const everything = chosen.size === SCENARIOS.length;
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
    const times = { l1: L1_SAMPLE_MS, l2: L2_SAMPLE_MS };
    const setups: [ScenarioId, string, () => Promise<Scenario>][] = [
      ['l1', 'L1 hits, tags on hits', () => l1Scenario(times)],
      ['l2', 'L2 hits', () => l2Scenario(server.url, times)],
      ['miss', 'misses, 1 ms method', () => missScenario(server.url, times)],
      ['ratelimit', 'rate limiting', () => rateLimitScenario(server.url, times)],
      ['peers', 'BentoCache', () => bentoScenario(server.url, times)],
      ['peers', 'cache-manager', () => cacheManagerScenario(server.url, times)],
      ['peers', '@type-cacheable/core', () => typeCacheableScenario(server.url, times)],
      ['peers', 'async-cache-dedupe', () => asyncCacheDedupeScenario(server.url, times)],
      ['peers', 'rate-limiter-flexible', () => rateLimiterFlexibleScenario(server.url, times)],
    ];
    for (const [id, title, setup] of setups) {
      if (!chosen.has(id)) continue;
      const scenario = await setup();
      scenarios.push(scenario);
      console.log(`scenario ${id}: ${title}: ${scenario.cases.length} cases set up (${Math.round((performance.now() - started) / 1000)} s)`);
    }
    if (scenarios.length > 0) {
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

    let http: HttpFindings | undefined;
    if (chosen.has('http')) {
      const settings = { ...HTTP_SETTINGS, rounds };
      console.log(`scenario http (Koa demo over HTTP): 3 server processes (the demo, bare Koa, the demo's stack without tiercache), autocannon with ${settings.connections} connections of ${settings.pipelining} pipelined requests, ${settings.sampleSeconds} s per sample`);
      http = await httpScenario(server.url, settings);
      console.log(`\n${textTable(httpTable(http))}\n\n${httpTargets(http).join('\n')}\n`);
    }

    let replicas: ReplicaFindings | undefined;
    if (chosen.has('replicas')) {
      console.log('scenario replicas (multi-process cases): 3 replica processes on a private Redis');
      replicas = await replicaScenarios(REPLICA_SETTINGS);
      console.log(`\n${formatLatencyTable(replicas.results.map(summarizeLatency))}\n`);
      console.log(
        `clocks: largest offset between replica processes ${replicas.clockSkewMs.toFixed(3)} ms ` +
          `(measured over IPC, within ±${(replicas.clockRttMs / 2).toFixed(3)} ms)`,
      );
    }

    let memory: MemoryFindings | undefined;
    if (chosen.has('memory')) {
      console.log('scenario memory: 1,000,000 distinct keys through @Cached into a 64 MiB L1, in a child process');
      memory = await memoryScenario();
      console.log(`\n${textTable(memoryTable(memory))}\n\n${memoryTargets(memory).join('\n')}\n`);
    }

    if (values['no-report'] !== true && everything && replicas !== undefined && http !== undefined && memory !== undefined) {
      const latencies = replicas.results.map(summarizeLatency);
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
      const findings = { results, latencies, http, memory };
      console.log(`written: ${(await writeReport(markdownReport(findings, machine, settings), charts(findings))).join(', ')}`);
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
