import { fork, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { exited, isRunning, killOnExit, terminate } from '../helpers/child-process.js';
import { callerOrigin, trackLeftover } from '../helpers/leftovers.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';

/**
 * The rig of spec/demo: the Koa demo (`build/demo/main.js`) and its launcher
 * (`build/demo/replicas.js`) run as real child processes on a private Redis, and a raw HTTP
 * client that shows the responses exactly as they were sent (no decompression, every field line).
 *
 * The protocol the demo follows:
 * - `main.js` (env PORT, REDIS_URL, DEMO_RATE_LIMIT, DEMO_RATE_WINDOW, DEMO_SLOW_MS,
 *   DEMO_REPLICA_ID) prints `tiercache demo listening on http://127.0.0.1:<port>` and, forked
 *   with IPC, sends `{ type: 'listening', port, replicaId }`; SIGTERM closes it with code 0.
 * - `replicas.js` (env DEMO_BASE_PORT, REDIS_URL) prints `replica <id>: http://127.0.0.1:<port>`
 *   per replica and sends `{ type: 'ready', urls }` once all three listen; SIGTERM stops them all.
 */

/** `build/demo/main.js`: one replica of the demo. */
export const DEMO_MAIN = fileURLToPath(new URL('../../demo/main.js', import.meta.url));
/** `build/demo/replicas.js`: the launcher of three replicas. */
export const DEMO_REPLICAS = fileURLToPath(new URL('../../demo/replicas.js', import.meta.url));

/** How much of a child's output is kept for failure messages. */
const OUTPUT_TAIL = 8_000;

/** A demo process (a replica or the launcher) forked with IPC, its output captured. */
export class DemoProcess {
  readonly #child: ChildProcess;
  readonly #what: string;
  #output = '';

  /** @internal Use {@link forkDemo}. */
  constructor(child: ChildProcess, what: string) {
    this.#child = child;
    this.#what = what;
    const collect = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-OUTPUT_TAIL);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  get child(): ChildProcess {
    return this.#child;
  }

  /** The last few KiB of stdout and stderr, interleaved as they came. */
  get output(): string {
    return this.#output;
  }

  /** How it exited: `code 0`, `signal SIGKILL`, or `running`. */
  get exit(): string {
    if (isRunning(this.#child)) return 'running';
    return this.#child.signalCode === null ? `code ${this.#child.exitCode}` : `signal ${this.#child.signalCode}`;
  }

  /**
   * Sends `signal` (SIGKILL after `graceMs`) and resolves once the process has exited, with how it
   * exited (`code 0` for a clean stop).
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<string> {
    await terminate(this.#child, signal, graceMs);
    return this.exit;
  }

  describe(): string {
    return `${this.#what} (pid ${this.pid}, ${this.exit})`;
  }
}

/** Options of {@link forkDemo}. */
export interface ForkDemoOptions {
  /** Added to this process's environment. */
  env?: Readonly<Record<string, string>>;
  /** @defaultValue 20000 */
  readyTimeoutMs?: number;
}

/**
 * Forks `modulePath` with IPC and resolves with the first message of type `readyType` (and the
 * process) once it comes. Rejects, with the child's output, if the child exits first or the message
 * does not come within `readyTimeoutMs` (the child is then killed).
 */
export async function forkDemo<M extends { type: string }>(modulePath: string, readyType: M['type'], options: ForkDemoOptions = {}): Promise<{ process: DemoProcess; message: M }> {
  const { env = {}, readyTimeoutMs = 20_000 } = options;
  const origin = callerOrigin();
  const child = fork(modulePath, [], {
    env: { ...process.env, ...env },
    execArgv: [],
    serialization: 'json',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  killOnExit(child);
  const demo = new DemoProcess(child, modulePath);
  const forget = trackLeftover(`demo process pid ${demo.pid} (${modulePath})`, origin, async () => void (await demo.stop('SIGKILL')));
  child.once('close', forget);

  let timer: NodeJS.Timeout | undefined;
  let onMessage: ((message: unknown) => void) | undefined;
  try {
    const message = await new Promise<M>((resolve, reject) => {
      onMessage = (value) => {
        if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === readyType) resolve(value as M);
      };
      child.on('message', onMessage);
      child.once('error', (error) => reject(new Error(`${modulePath} could not be forked: ${error.message}`, { cause: error })));
      void exited(child).then(() => reject(new Error(`${demo.describe()} exited before sending a '${readyType}' message; its output:\n${demo.output}`)));
      timer = setTimeout(() => reject(new Error(`${demo.describe()} sent no '${readyType}' message within ${readyTimeoutMs} ms; its output:\n${demo.output}`)), readyTimeoutMs);
    });
    return { process: demo, message };
  } catch (error) {
    await demo.stop('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
    if (onMessage !== undefined) child.off('message', onMessage);
  }
}

/** The `listening` message of `main.js`. */
export interface ListeningMessage {
  type: 'listening';
  port: number;
  replicaId: string;
}

/** One running replica of `build/demo/main.js`. */
export interface DemoReplica {
  readonly process: DemoProcess;
  readonly port: number;
  readonly replicaId: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
}

/** Forks one replica of `build/demo/main.js` on a free port and resolves once it listens. */
export async function startDemoReplica(env: Readonly<Record<string, string>>): Promise<DemoReplica> {
  const { process: demo, message } = await forkDemo<ListeningMessage>(DEMO_MAIN, 'listening', { env: { PORT: '0', ...env } });
  if (!Number.isInteger(message.port) || message.port <= 0) {
    await demo.stop('SIGKILL');
    throw new Error(`the 'listening' message of ${demo.describe()} has no valid port: ${JSON.stringify(message)}`);
  }
  return { process: demo, port: message.port, replicaId: String(message.replicaId), url: `http://127.0.0.1:${message.port}` };
}

/** What {@link useDemoReplicas} starts. */
export interface DemoRig {
  readonly redis: RedisServer;
  readonly replicas: readonly DemoReplica[];
}

/**
 * In `before`: a private Redis and `count` replicas of `build/demo/main.js` on it (PORT=0,
 * REDIS_URL, and `envFor(i)`), started in parallel. In `after`: SIGTERM to each replica, then the
 * Redis stopped; fails if a replica did not exit with code 0 (the demo's contract).
 */
export function useDemoReplicas(count: number, envFor: (index: number) => Record<string, string>): () => DemoRig {
  let redis: RedisServer | undefined;
  let replicas: DemoReplica[] = [];
  before(async function () {
    this.timeout(40_000);
    redis = await startRedis();
    const url = redis.url;
    const started = await Promise.allSettled(Array.from({ length: count }, (_, index) => startDemoReplica({ REDIS_URL: url, ...envFor(index) })));
    replicas = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  });
  after(async function () {
    this.timeout(30_000);
    const exits = await Promise.all(replicas.map(async (replica) => [replica, await replica.process.stop('SIGTERM')] as const));
    await redis?.stop();
    const unclean = exits.filter(([, exit]) => exit !== 'code 0');
    if (unclean.length > 0) {
      throw new Error(
        `demo replicas did not exit with code 0 on SIGTERM:\n${unclean.map(([replica, exit]) => `  ${replica.replicaId}: ${exit}; output:\n${replica.process.output}`).join('\n')}`,
      );
    }
  });
  return () => {
    if (redis === undefined || replicas.length < count) throw new Error('useDemoReplicas(): the rig is only available once `before` has run');
    return { redis, replicas };
  };
}

// ---------------------------------------------------------------------------------------------
// A raw HTTP client

/** A response as it came over the wire. */
export interface RawResponse {
  readonly status: number;
  /** Node's view: lower-case names, repeated lines joined (or arrays, for set-cookie). */
  readonly headers: IncomingHttpHeaders;
  /** Every field line, in order, names as sent. */
  readonly lines: readonly (readonly [string, string])[];
  /** The body bytes, still content-coded. */
  readonly body: Buffer;
}

/** Options of {@link send}. */
export interface SendOptions {
  /** Request fields; an array value is sent as several field lines. */
  headers?: OutgoingHttpHeaders;
  /** A string or bytes as they are, anything else as JSON (with `Content-Type: application/json`). */
  body?: unknown;
  /** @defaultValue 10000 */
  timeoutMs?: number;
}

/**
 * One request over a fresh connection (no agent, so no socket outlives it), to `base`
 * (`http://127.0.0.1:<port>`). The body is collected as bytes and never decompressed.
 */
export function send(base: string, method: string, path: string, options: SendOptions = {}): Promise<RawResponse> {
  const { timeoutMs = 10_000 } = options;
  const target = new URL(path, base);
  const headers: OutgoingHttpHeaders = { ...options.headers };
  let payload: Buffer | undefined;
  if (options.body !== undefined) {
    if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) {
      payload = Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, 'utf8');
    } else {
      payload = Buffer.from(JSON.stringify(options.body), 'utf8');
      if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    }
    headers['Content-Length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: target.hostname, port: target.port, method, path: `${target.pathname}${target.search}`, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const lines: [string, string][] = [];
          for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) lines.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, lines, body: Buffer.concat(chunks) });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${target.href}: no response within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The values of every field line named `name` (case-insensitive), in order. */
export function fieldLines(response: RawResponse, name: string): string[] {
  const lower = name.toLowerCase();
  return response.lines.filter(([field]) => field.toLowerCase() === lower).map(([, value]) => value);
}

/** The field `name` as one value (its lines joined by `, `), or `undefined` when absent. */
export function field(response: RawResponse, name: string): string | undefined {
  const lines = fieldLines(response, name);
  return lines.length === 0 ? undefined : lines.join(', ');
}

/** The members of a list field across all its lines, trimmed, in lower case. */
export function listMembers(response: RawResponse, name: string): string[] {
  return fieldLines(response, name)
    .flatMap((line) => line.split(','))
    .map((member) => member.trim().toLowerCase())
    .filter((member) => member !== '');
}

/** The body parsed as JSON (it must be identity-coded). */
export function json<T = any>(response: RawResponse): T {
  return JSON.parse(response.body.toString('utf8')) as T;
}

// ---------------------------------------------------------------------------------------------
// Validators and dates

/** A strong ETag of the demo: `"<length in hex>-<27 base64url>"`, `-gzip`/`-br` under compression. */
export const ETAG = /^"([0-9a-f]+)-([A-Za-z0-9_-]{27})(?:-(gzip|br))?"$/;

/** The tag of `identityTag`'s representation under `coding`: `"x"` -> `"x-gzip"`. */
export function encodedTag(identityTag: string, coding: 'gzip' | 'br'): string {
  return `${identityTag.slice(0, -1)}-${coding}"`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');
const clock = (d: Date): string => `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;

/** `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 5.6.7). */
export function imfFixdate(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${clock(d)} GMT`;
}

/** `Sunday, 06-Nov-94 08:49:37 GMT`, the obsolete RFC 850 format. */
export function rfc850Date(ms: number): string {
  const d = new Date(ms);
  return `${LONG_DAYS[d.getUTCDay()]}, ${two(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${two(d.getUTCFullYear() % 100)} ${clock(d)} GMT`;
}

/** `Sun Nov  6 08:49:37 1994`, ANSI C's asctime() format, which has no zone (read as UTC). */
export function asctimeDate(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${clock(d)} ${d.getUTCFullYear()}`;
}
