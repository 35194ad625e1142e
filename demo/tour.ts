/**
 * `npm run demo:tour`: a miss, an L1 hit, an L2 hit from a second engine and a stampede, timed,
 * without HTTP (`npm run demo` is the Koa shop of DEMO.md).
 *
 * Redis: `REDIS_URL` if set; else a private `redis-server` on a free port (if one is on the
 * PATH), stopped on exit; else L1 only.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cached, createCache, setDefaultCache, type CacheEngine, type CacheStats } from '../lib/index.js';
import { chooseRedis } from './redis-choice.js';

const DB_MS = 50;
const STAMPEDE = 100;
const HIT_LOOP = 100_000;

interface Product {
  id: number;
  name: string;
  price: number;
}

class ProductService {
  /** How many times the "database" was queried. */
  queries = 0;

  @Cached({ ttl: '1m', grace: '1m' })
  async getProduct(id: number): Promise<Product> {
    this.queries++;
    await sleep(DB_MS); // the database
    return { id, name: `Product ${id}`, price: 9.99 };
  }
}

interface Row {
  step: string;
  ms: number | undefined;
  queries: number | undefined;
  from: string;
}

async function main(): Promise<void> {
  const { url, note, server: redis } = await chooseRedis();
  const namespace = `demo-${Date.now().toString(36)}-${process.pid}`;
  const l2 = url === undefined ? false : { redis: url };
  const first = createCache({ namespace, l2 });
  const engines: CacheEngine[] = [first];
  try {
    const withRedis = (await first.ready()).l2 === 'connected';
    console.log(`tiercache demo, namespace "${namespace}"`);
    console.log(withRedis || url === undefined ? note : `Redis at ${url} did not answer: running L1 only.`);
    console.log('');

    const products = new ProductService();
    const rows: Row[] = [];
    // Runs `calls` with `engine` as the default cache; records the time (per call when `perCall` > 1),
    // the queries and where the answers came from.
    const step = async (name: string, engine: CacheEngine, calls: () => Promise<unknown>, perCall = 1): Promise<void> => {
      setDefaultCache(engine);
      const before = engine.stats();
      const queries = products.queries;
      const started = performance.now();
      await calls();
      const ms = (performance.now() - started) / perCall;
      rows.push({ step: name, ms, queries: products.queries - queries, from: answeredFrom(before, engine.stats()) });
    };

    await step(`miss: the method runs (${DB_MS} ms database)`, first, () => products.getProduct(1));
    await step('L1 hit', first, () => products.getProduct(1));
    await step(
      `L1 hit, average of ${HIT_LOOP.toLocaleString('en')}`,
      first,
      async () => {
        for (let i = 0; i < HIT_LOOP; i++) await products.getProduct(1);
      },
      HIT_LOOP,
    );

    let stampedeEngine = first;
    if (withRedis) {
      // Another replica: its own (empty) L1, the same Redis and namespace.
      const second = createCache({ namespace, l2 });
      engines.push(second);
      await second.ready();
      await step('L2 hit from a second engine', second, () => products.getProduct(1));
      stampedeEngine = second;
    } else {
      rows.push({ step: 'L2 hit from a second engine', ms: undefined, queries: undefined, from: 'skipped: no Redis' });
    }
    await step(`stampede: ${STAMPEDE} concurrent calls, cold key`, stampedeEngine, () =>
      Promise.all(Array.from({ length: STAMPEDE }, () => products.getProduct(2))),
    );

    printTable(rows);
  } finally {
    setDefaultCache(undefined);
    await Promise.all(engines.map((engine) => engine.close()));
    await redis?.stop();
  }
}

/** Where the calls of one step were answered from, by the engine's counters. */
function answeredFrom(before: CacheStats, after: CacheStats): string {
  const l1 = after.hits.l1 - before.hits.l1;
  const l2 = after.hits.l2 - before.hits.l2;
  const misses = after.misses - before.misses;
  const joined = after.coalesced - before.coalesced;
  const parts: string[] = [];
  if (l1 > 0) parts.push(l1 === 1 ? 'L1' : `L1 x ${l1.toLocaleString('en')}`);
  if (l2 > 0) parts.push('L2 (Redis), now in this L1 too');
  if (misses > 0) parts.push('the method');
  if (joined > 0) parts.push(`${joined} calls joined that run`);
  return parts.join(', ');
}

function printTable(rows: readonly Row[]): void {
  const cells = [
    ['step', 'time', 'queries', 'answered from'],
    ...rows.map((row) => [row.step, row.ms === undefined ? '-' : formatTime(row.ms), row.queries === undefined ? '-' : String(row.queries), row.from]),
  ];
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((line) => line[column]!.length)));
  for (const line of cells) {
    // Text left-aligned, numbers right-aligned.
    const [step, time, queries, from] = line.map((cell, column) => (column === 1 || column === 2 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)));
    console.log(`${step}  ${time}  ${queries}  ${from}`.trimEnd());
  }
}

function formatTime(ms: number): string {
  const us = ms * 1_000;
  if (us < 1) return `${us.toFixed(3)} µs`;
  if (us < 1_000) return `${us.toFixed(1)} µs`;
  return `${ms.toFixed(1)} ms`;
}

await main();
