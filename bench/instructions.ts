/**
 * Instructions per request of the HTTP benchmark's servers, counted by valgrind's callgrind:
 * `npm run bench:instructions` (`--requests N`, `--warmup N`). Requests/s on a shared 2-core
 * machine move by 20% from one run to the next; these counts move by under 1% for the bare apps
 * and by about 5% for the demo (whose JIT settles a little differently in each process), so they
 * show what a change to the hit path saves.
 *
 * Each server (the same three as `bench/scenarios/http.ts`: bare Koa, the demo's stack without
 * tiercache, the demo) runs alone under `valgrind --tool=callgrind --instr-atstart=no`. After a
 * warm-up long enough for the JIT to settle (valgrind runs the code some 30 times slower), the
 * counting is turned on for N requests on the same 4 keep-alive connections, then for as long
 * again with no request at all: what the server does while idle (its timers: the demo's 2 ms
 * clock, the bus heartbeat) is subtracted. Of three such windows the lowest count is kept.
 * User-space instructions only: the kernel's share (the socket writes) is not in them.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { startRedis } from '../spec/helpers/redis-server.js';
import { get, responseFields } from './scenarios/http.js';
import type { BareRoute, HttpServerInit } from './scenarios/http-server.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('./scenarios/http-server-main.js', import.meta.url));
const PRODUCT_PATH = '/products/1';
const CONNECTIONS = 4;
/** Counted windows per server, of `--requests` each. */
const WINDOWS = 3;

interface Counted {
  readonly name: string;
  readonly status: number;
  readonly perRequest: number;
}

/** A server under callgrind, its port, and the directory its counts are dumped into. */
interface Traced {
  readonly child: ChildProcess;
  readonly port: number;
  readonly dir: string;
}

async function startTraced(init: HttpServerInit): Promise<Traced> {
  const dir = await mkdtemp(join(tmpdir(), 'tiercache-callgrind-'));
  const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${join(dir, 'out.%p')}`, process.execPath, MAIN, JSON.stringify(init)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-4000)));
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = /\{"port":(\d+)\}/.exec(stdout);
      if (line !== null) resolve(Number(line[1]));
    });
    child.once('exit', (code) => reject(new Error(`the server under valgrind exited (${code}) before listening: ${stderr}`)));
  });
  return { child, port, dir };
}

async function stopTraced(traced: Traced): Promise<void> {
  const exited = new Promise((resolve) => traced.child.once('exit', resolve));
  traced.child.kill('SIGTERM');
  const timer = setTimeout(() => traced.child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
  await rm(traced.dir, { recursive: true, force: true });
}

/** `n` GETs on the `CONNECTIONS` keep-alive connections of `agent`; the status of the last. */
async function load(agent: Agent, port: number, n: number, headers: Readonly<Record<string, string>>): Promise<number> {
  let status = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: PRODUCT_PATH, agent, headers }, (res) => {
        status = res.statusCode ?? 0;
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
  const each = Math.ceil(n / CONNECTIONS);
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let i = 0; i < each; i++) await one();
    }),
  );
  return status;
}

/** Instructions counted since the last zeroing: dumps, and reads the newest dump's total. */
async function dump(traced: Traced): Promise<number> {
  const pid = String(traced.child.pid);
  await run('callgrind_control', ['--dump', pid]);
  const files = (await readdir(traced.dir)).filter((f) => f.startsWith('out.'));
  let newest = 0;
  let total = 0;
  for (const file of files) {
    const part = /\.(\d+)$/.exec(file)?.[1];
    const index = part === undefined ? 0 : Number(part);
    if (index < newest) continue;
    const text = await readFile(join(traced.dir, file), 'utf8');
    const summary = /^(?:summary|totals):\s*(\d+)/m.exec(text);
    if (summary !== null) {
      newest = index;
      total = Number(summary[1]);
    }
  }
  await run('callgrind_control', ['--zero', pid]);
  return total;
}

async function count(name: string, init: HttpServerInit, requests: number, warmup: number, headers: Readonly<Record<string, string>> = {}): Promise<Counted> {
  const traced = await startTraced(init);
  // The same connections for the warm-up and the count: a new one costs far more than a request.
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  try {
    await load(agent, traced.port, warmup, headers);
    const pid = String(traced.child.pid);
    await run('callgrind_control', ['--instr=on', pid]);
    await dump(traced); // zeroes what the switch itself counted
    let status = 0;
    let perRequest = Number.POSITIVE_INFINITY;
    // The fewest of a few windows: a full GC or a late recompilation lands in one of them, not all.
    for (let window = 0; window < WINDOWS; window++) {
      const started = performance.now();
      status = await load(agent, traced.port, requests, headers);
      const busyMs = performance.now() - started;
      const busy = await dump(traced);
      await new Promise((resolve) => setTimeout(resolve, busyMs));
      const idle = await dump(traced);
      perRequest = Math.min(perRequest, (busy - idle) / requests);
    }
    await run('callgrind_control', ['--instr=off', pid]);
    return { name, status, perRequest };
  } finally {
    agent.destroy();
    await stopTraced(traced);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '3000' }, warmup: { type: 'string', default: '16000' } } });
  const requests = Number(values.requests);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(requests) || requests < 100) throw new Error(`--requests: expected a whole number from 100, got ${values.requests}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`--warmup: expected a whole number, got ${values.warmup}`);
  try {
    await run('valgrind', ['--version']);
  } catch {
    throw new Error('valgrind is not on the PATH: install it (apt-get install valgrind) to count instructions');
  }
  const redis = await startRedis();
  try {
    const demoInit: HttpServerInit = { kind: 'demo', redisUrl: redis.url };
    // The demo's response, which the bare apps repeat (fields and body), and its ETag for the 304.
    const shown = await startTraced(demoInit);
    let routes: BareRoute[];
    let etag: string;
    try {
      const first = await get(shown.port, PRODUCT_PATH, { 'accept-encoding': 'identity' });
      etag = first.headers['etag'] ?? '';
      routes = [{ path: '/products/:id', body: first.body.toString('base64'), headers: responseFields(first) }];
    } finally {
      await stopTraced(shown);
    }
    const identity = { 'accept-encoding': 'identity' };
    const results: Counted[] = [];
    for (const [name, init, headers] of [
      ['bare Koa (router only), same response', { kind: 'bare', routes }, identity],
      ['Koa + koa-compress + jsonErrors, same response', { kind: 'stack', routes }, identity],
      ['demo, L1 hit, 200', demoInit, identity],
      ['demo, L1 hit, If-None-Match: 304', demoInit, { ...identity, 'if-none-match': etag }],
    ] as const) {
      const counted = await count(name, init, requests, warmup, headers);
      results.push(counted);
      console.log(`${name.padEnd(48)} ${counted.status}  ${Math.round(counted.perRequest).toLocaleString('en-US').padStart(9)} instructions per request`);
    }
    const [bare, stack, demo, notModified] = results as [Counted, Counted, Counted, Counted];
    const percent = (part: Counted, whole: Counted): string => `${((part.perRequest / whole.perRequest) * 100).toFixed(0)}%`;
    console.log(
      `\nper request, the stack without tiercache does ${percent(stack, demo)} of the demo's instructions and bare Koa ${percent(bare, demo)}; ` +
        `the demo's 304 does ${percent(notModified, demo)} of its 200's`,
    );
  } finally {
    await redis.stop();
  }
}

await main();
