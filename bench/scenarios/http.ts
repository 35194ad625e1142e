/**
 * The Koa demo over HTTP: autocannon (in this process) against the demo shop and against a bare
 * Koa app that sends the very bytes the demo sent, each server in a process of its own.
 *
 * Cases: `GET /products/1` answered 200 from an L1 hit, the same request with the ETag of a first
 * GET in If-None-Match (answered 304), and the bare route; then the list route (> 1 KiB) with
 * `Accept-Encoding: gzip`, against a bare route sending the same gzip bytes and one compressing
 * per request with koa-compress. The cases alternate over rounds in an order rotated by one per
 * round, as the in-process cases do, and each ratio is taken within a round.
 *
 * Besides requests/s and latency, each sample reads the server process's CPU time (user +
 * system) before and after it: CPU per request is what the server spent, whichever side (client
 * or server) set the pace. Around every sample of the demo it also reads the middleware's
 * `stats()` counters (bodies serialised, hashed, compressed) and the engine's (L1 hits, misses).
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { startReplica, type Replica } from '../../spec/helpers/replica.js';
import { formatMs, quantile, spread, type Spread } from '../harness.js';
import type { Table, TableRow } from '../table.js';
import type { BareRoute, DemoCounters, HttpServerInit, ServerErrors } from './http-server.js';

export const HTTP_PRODUCT_GROUP = 'Koa demo over HTTP: GET /products/1 (autocannon)';
export const HTTP_LIST_GROUP = 'Koa demo over HTTP: GET /products, Accept-Encoding: gzip (autocannon)';
export const BARE = 'bare Koa (router only), same response';
export const STACK = 'Koa + koa-compress + jsonErrors, same response';
export const CACHED_200 = 'demo, L1 hit, 200';
export const CACHED_304 = 'demo, L1 hit, If-None-Match: 304';
export const BARE_LIST = 'bare Koa (router only), same gzip response';
export const STACK_LIST = 'Koa + koa-compress + jsonErrors, same gzip response';
export const BARE_LIST_COMPRESS = 'bare Koa + koa-compress, gzip per request';
export const CACHED_LIST = 'demo, L1 hit, gzip, 200';
export const CACHED_LIST_304 = 'demo, L1 hit, gzip, If-None-Match: 304';

const MODULE = new URL('./http-server.js', import.meta.url);
const PRODUCT_PATH = '/products/1';
const LIST_PATH = '/products';
/** The bare route that serialises and compresses the list per request. */
const COMPRESS_PATH = '/compressed/products';

export interface HttpSettings {
  /** Measured rounds, after one warm-up round. */
  readonly rounds: number;
  /** autocannon's connections (keep-alive). */
  readonly connections: number;
  /**
   * Requests in flight on each connection (HTTP/1.1 pipelining). With one, every response finds
   * autocannon waiting, and the server's write pays for waking it: on this shared virtual machine
   * that wake-up costs 15 to 45 µs, more than the server's own work, and it varies with the
   * timing of the two processes, so the ratios of one run spread from 45% to 140%. With several,
   * the server reads and answers requests in batches and its own work sets the pace.
   */
  readonly pipelining: number;
  /** Length of one sample. */
  readonly sampleSeconds: number;
}

export const HTTP_SETTINGS: Omit<HttpSettings, 'rounds'> = { connections: 10, pipelining: 8, sampleSeconds: 1.5 };

interface HttpCase {
  readonly group: string;
  readonly name: string;
  readonly server: 'bare' | 'stack' | 'demo';
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly status: number;
  readonly baseline?: string;
  /** The ratio of requests/s to the baseline this case must reach (1 = 100%). */
  readonly target?: number;
  /** True: it must beat its baseline (ratio above 100% and a lower p50, both within a round), not merely reach a share of it. */
  readonly faster?: boolean;
  /** A second case to state the ratio to (in the target line), besides the baseline. */
  readonly alsoComparedWith?: string;
}

/** One sample of one case (or half of one). */
interface HttpSample {
  readonly responses: number;
  readonly seconds: number;
  /** CPU time of the server process, and of this process (autocannon), over the sample. */
  readonly serverCpuUs: number;
  readonly clientCpuUs: number;
  readonly latencies: Float64Array;
  readonly unexpected: number;
  readonly errors: number;
  readonly counters?: { serialized: number; hashed: number; compressed: number; misses: number; l1Hits: number };
}

/** The two halves of a case's sample in a round, as one sample. */
function merge(parts: readonly HttpSample[]): HttpSample {
  const latencies = new Float64Array(parts.reduce((sum, p) => sum + p.latencies.length, 0));
  let at = 0;
  for (const p of parts) {
    latencies.set(p.latencies, at);
    at += p.latencies.length;
  }
  const sum = (read: (p: HttpSample) => number): number => parts.reduce((total, p) => total + read(p), 0);
  const counted = parts.flatMap((p) => (p.counters === undefined ? [] : [p.counters]));
  const counters =
    counted.length === 0
      ? undefined
      : counted.reduce((a, b) => ({
          serialized: a.serialized + b.serialized,
          hashed: a.hashed + b.hashed,
          compressed: a.compressed + b.compressed,
          misses: a.misses + b.misses,
          l1Hits: a.l1Hits + b.l1Hits,
        }));
  return {
    responses: sum((p) => p.responses),
    seconds: sum((p) => p.seconds),
    serverCpuUs: sum((p) => p.serverCpuUs),
    clientCpuUs: sum((p) => p.clientCpuUs),
    latencies,
    unexpected: sum((p) => p.unexpected),
    errors: sum((p) => p.errors),
    ...(counters === undefined ? {} : { counters }),
  };
}

const reqPerSec = (s: HttpSample): number => s.responses / s.seconds;
const cpuPerRequest = (s: HttpSample): number => s.serverCpuUs / Math.max(1, s.responses);

/** What one HTTP case measured over the rounds. */
export interface HttpCaseResult {
  readonly group: string;
  readonly name: string;
  readonly baseline: string | undefined;
  readonly target: number | undefined;
  readonly faster: boolean;
  readonly requests: number;
  readonly reqPerSec: Spread;
  /** Per-round ratio of requests/s to the baseline. */
  readonly ratio: Spread | undefined;
  /** Latency percentiles over every response of the measured rounds, ms. */
  readonly p50: number;
  readonly p99: number;
  /** The baseline's p50, for a case that must be faster. */
  readonly baselineP50: number | undefined;
  /**
   * Per-round ratio of this case's p50 to the baseline's, for a case that must be faster. Within a
   * round, as the requests/s ratio: p50s pooled over rounds would weigh each case by how fast
   * the machine happened to be during its own samples.
   */
  readonly p50Ratio: Spread | undefined;
  /** Server CPU time per request (user + system), µs, over the rounds. */
  readonly cpuPerRequestUs: Spread;
  /** Per-round ratio of the baseline's server CPU per request to this case's: the requests/s ratio if the server alone set the pace. */
  readonly cpuRatio: Spread | undefined;
  /** The per-round ratios to the case named by `alsoComparedWith`. */
  readonly also: { readonly name: string; readonly ratio: Spread; readonly cpuRatio: Spread } | undefined;
  /** How busy the server process and this one (autocannon) were: CPU time over wall time, medians over the rounds (1 = one core). */
  readonly serverBusy: number;
  readonly clientBusy: number;
  /** The demo's counters summed over the measured samples (demo cases only). */
  readonly counters: { serialized: number; hashed: number; compressed: number; misses: number; l1Hits: number } | undefined;
  readonly met: boolean | undefined;
}

export interface HttpFindings {
  readonly results: HttpCaseResult[];
  readonly settings: HttpSettings;
  /** Bytes of the bodies: the product (identity) and the list (identity and gzip). */
  readonly sizes: { product: number; list: number; listGzip: number };
  readonly productType: string;
  /** The 304 runs' work in the middleware (both routes): must be 0 for each. */
  readonly notModifiedWork: { serialized: number; hashed: number; compressed: number };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** One GET on a fresh connection, the body as sent (never decompressed). */
export function get(port: number, path: string, headers: Readonly<Record<string, string>>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const fields: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) fields[name] = Array.isArray(value) ? value.join(', ') : value;
        resolve({ status: res.statusCode ?? 0, headers: fields, body: Buffer.concat(chunks) });
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path}: no response within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Fields Node writes on every response by itself: the bare routes leave them to it. */
const OWN_FIELDS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

/**
 * The fields of the demo's response that a bare route repeats: all of them (Content-Type,
 * Cache-Control, ETag, Last-Modified, Vary, Content-Encoding) but those Node adds itself, so
 * both servers write the same response and the comparison is of the work behind it.
 */
export function responseFields(response: RawResponse): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) if (!OWN_FIELDS.has(name)) fields[name] = value;
  return fields;
}

/** The response less the fields that differ by connection or second: what "the same response" compares. */
function sameResponse(a: RawResponse, b: RawResponse): boolean {
  const fa = responseFields(a);
  const fb = responseFields(b);
  const names = Object.keys(fa).sort();
  return a.status === b.status && a.body.equals(b.body) && names.join() === Object.keys(fb).sort().join() && names.every((name) => fa[name] === fb[name]);
}

/** `connections` connections on `path` for `seconds`, `pipelining` requests in flight on each, every response timed (autocannon's own histogram keeps whole ms only). */
function load(port: number, c: HttpCase, connections: number, pipelining: number, seconds: number): Promise<{ responses: number; unexpected: number; errors: number; seconds: number; latencies: Float64Array }> {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(65_536);
    let responses = 0;
    let unexpected = 0;
    const started = performance.now();
    const instance = autocannon(
      { url: `http://127.0.0.1:${port}${c.path}`, connections, pipelining, duration: seconds, headers: { ...c.headers } },
      (error, result) => {
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        resolve({ responses, unexpected, errors: result.errors, seconds: (performance.now() - started) / 1000, latencies: latencies.subarray(0, responses) });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode !== c.status) unexpected++;
      if (responses === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[responses++] = ms;
    });
  });
}

export async function httpScenario(redisUrl: string, settings: HttpSettings, log: (line: string) => void = console.log): Promise<HttpFindings> {
  const servers: Replica[] = [];
  try {
    const demo = await startReplica<HttpServerInit>(MODULE, { kind: 'demo', redisUrl }, { readyTimeoutMs: 30_000 });
    servers.push(demo);
    const demoPort = await demo.call<number>('port');

    // What the demo sends: the bare routes repeat these bytes and fields, and the 304 case sends the ETag back.
    const identity = { 'accept-encoding': 'identity' };
    const gzip = { 'accept-encoding': 'gzip' };
    const first = await get(demoPort, PRODUCT_PATH, identity);
    const etag = first.headers['etag'];
    if (first.status !== 200 || etag === undefined) throw new Error(`HTTP scenario: GET ${PRODUCT_PATH} answered ${first.status}, ETag ${etag}`);
    const list = await get(demoPort, LIST_PATH, identity);
    const listGzip = await get(demoPort, LIST_PATH, gzip);
    const listEtag = listGzip.headers['etag'];
    if (list.status !== 200 || listGzip.status !== 200 || listGzip.headers['content-encoding'] !== 'gzip' || listEtag === undefined) {
      throw new Error(`HTTP scenario: GET ${LIST_PATH} answered ${list.status} and, with gzip, ${listGzip.status} coded ${listGzip.headers['content-encoding']}`);
    }
    const routes: BareRoute[] = [
      { path: '/products/:id', body: first.body.toString('base64'), headers: responseFields(first) },
      { path: LIST_PATH, body: listGzip.body.toString('base64'), headers: responseFields(listGzip) },
      { path: COMPRESS_PATH, json: list.body.toString('utf8') },
    ];
    const bare = await startReplica<HttpServerInit>(MODULE, { kind: 'bare', routes }, { readyTimeoutMs: 30_000 });
    servers.push(bare);
    const stack = await startReplica<HttpServerInit>(MODULE, { kind: 'stack', routes }, { readyTimeoutMs: 30_000 });
    servers.push(stack);
    const barePort = await bare.call<number>('port');
    const ports = { bare: barePort, stack: await stack.call<number>('port'), demo: demoPort };
    const processes = { bare, stack, demo };

    const cases: HttpCase[] = [
      { group: HTTP_PRODUCT_GROUP, name: BARE, server: 'bare', path: PRODUCT_PATH, headers: identity, status: 200 },
      { group: HTTP_PRODUCT_GROUP, name: STACK, server: 'stack', path: PRODUCT_PATH, headers: identity, status: 200, baseline: BARE },
      { group: HTTP_PRODUCT_GROUP, name: CACHED_200, server: 'demo', path: PRODUCT_PATH, headers: identity, status: 200, baseline: STACK, target: 0.8, alsoComparedWith: BARE },
      {
        group: HTTP_PRODUCT_GROUP,
        name: CACHED_304,
        server: 'demo',
        path: PRODUCT_PATH,
        headers: { ...identity, 'if-none-match': etag },
        status: 304,
        baseline: CACHED_200,
        faster: true,
      },
      { group: HTTP_LIST_GROUP, name: BARE_LIST, server: 'bare', path: LIST_PATH, headers: gzip, status: 200 },
      { group: HTTP_LIST_GROUP, name: BARE_LIST_COMPRESS, server: 'bare', path: COMPRESS_PATH, headers: gzip, status: 200, baseline: BARE_LIST },
      { group: HTTP_LIST_GROUP, name: STACK_LIST, server: 'stack', path: LIST_PATH, headers: gzip, status: 200, baseline: BARE_LIST },
      { group: HTTP_LIST_GROUP, name: CACHED_LIST, server: 'demo', path: LIST_PATH, headers: gzip, status: 200, baseline: STACK_LIST, alsoComparedWith: BARE_LIST },
      { group: HTTP_LIST_GROUP, name: CACHED_LIST_304, server: 'demo', path: LIST_PATH, headers: { ...gzip, 'if-none-match': listEtag }, status: 304, baseline: CACHED_LIST },
    ];
    // Each case answers what it claims before it is timed: same bytes on both servers, a 304 for the ETag.
    for (const c of cases) {
      const response = await get(ports[c.server], c.path, c.headers);
      if (response.status !== c.status) throw new Error(`HTTP scenario: "${c.name}" answered ${response.status}, expected ${c.status}`);
    }
    for (const server of ['bare', 'stack'] as const) {
      if (!sameResponse(await get(ports[server], PRODUCT_PATH, identity), first) || !sameResponse(await get(ports[server], LIST_PATH, gzip), listGzip)) {
        throw new Error(`HTTP scenario: the ${server} app does not send the response the demo sends (status, fields and body)`);
      }
    }

    // One half-sample: `seconds` of load on one case, with the server's CPU and the demo's counters around it.
    const half = async (c: HttpCase, seconds: number): Promise<HttpSample> => {
      const server = processes[c.server];
      globalThis.gc?.();
      const before = c.server === 'demo' ? await demo.call<DemoCounters>('counters') : undefined;
      const cpuBefore = await server.call<number>('cpu');
      const clientBefore = process.cpuUsage();
      const run = await load(ports[c.server], c, settings.connections, settings.pipelining, seconds);
      const client = process.cpuUsage(clientBefore);
      const cpuAfter = await server.call<number>('cpu');
      const after = c.server === 'demo' ? await demo.call<DemoCounters>('counters') : undefined;
      const counters =
        before === undefined || after === undefined
          ? undefined
          : {
              serialized: after.http.serialized - before.http.serialized,
              hashed: after.http.hashed - before.http.hashed,
              compressed: after.http.compressed - before.http.compressed,
              misses: after.cache.misses - before.cache.misses,
              l1Hits: after.cache.l1Hits - before.cache.l1Hits,
            };
      return {
        responses: run.responses,
        seconds: run.seconds,
        // The IPC calls around the run cost a few hundred µs of CPU against a second of load.
        serverCpuUs: cpuAfter - cpuBefore,
        clientCpuUs: client.user + client.system,
        latencies: run.latencies,
        unexpected: run.unexpected,
        errors: run.errors,
        ...(counters === undefined ? {} : { counters }),
      };
    };

    // A round runs each group's cases in a mirrored order, half a sample each (A B C C B A, the
    // first case rotated by one per round): a machine that speeds up or slows down steadily over
    // the round weighs the same on every case, and each ratio is taken within the round.
    const groups = [...new Set(cases.map((c) => c.group))].map((group) => cases.filter((c) => c.group === group));
    const round = async (r: number): Promise<Map<HttpCase, HttpSample>> => {
      const halves = new Map<HttpCase, HttpSample[]>(cases.map((c) => [c, []]));
      for (const group of groups) {
        const order = group.map((_, i) => group[(i + r) % group.length]!);
        for (const c of [...order, ...[...order].reverse()]) halves.get(c)!.push(await half(c, settings.sampleSeconds / 2));
      }
      return new Map(cases.map((c) => [c, merge(halves.get(c)!)]));
    };
    // One warm-up round (the JIT of both servers and of autocannon), then the measured rounds.
    await round(0);
    const samples = new Map<HttpCase, HttpSample[]>(cases.map((c) => [c, []]));
    for (let r = 0; r < settings.rounds; r++) {
      for (const [c, measured] of await round(r)) samples.get(c)!.push(measured);
      log(`http: round ${r + 1}/${settings.rounds} done`);
    }

    const byName = new Map(cases.map((c) => [c.name, samples.get(c)!]));
    const pooledP50 = (list: readonly HttpSample[]): number => percentile(list, 0.5);
    const results = cases.map((c): HttpCaseResult => {
      const own = samples.get(c)!;
      const base = c.baseline === undefined ? undefined : byName.get(c.baseline)!;
      const bad = own.reduce((sum, s) => sum + s.unexpected + s.errors, 0);
      if (bad > 0) throw new Error(`HTTP scenario: "${c.name}" had ${bad} responses with another status, or errors`);
      const ratio = base === undefined ? undefined : spread(own.map((s, round) => reqPerSec(s) / reqPerSec(base[round]!)));
      const cpuRatio = base === undefined ? undefined : spread(own.map((s, round) => cpuPerRequest(base[round]!) / cpuPerRequest(s)));
      const other = c.alsoComparedWith === undefined ? undefined : byName.get(c.alsoComparedWith)!;
      const also =
        other === undefined
          ? undefined
          : {
              name: c.alsoComparedWith!,
              ratio: spread(own.map((s, round) => reqPerSec(s) / reqPerSec(other[round]!))),
              cpuRatio: spread(own.map((s, round) => cpuPerRequest(other[round]!) / cpuPerRequest(s))),
            };
      const p50 = pooledP50(own);
      const baselineP50 = base === undefined ? undefined : pooledP50(base);
      let met: boolean | undefined;
      const p50Ratio = base === undefined || c.faster !== true ? undefined : spread(own.map((s, round) => sampleP50(s) / sampleP50(base[round]!)));
      if (ratio !== undefined && p50Ratio !== undefined) met = ratio.median > 1 && p50Ratio.median < 1;
      else if (ratio !== undefined && c.target !== undefined) met = ratio.median >= c.target;
      const { counters } = merge(own);
      return {
        group: c.group,
        name: c.name,
        baseline: c.baseline,
        target: c.target,
        faster: c.faster === true,
        requests: own.reduce((sum, s) => sum + s.latencies.length, 0),
        reqPerSec: spread(own.map(reqPerSec)),
        ratio,
        p50,
        p99: percentile(own, 0.99),
        baselineP50,
        p50Ratio,
        cpuPerRequestUs: spread(own.map(cpuPerRequest)),
        cpuRatio,
        also,
        serverBusy: spread(own.map((s) => s.serverCpuUs / 1e6 / s.seconds)).median,
        clientBusy: spread(own.map((s) => s.clientCpuUs / 1e6 / s.seconds)).median,
        counters,
        met,
      };
    });
    for (const server of servers) {
      const errors = await server.call<ServerErrors>('errors');
      if (errors.count > 0) throw new Error(`HTTP scenario: the server pid ${server.pid} reported ${errors.count} errors, such as: ${errors.examples.join('; ')}`);
    }
    for (const r of results) {
      if (r.counters !== undefined && r.counters.misses !== 0) throw new Error(`HTTP scenario: "${r.name}" missed the cache ${r.counters.misses} times: not L1 hits`);
    }
    const notModified = merge(cases.filter((c) => c.status === 304).flatMap((c) => samples.get(c)!)).counters!;
    return {
      results,
      settings,
      sizes: { product: first.body.length, list: list.body.length, listGzip: listGzip.body.length },
      productType: first.headers['content-type'] ?? '',
      notModifiedWork: { serialized: notModified.serialized, hashed: notModified.hashed, compressed: notModified.compressed },
    };
  } finally {
    const closed = await Promise.allSettled(servers.map((server) => server.close()));
    const failed = closed.find((result) => result.status === 'rejected');
    // eslint-disable-next-line no-unsafe-finally
    if (failed !== undefined) throw failed.reason;
  }
}

/** The median latency of one sample. */
function sampleP50(sample: HttpSample): number {
  return quantile(Float64Array.from(sample.latencies).sort(), 0.5);
}

/** The `q` quantile of every latency of `samples`, pooled. */
function percentile(samples: readonly HttpSample[], q: number): number {
  const total = samples.reduce((sum, s) => sum + s.latencies.length, 0);
  const all = new Float64Array(total);
  let at = 0;
  for (const s of samples) {
    all.set(s.latencies, at);
    at += s.latencies.length;
  }
  all.sort();
  return quantile(all, q);
}

// ---------------------------------------------------------------- tables and targets

const COLUMNS = ['case', 'median req/s', 'min-max req/s', 'p50 ms', 'p99 ms', 'server CPU/req', 'CPU busy: server, client', 'compared with', 'ratio (min-max)', 'target'];

function formatRate(value: number): string {
  return value >= 1e3 ? `${(value / 1e3).toPrecision(3)}k` : value.toPrecision(3);
}

function formatRatio(value: number): string {
  return `${(value * 100).toFixed(0)}%`;
}

function targetCell(r: HttpCaseResult): string {
  if (r.met === undefined) return '';
  const wanted = r.faster ? 'faster (ratio > 100%, lower p50 within rounds)' : `>= ${formatRatio(r.target!)}`;
  return `${wanted}: ${r.met ? 'met' : 'NOT met'}`;
}

/** The HTTP rows, for {@link textTable} and {@link markdownTable}. */
export function httpTable(findings: HttpFindings): Table {
  const rows: TableRow[] = [];
  let group: string | undefined;
  for (const r of findings.results) {
    if (r.group !== group) {
      group = r.group;
      rows.push({ group });
    }
    rows.push([
      r.name,
      formatRate(r.reqPerSec.median),
      `${formatRate(r.reqPerSec.min)}-${formatRate(r.reqPerSec.max)}`,
      formatMs(r.p50),
      formatMs(r.p99),
      `${r.cpuPerRequestUs.median.toFixed(0)} µs`,
      `${formatRatio(r.serverBusy)}, ${formatRatio(r.clientBusy)}`,
      r.baseline ?? '',
      r.ratio === undefined ? '' : `${formatRatio(r.ratio.median)} (${formatRatio(r.ratio.min)}-${formatRatio(r.ratio.max)})`,
      targetCell(r),
    ]);
  }
  return { columns: COLUMNS, left: new Set([0, 7, 9]), rows };
}

/** The target lines of the HTTP cases, for the report and the console. */
export function httpTargets(findings: HttpFindings): string[] {
  const lines: string[] = [];
  for (const r of findings.results) {
    if (r.met === undefined || r.ratio === undefined) continue;
    const rounds = `(rounds: ${formatRatio(r.ratio.min)} to ${formatRatio(r.ratio.max)})`;
    if (r.faster) {
      lines.push(
        `- ${r.met ? 'Met' : '**Not met**'}: ${r.name} answered faster than "${r.baseline!}": ` +
          `${formatRatio(r.ratio.median)} of its requests/s ${rounds}; its p50 ${formatRatio(r.p50Ratio!.median)} of the baseline's within a round (rounds: ${formatRatio(r.p50Ratio!.min)} to ${formatRatio(r.p50Ratio!.max)}; ` +
          `pooled over the rounds ${formatMs(r.p50)} ms against ${formatMs(r.baselineP50!)} ms).`,
      );
    } else {
      const base = findings.results.find((b) => b.name === r.baseline)!;
      lines.push(
        `- ${r.met ? 'Met' : '**Not met**'}: ${r.name} >= ${formatRatio(r.target!)} of the requests/s of "${r.baseline!}": measured ${formatRatio(r.ratio.median)} ${rounds}. ` +
          `Server CPU per request: ${r.cpuPerRequestUs.median.toFixed(0)} µs against ${base.cpuPerRequestUs.median.toFixed(0)} µs, ` +
          `so ${formatRatio(r.cpuRatio!.median)} of its requests/s where the server's CPU sets the pace.` +
          (r.also === undefined
            ? ''
            : ` Against "${r.also.name}": ${formatRatio(r.also.ratio.median)} of its requests/s (rounds: ${formatRatio(r.also.ratio.min)} to ${formatRatio(r.also.ratio.max)}), ${formatRatio(r.also.cpuRatio.median)} by server CPU.`),
      );
    }
  }
  const work = findings.notModifiedWork;
  const requests = findings.results.filter((r) => r.name === CACHED_304 || r.name === CACHED_LIST_304).reduce((sum, r) => sum + r.requests, 0);
  const none = work.serialized === 0 && work.hashed === 0 && work.compressed === 0;
  lines.push(
    `- ${none ? 'Met' : '**Not met**'}: the ${requests.toLocaleString('en-US')} responses 304 of the measured rounds (both routes) serialised, hashed and compressed no body: ` +
      `\`httpCache(...).stats()\` moved by serialized +${work.serialized}, hashed +${work.hashed}, compressed +${work.compressed}.`,
  );
  return lines;
}
