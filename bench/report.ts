/** The machine the benchmark ran on, and `docs/benchmarks.md` and its charts written from the results. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import type { CaseResult, LatencySummary } from './harness.js';
import { formatMarkdownLatencyTable, formatMarkdownTable, formatMs, formatOps, formatPercent } from './harness.js';
import { latencyChart, throughputChart, type LatencyRow, type Panel, type ThroughputRow } from './charts.js';
import { coverageTable, missingCoverage } from './peers.js';
import { httpTable, httpTargets, type HttpFindings } from './scenarios/http.js';
import { memoryTable, memoryTargets, type MemoryFindings } from './scenarios/memory.js';
import { OPS_TARGETS } from './scenarios/ratelimit.js';
import { WARMUP_INVALIDATIONS, type ReplicaSettings } from './scenarios/replicas.js';
import { markdownTable } from './table.js';

/** Where the repository root is, from `build/bench/` (compiled) — the layout `npm run bench` uses. */
const ROOT = new URL('../../', import.meta.url);

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  v8: string;
  redis: string;
  packages: Record<string, string>;
  date: string;
}

export async function describeMachine(redisVersion: string): Promise<Machine> {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    const info = await readFile('/proc/cpuinfo', 'utf8');
    cpu = /^model name\s*:\s*(.+)$/m.exec(info)?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux: os.cpus() said what it could.
  }
  const packages: Record<string, string> = {};
  for (const name of [
    'tiercache',
    'lru-cache',
    'ioredis',
    'koa',
    '@koa/router',
    'koa-compress',
    'autocannon',
    'bentocache',
    'cache-manager',
    'keyv',
    '@keyv/redis',
    '@type-cacheable/core',
    '@type-cacheable/ioredis-adapter',
    'async-cache-dedupe',
    'rate-limiter-flexible',
    'typescript',
  ]) {
    const path = name === 'tiercache' ? 'package.json' : `node_modules/${name}/package.json`;
    try {
      packages[name] = (JSON.parse(await readFile(new URL(path, ROOT), 'utf8')) as { version: string }).version;
    } catch {
      packages[name] = 'unknown';
    }
  }
  return {
    cpu,
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${process.platform} ${release()}`,
    node: process.version,
    v8: process.versions.v8,
    redis: redisVersion,
    packages,
    date: new Date().toISOString().slice(0, 10),
  };
}

export function machineLine(m: Machine): string {
  const packages = Object.entries(m.packages).map(([name, version]) => `${name} ${version}`).join(', ');
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node} (V8 ${m.v8}); Redis ${m.redis}; ${packages}; ${m.date}`;
}

export interface ReportSettings {
  rounds: number;
  l1SampleMs: number;
  l2SampleMs: number;
  seconds: number;
  replicas: ReplicaSettings;
  /** Largest clock offset found between two replica processes, and the IPC round trip it was measured over. */
  clockSkewMs: number;
  clockRttMs: number;
  /** Cold keys run (and not counted) before the measured ones in the stampede case. */
  stampedeWarmups: number;
}

/** Everything the run measured. */
export interface Findings {
  /** The in-process cases. */
  readonly results: readonly CaseResult[];
  /** The multi-process rows. */
  readonly latencies: readonly LatencySummary[];
  readonly http: HttpFindings;
  readonly memory: MemoryFindings;
}

/** The names \`--only\` takes, for the "Reproduce" section. */
export const SCENARIO_IDS = ['l1', 'l2', 'miss', 'ratelimit', 'peers', 'http', 'replicas', 'memory'] as const;

/** The whole of `docs/benchmarks.md`: it is generated, so edit this function rather than the file. */
export function markdownReport(findings: Findings, m: Machine, settings: ReportSettings): string {
  const { results, latencies, http, memory } = findings;
  const r = settings.replicas;
  const targets = results
    .filter((r) => r.case.target !== undefined && r.ratio !== undefined)
    .map(
      (r) =>
        `- ${r.met === true ? 'Met' : '**Not met**'}: ${r.case.name} >= ${formatPercent(r.case.target!)} of "${r.case.baseline!}": ` +
        `measured ${formatPercent(r.ratio!.median)} (rounds: ${formatPercent(r.ratio!.min)} to ${formatPercent(r.ratio!.max)}).`,
    );
  for (const r of results) {
    const floor = OPS_TARGETS.get(r.case.name);
    if (floor === undefined) continue;
    const { median, min, max } = r.opsPerSec;
    targets.push(
      `- ${median >= floor ? 'Met' : '**Not met**'}: ${r.case.name} >= ${formatOps(floor)} calls/s: ` +
        `measured ${formatOps(median)} (rounds: ${formatOps(min)} to ${formatOps(max)}).`,
    );
  }
  targets.push(...httpTargets(http));
  targets.push(...memoryTargets(memory));
  const missing = missingCoverage(results);
  targets.push(
    missing.length === 0
      ? '- Met: every peer has its row on every case it has the concept of, measured in this run, and a reason for each case it has not (table "Peers" below).'
      : `- **Not met**: peer rows named in the coverage table but not measured: ${missing.join('; ')}.`,
  );
  for (const s of latencies) {
    if (s.met === undefined) continue;
    const wanted = [s.result.p99Target === undefined ? undefined : `p99 <= ${s.result.p99Target} ms`, s.result.condition?.text].filter((x) => x !== undefined);
    targets.push(
      `- ${s.met ? 'Met' : '**Not met**'}: ${s.result.group}, ${s.result.name}: ${wanted.join(', ')}: ` +
        `measured p50 ${formatMs(s.p50)} ms, p99 ${formatMs(s.p99)} ms, max ${formatMs(s.max)} ms` +
        `${s.result.condition === undefined ? '' : ` (${s.result.condition.text}: ${s.result.condition.held ? 'yes' : 'no'})`}.`,
    );
  }
  return `# Benchmarks

<!-- Generated by \`npm run bench\` (bench/report.ts); edits here are overwritten. -->

Measured ${m.date} on: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}.
Node ${m.node} (V8 ${m.v8}), Redis ${m.redis} (private server on 127.0.0.1, no persistence),
${Object.entries(m.packages).map(([name, version]) => `${name} ${version}`).join(', ')}.

## Targets

${targets.join('\n')}

## Charts

Generated by the benchmark with the tables below (plain SVG, no external service).

![Throughput of every case, by group, with its ratio to the raw baseline of the same run](${CHARTS.throughput})

![Latency percentiles over HTTP and across processes](${CHARTS.latency})

## Peers

Each library on the cases it has the concept of, set up as its own documentation shows (see
"What each case does"), in the same run and the same rounds as tiercache. A cell gives the
median ratio to the raw baseline of the same round (bare \`await\` for L1 hits and misses, raw
ioredis for L2 hits and rate limiting), or why the library has no such case.

${markdownTable(coverageTable(results, latencies, http))}

## Results

All cases ran in one process, in one run: after calibration and one warm-up round,
${settings.rounds} rounds ran every case once each (about ${settings.l1SampleMs} ms per L1 sample,
${settings.l2SampleMs} ms per L2 sample), in an order rotated by one case per round, with a full GC
before each sample. A case runs the same number of operations in every round. "median" and
"min-max" are over the rounds; IQR is half the interquartile range over the median. A ratio is
computed within each round (case / the case it is compared with, same round), then its median
and range over the rounds are given. A "(paired)" comparison is finer: each sample of the case
alternates sweeps of the 1,000 keys between the case and the case it is compared with, timing
both, so the ratio of each round comes from the same fraction of a second. The run took ${Math.round(settings.seconds)} s.

${formatMarkdownTable(results)}

### The Koa demo over HTTP

Then, with the in-process cases closed, three HTTP servers, each alone in a process of its own
(forked through the spec's replica harness): the demo shop (\`createShopApp({ redisUrl })\` of
\`demo/app.ts\`, as \`npm run demo\` builds it: koa-compress, \`httpCache\`, its JSON errors, its
routes, an engine with L1 and L2 on the benchmark's Redis), and two bare Koa apps whose routes
send, as a prepared \`Buffer\` with fixed fields, the very response the demo sent for the same
request: its body and every field but those Node writes itself (Date, Connection, Keep-Alive,
Content-Length). The run checks that all three send the same status, fields and body before it
times them. One bare app is koa and @koa/router alone; the other is the demo's own stack without
tiercache (koa-compress outermost, the demo's \`jsonErrors\`, the router), so the demo against it
is what tiercache costs, and it against the first is what the rest of the stack costs. A process
each, because the demo's middleware runs every request in an \`AsyncLocalStorage\` context, which
(on Node 20) slows every promise of its process.
autocannon ${m.packages['autocannon'] ?? ''} ran in the benchmark's process with ${http.settings.connections} keep-alive connections,
${http.settings.pipelining} requests in flight on each (HTTP/1.1 pipelining). With one request in flight, every
response finds autocannon waiting and the server's write pays for waking it: on this shared
virtual machine that costs 15 to 45 µs, more than the server's own work, and it varies with the
timing of the two processes, so the ratios of a run spread from 45% to 140%. With several, the
server reads and answers requests in batches, and its own work sets the pace: the figures compare
what each server does per request. A latency then includes the wait behind the requests ahead of
it on its connection. After one warm-up round, ${http.settings.rounds} rounds ran each
table group's cases in a mirrored order (A B C C B A, ${http.settings.sampleSeconds / 2} s each, the first case rotated by
one per round), so that a machine getting steadily faster or slower over a round weighs the same
on every case; a ratio is computed within each round, then its median and range are given.

Every response is timed (autocannon's own histogram keeps whole milliseconds only): p50 and p99
are over all the responses of the measured rounds. "server CPU/req" is the server process's CPU
time (user + system, \`process.cpuUsage()\`) over a sample divided by its responses: what the
server spent per request, whichever side set the pace. "CPU busy" is CPU time over wall time
(100% = one core) of the server and of the benchmark's process (autocannon): below 100% for
both, the machine's other work held them back. Around every sample of the demo the benchmark
read \`httpCache(...).stats()\` and \`cache.stats()\`: every request of every demo case was an L1
hit (no miss), and over the 304 samples the middleware serialised ${http.notModifiedWork.serialized}, hashed ${http.notModifiedWork.hashed} and
compressed ${http.notModifiedWork.compressed} bodies.

${markdownTable(httpTable(http))}

### Across processes

Then, after those rounds (so that three more busy processes do not disturb the in-process cases),
${r.replicas} replica processes (\`child_process.fork\`, through the spec's replica harness
\`spec/helpers/replica.ts\`) each opened an engine with L1, L2 and the bus
(\`createCache({ namespace, l2: { redis: url } })\`, all defaults) on a second private
redis-server of their own, and were driven over IPC. Latencies are in milliseconds, over every
sample of the row (percentiles by linear interpolation).

${formatMarkdownLatencyTable(latencies)}

### Memory

Last, in a child process of its own started with \`--expose-gc\` (so that its entries share no
heap with the other cases): an engine with \`l1: { maxBytes: 64 MiB, maxEntries: 1,000,000 }\`
(the byte bound binds first), \`l2: false\`, and a method \`@Cached({ cache }) product(id)\` returning
the benchmark's small product object, called with ${memory.keys.toLocaleString('en-US')} distinct ids in sequence. Heap
(\`process.memoryUsage().heapUsed\`) and RSS are read after two forced full GCs before the first
call and after the last. L1 evicts by the size it estimates for each entry
(\`ENTRY_OVERHEAD_BYTES + 2 x payload length + 2 x key length\`, \`lib/engine/entry.ts\`), so the
heap's growth divided by the entries L1 kept is what an entry really costs; the overhead that
would make the estimate match follows from it.

${markdownTable(memoryTable(memory))}

## What each case does

- **floor**: \`for (...) await get(i % 1000)\` where \`get\` is an \`async\` function returning
  \`map.get(k)\`: the cost of calling an empty async function. Every L1 loop has this shape.
- **lru-cache get, in an async fn**: the floor with a raw \`LRUCache\` in place of the \`Map\`.
- **@Cached, 1 numeric arg**: \`await catalog.product(i % 1000)\`, a method decorated
  \`@Cached({ cache })\` (engine with \`l2: false\`), all 1,000 keys warm, value a small object.
- **@Cached, 1 object arg, default key**: \`await catalog.find({ id: i % 1000, kind: 'x' })\`:
  the object is built per call, as a caller would, and the key is the default canonical encoding.
- **@Cached, 1 numeric arg, 3 tags**: the same method and workload on the same engine, decorated
  \`@Cached({ cache, tags: (id) => [\`product:\${id}\`, 'products', 'catalog'] })\`, compared
  with the untagged one paired: each sample alternates sweeps
  \`for (i = 0; i < 1000; i++) await method.call(catalog, i)\` of the two methods (which one goes
  first alternates too), both through that one function so that both run the same machine code
  (with a copy of the loop per method, V8 now and then compiled one copy 10-15% slower than the
  other for a whole run, whichever method it called). Its ops/s count the tagged sweeps only and
  include the \`method.call\`, so they sit below the untagged row's direct calls: read the ratio.
  An L1 hit checks the entry's validity epoch against
  the engine's (one number, no tag looked at), so tags cost a hit nothing while no tag version
  has changed. The hit path has no Redis access whatever the engine's tiers are, so an L1-only
  engine measures it without the noise of a connection.
- **@Cached, 3 tags, 1st hit after an unrelated invalidation**: the tagged method on an engine
  of its own, with \`cache.invalidateTags(['unrelated'])\` (a tag no entry carries) before every
  sweep of the 1,000 keys. Each invalidation moves the engine's epoch, so every hit timed here is
  the first of its entry since an invalidation and re-validates: its 3 tag versions are compared
  with the tag mirror once, then the entry takes the new epoch. This is the worst case: in a
  steady state only the first hit of each entry after each invalidation pays it. The
  invalidations are not timed; each sweep is followed by a sweep of the untagged method, and the
  ratio is paired with those.
- **cache.getOrSet(key, factory)**: key strings built before the loop, one pre-made factory.
- **L2 hit**: an engine with \`l1: false\` and \`l2: { redis: url }\` (its own client, auto-pipelining
  on), 1,000 distinct keys filled beforehand so single-flight never merges calls. The raw
  ioredis cases GET the very keys tiercache wrote (same bytes on the wire), from a client without
  and one with \`enableAutoPipelining\`. "x100" cases keep 100 calls in flight: 100 workers, each
  starting its next call when its previous one resolves.
- **BentoCache**: \`new BentoCache({ default: 'cache', stores: { cache: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000, serialize: false })) } })\`
  for L1 (\`serialize: false\` keeps objects as tiercache's L1 does; the default would add a
  \`JSON.parse\` per hit), and a store with only \`useL2Layer(redisDriver({ connection: { host, port, enableAutoPipelining: true } }))\`
  for L2. Each call is \`bento.getOrSet({ key, factory })\`.
- **Rate limit**: an engine with \`l1: false\`, \`l2: { redis: url }\` (its own client) and no bus; a
  method decorated \`@RateLimited({ cache, limit: 1_000_000, window: 60_000, key: (i) => keys[i % 1000] })\`
  (\`client-0\` to \`client-999\`; token bucket, the default), so every call is admitted and runs
  the method (counted: the check fails if one was refused or decided in-process, or if Redis
  reported an error). The raw cases run \`EVALSHA\` of the very
  same script text (\`TOKEN_BUCKET\` of \`lib/ratelimit/scripts.ts\`, loaded with \`SCRIPT LOAD\`) on the
  1,000 bucket keys the limiter wrote, with the limiter's arguments (limit, window, cost 1, consume),
  from a client without and one with \`enableAutoPipelining\`. The script does TIME, HMGET, HSET and
  PEXPIRE in Redis, so Redis's own time per call is part of every row.

- **Miss**: every call passes an id never passed before, so the method runs: \`await sleep(1)\`
  (\`node:timers/promises\`, a timer of 1 ms, which takes a little more) and returns the product.
  The floor awaits that method bare. \`@Cached miss\` runs it behind \`@Cached({ cache })\` on an
  engine with its defaults (L1, L2 on the benchmark's Redis, the bus): a miss reads L2, takes the
  Redis lock, runs the method, writes L2 and publishes "filled" to the other replicas. The peers'
  miss rows use the tiers they have: both layers for BentoCache and cache-manager, Redis alone for
  @type-cacheable and async-cache-dedupe.

Peers, each in the groups above:

- **cache-manager** ${m.packages['cache-manager'] ?? ''}: \`createCache({ stores })\` and \`cache.wrap(key, fn, ttl)\`, as its README shows. L1:
  \`new Keyv()\` with \`keyv.serialize = keyv.deserialize = undefined\` (the README's advice for
  objects: it keeps the object, as tiercache's L1 does). L2: \`new Keyv({ store: new KeyvRedis(url) })\`
  (@keyv/redis ${m.packages['@keyv/redis'] ?? ''}, which talks to Redis through node-redis). Miss: both stores, memory first.
- **@type-cacheable/core** ${m.packages['@type-cacheable/core'] ?? ''} with @type-cacheable/ioredis-adapter ${m.packages['@type-cacheable/ioredis-adapter'] ?? ''}:
  \`useAdapter(new Redis(url))\` and \`@Cacheable({ cacheKey: (args) => key, ttlSeconds: 3600 })\`.
  It is a legacy (\`experimentalDecorators\`) decorator, applied as tsc's legacy output does
  (descriptor in, descriptor out), since this project compiles standard decorators. The key is a
  function of the arguments, as in its README; its default hashes the arguments and the instance
  with MD5 on every call.
- **async-cache-dedupe** ${m.packages['async-cache-dedupe'] ?? ''}: \`createCache({ ttl, storage }).define('product', fn)\`, each call
  \`cache.product(id)\`. L1: \`storage: { type: 'memory', options: { size: 10_000 } }\`; tags: the same
  with \`invalidation: true\` and \`references: (id) => [3 references]\`; L2 and miss:
  \`storage: { type: 'redis', options: { client: new Redis(url) } }\`.
- **BentoCache** (above): its miss row uses a store with both layers
  (\`useL1Layer(memoryDriver(...)).useL2Layer(redisDriver(...))\`); its tagged row passes
  \`tags\` (the same 3) to \`getOrSet\`.
- **rate-limiter-flexible** ${m.packages['rate-limiter-flexible'] ?? ''}: \`new RateLimiterRedis({ storeClient, points: 1_000_000, duration: 60, keyPrefix })\`
  on an ioredis client made with \`enableOfflineQueue: false\`, as its wiki's Redis page shows;
  each call \`limiter.consume(key)\` on the same 1,000 client keys, 100 in flight. Its algorithm is
  a fixed window (one atomic increment and expiry per call), where \`@RateLimited\` defaults to a
  token bucket (a read, a refill computation and a write per call).

Each scenario checks after the run that its hit cases never ran their factory, and the miss
cases that their method ran once per key.

The Koa demo over HTTP:

- **bare Koa (router only), same response**: \`GET /products/1\` with \`Accept-Encoding: identity\` on a route
  \`router.get('/products/:id', ctx => { ctx.set(fields); ctx.body = bytes })\`: the ${http.sizes.product} bytes of
  \`${http.productType}\` the demo sent for that request, with its Cache-Control, ETag,
  Last-Modified and Vary. No other middleware.
- **Koa + koa-compress + jsonErrors, same response**: the same route behind the demo's middleware
  less tiercache: the baseline of the target, since the demo keeps koa-compress outermost (DEMO.md)
  whether or not it caches.
- **demo, L1 hit, 200**: the same request to the demo, whose \`getProduct\` is \`@HttpCacheable\` and
  \`@Cached\`: an L1 hit, the body's bytes and ETag built once per cache entry and reused, the
  caching fields (Cache-Control, ETag, Last-Modified, Vary) written per response.
- **demo, L1 hit, If-None-Match: 304**: the same request with \`If-None-Match\` set to the ETag of
  a first GET: answered 304 from the stored ETag, the body neither serialised nor hashed (the
  counters above).
- **GET /products with \`Accept-Encoding: gzip\`**: the first page of the list, ${http.sizes.list.toLocaleString('en-US')} bytes of JSON
  (${http.sizes.listGzip.toLocaleString('en-US')} gzipped). The demo compresses it once per cache entry and reuses the gzip bytes;
  "demo, L1 hit, gzip, If-None-Match: 304" sends back the ETag of the gzip form (\`"...-gzip"\`).
  The two "same gzip response" apps send those bytes with every field of the demo's response
  (Content-Encoding included, so koa-compress leaves them alone); "bare Koa + koa-compress" sets the list (parsed once from the demo's JSON) as
  \`ctx.body\` behind \`koa-compress\` (threshold 1 KiB), so each request serialises and gzips it:
  what a route without a cache of its representations pays.

Across processes (${r.replicas} replicas A, B, C):

- **Invalidation seen by the other replicas**: B and C listen to
  \`cache.on('invalidate', e => e.remote && ...)\` and note when each tag is heard. A calls
  \`await cache.invalidateTags([tag])\` ${r.invalidations} times, a new tag each time: back to back
  (each awaited before the next), then one started every ${r.paceMs} ms. A sample is the time B
  (or C) heard a tag minus the time A called \`invalidateTags\` for it, so it includes A's round
  trip to Redis that bumps the tag's version before the message is published. Times are
  \`performance.timeOrigin + performance.now()\` in each process: one clock for every process of
  the machine, with sub-millisecond resolution. Measured over IPC (the quickest of 50 pings per
  replica) the processes' clocks were at most ${settings.clockSkewMs.toFixed(3)} ms apart (give or take
  ${(settings.clockRttMs / 2).toFixed(3)} ms, half the round trip). ${WARMUP_INVALIDATIONS.toLocaleString('en-US')} invalidations (and as many
  raw publishes) ran first as a warm-up and are not counted. The row after each is the duration
  of \`invalidateTags\` itself on A (the version bump in Redis; the message is published without
  waiting).
- **BentoCache: delete({ key })**: the same processes, pacing and timing, each replica also
  holding a BentoCache with both layers (memory driver with its defaults) and its Redis bus
  (\`useBus(redisBusDriver({ connection }))\`):
  A calls \`await bento.delete({ key })\` (L1, L2, then a Delete message on the bus), and B and C
  note when their \`bus:message:received\` event fires for the key. No target.
- **floor: raw ioredis PUBLISH -> SUBSCRIBE**: the same processes, Redis, pacing and timing,
  with A's \`invalidateTags\` replaced by \`await publisher.publish(channel, tag)\` on a plain
  ioredis client and B and C listening with a plain subscriber: one hop, no round trip before
  it, no engine. What the machine itself gives a message between processes.
- **Stampede**: at one instant agreed on the same clock, each replica starts ${r.callers} concurrent
  calls of a \`@Cached\` method that sleeps ${r.methodMs} ms, on a key no replica has read: one
  replica takes the Redis lock and runs the method, the others wait for its "filled" message
  (or a backoff) and read the value from L2. A sample is one call, from its start to its
  resolution, in the replica that made it. Repeated on ${r.stampedeRounds} cold keys, one after the
  other, after ${settings.stampedeWarmups} more that are not counted (at least ${r.warmupRounds}, and until every replica had taken the
  lock and run the method once, so that no counted key pays for compiling that path). The
  method's runs are counted in every replica and must total one per key. The last two rows split
  the calls by whether their replica ran the method or waited for the lock. All 200 calls of a
  replica wait for the same thing, so a p99 over the calls is close to the slowest of the
  ${r.replicas * r.stampedeRounds} (replica, key) pairs.
- **Stampede through a peer**: the same replicas, callers, method and clock, ${r.peerStampedeRounds} cold keys per peer
  (after 2 not counted), each replica reading through the peer set up as in the in-process
  cases: BentoCache with both layers (\`getOrSet\`; its memory driver keeps its default
  \`serialize: true\` here: with \`serialize: false\`, BentoCache ${m.packages['bentocache'] ?? ''} threw now and then in this case,
  a TypeError in \`CacheEntry.fromDriver\` when the key had been filled by another process),
  cache-manager with both stores (\`wrap\`),
  @type-cacheable's \`@Cacheable\` on the ioredis adapter, async-cache-dedupe on its redis storage.
  What each guards a key with is in-process only (BentoCache: an async-mutex per key;
  cache-manager: coalescing of concurrent \`wrap\` calls; @type-cacheable: shared pending method
  calls; async-cache-dedupe: deduplication), so each process may run the method: the notes count
  the method's runs across the ${r.replicas} processes per key. These rows have no target.

## Reading the figures

- On Node 20, an \`AsyncLocalStorage\` in use (tiercache runs each factory inside one, for
  \`refreshContext()\`) turns on promise hooks for the whole process, which makes every promise
  costlier. The warm-up runs factories, so every case here, the floor included, ran in that
  state, as it would in an application that uses tiercache (or Koa contexts, OpenTelemetry...).
- ioredis's auto-pipelining sends a command on the next \`setImmediate\`: it batches concurrent
  calls but adds a turn of the event loop to a lone sequential one, hence the sequential rows.
- The machine is shared (2 cores, the Redis server on one of them): compare ratios measured in
  the same round rather than absolute figures across runs.
- Over HTTP, autocannon and the server under load share the 2 cores with Redis, so where one
  is not saturated the other set the pace: "server CPU/req" says what each server spent per
  request, and its ratio is what the requests/s ratio would be if the server's CPU alone set it.
- On an L1 hit the demo's 200 reuses the body bytes and ETag kept with the cache entry, so a 304
  saves the server little more than writing the body: compare the two rows' server CPU/req
  before reading their requests/s, which the machine's noise moves by more than that.
- Across processes, 3 replicas, Redis and the harness share those 2 cores: a message waits
  whenever its receiver is not scheduled, so the tails (p99, max) say as much about the
  machine as about tiercache. The raw PUBLISH rows, measured in the same run, give the floor;
  compare with them, and expect the tails to move from run to run.

## Reproduce

\`\`\`sh
npm run bench          # tsc into build/, then node --expose-gc build/bench/run.js
\`\`\`

\`redis-server\` must be on the PATH: the benchmark starts its own on a free port and stops it.
\`node --expose-gc build/bench/run.js --rounds 3 --no-report\` is a quicker run that leaves this file alone;
\`--only http,replicas\` runs only the scenarios named (of ${'`'}${SCENARIO_IDS.join(', ')}${'`'}), and leaves this file alone too.
`;
}

/** Where the charts go, beside the report, and how the report links them. */
const CHARTS = { throughput: 'benchmarks/throughput.svg', latency: 'benchmarks/latency.svg' } as const;

/** Names of the peers' rows start with one of these; the other rows that have no baseline, or start with "floor", "ioredis", "lru-cache" or "bare", are raw baselines. */
const PEERS = ['BentoCache', 'cache-manager', '@type-cacheable', 'async-cache-dedupe', 'rate-limiter-flexible'];
const RAW = /^(floor|ioredis|lru-cache|bare)/;

/** The two charts of the report, as SVG text. */
export function charts(findings: Findings): Record<keyof typeof CHARTS, string> {
  const panels = new Map<string, ThroughputRow[]>();
  for (const r of findings.results) {
    const rows = panels.get(r.case.group) ?? [];
    rows.push({
      label: r.case.name,
      median: r.opsPerSec.median,
      min: r.opsPerSec.min,
      max: r.opsPerSec.max,
      note: r.ratio === undefined ? '' : formatPercent(r.ratio.median),
      baseline: RAW.test(r.case.name),
      ours: !PEERS.some((peer) => r.case.name.startsWith(peer)),
    });
    panels.set(r.case.group, rows);
  }
  const throughput: Panel<ThroughputRow>[] = [...panels].map(([title, rows]) => ({ title, unit: 'ops/s', rows }));
  const httpPanels = new Map<string, ThroughputRow[]>();
  for (const r of findings.http.results) {
    const rows = httpPanels.get(r.group) ?? [];
    const { median, min, max } = r.reqPerSec;
    rows.push({ label: r.name, median, min, max, note: r.ratio === undefined ? '' : formatPercent(r.ratio.median), baseline: RAW.test(r.name), ours: true });
    httpPanels.set(r.group, rows);
  }
  throughput.push(...[...httpPanels].map(([title, rows]) => ({ title, unit: 'req/s', rows })));

  const latencyPanels = new Map<string, LatencyRow[]>();
  for (const r of findings.http.results) {
    const rows = latencyPanels.get(r.group) ?? [];
    // The HTTP rows keep their p50 and p99 only: the pooled max of a shared machine is one scheduling hiccup.
    rows.push({ label: r.name, p50: r.p50, p99: r.p99, baseline: RAW.test(r.name), ours: true });
    latencyPanels.set(r.group, rows);
  }
  for (const s of findings.latencies) {
    const rows = latencyPanels.get(s.result.group) ?? [];
    rows.push({ label: s.result.name, p50: s.p50, p99: s.p99, max: s.max, baseline: RAW.test(s.result.name), ours: !PEERS.some((peer) => s.result.name.startsWith(peer)) });
    latencyPanels.set(s.result.group, rows);
  }
  const latency: Panel<LatencyRow>[] = [...latencyPanels].map(([title, rows]) => ({ title, unit: 'ms', rows }));
  return {
    throughput: throughputChart('Throughput: median over the rounds, min-max whiskers, ratio to the baseline of the same run', throughput),
    latency: latencyChart('Latency percentiles: over HTTP, and across processes', latency),
  };
}

/** Writes `docs/benchmarks.md` and its charts; returns the paths written. */
export async function writeReport(markdown: string, svgs: Record<keyof typeof CHARTS, string>): Promise<string[]> {
  const docs = new URL('docs/', ROOT);
  await mkdir(new URL('benchmarks/', docs), { recursive: true });
  const written: URL[] = [new URL('benchmarks.md', docs)];
  await writeFile(written[0]!, markdown);
  for (const [name, path] of Object.entries(CHARTS) as [keyof typeof CHARTS, string][]) {
    const url = new URL(path, docs);
    await writeFile(url, svgs[name]);
    written.push(url);
  }
  return written.map((url) => url.pathname);
}
