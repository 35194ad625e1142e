/**
 * One HTTP server of the Koa benchmark (`http.ts`), run in its own Node process by the spec's
 * replica harness (`startReplica`): either the demo shop (`createShopApp` of demo/app.ts, on the
 * benchmark's private Redis) or a bare Koa app whose routes send fixed bytes: the response the
 * demo sent for the same request, every field and the body. The bare app comes in two stacks:
 * `bare` is koa + @koa/router alone; `stack` is the demo's own middleware without tiercache
 * (koa-compress outermost, the demo's `jsonErrors`, the router), so that the difference between
 * it and the demo is what tiercache costs.
 *
 * Each server has a process of its own: the demo's middleware runs every request in an
 * AsyncLocalStorage context, which turns on promise hooks for the whole process and would slow a
 * bare server sharing it. The parent drives the load (autocannon) and reads, over IPC, this
 * process's CPU time and the demo's counters around each sample.
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import type { ReplicaHandlers } from '../../spec/helpers/replica.js';

/** A route of the bare app: the exact bytes and fields the demo sent, or a JSON value compressed per request. */
export interface BareRoute {
  readonly path: string;
  /** base64 of the body bytes, sent as they are. */
  readonly body?: string;
  /** Response fields sent with `body`: every field of the demo's response but those Node writes itself (Date, Connection, Keep-Alive, Content-Length). */
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON text, parsed once; each request sets the value as `ctx.body` behind koa-compress, so it is serialised and compressed per request. */
  readonly json?: string;
}

export type HttpServerInit = { readonly kind: 'demo'; readonly redisUrl: string } | { readonly kind: 'bare' | 'stack'; readonly routes: readonly BareRoute[] };

/** The errors a server's Koa app reported (client aborts aside), with up to 3 distinct messages. */
export interface ServerErrors {
  count: number;
  examples: string[];
}

/** What the demo child reports besides CPU: the middleware's counters and the engine's. */
export interface DemoCounters {
  readonly http: { requests: number; serialized: number; hashed: number; compressed: number; statuses: Record<number, number> };
  readonly cache: { l1Hits: number; l2Hits: number; misses: number; factoryCalls: number };
}

export async function setup(init: HttpServerInit): Promise<ReplicaHandlers> {
  return init.kind === 'demo' ? demo(init.redisUrl) : bare(init.routes, init.kind === 'stack');
}

/** Codes of a write to a connection the client closed: autocannon closes its sockets mid-response at the end of each sample. */
const CLIENT_GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'EPIPE', 'ECONNRESET']);

/**
 * Counts the errors Koa reports, except those of a client that closed its connection
 * mid-response. Without a listener Koa would print each to stderr.
 */
function countErrors(app: { on(event: 'error', listener: (error: unknown) => void): unknown }): () => ServerErrors {
  const errors: ServerErrors = { count: 0, examples: [] };
  app.on('error', (error) => {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && CLIENT_GONE.has(code)) return;
    errors.count++;
    const text = `${typeof code === 'string' ? code : ''} ${error instanceof Error ? error.message : String(error)}`.trim();
    if (errors.examples.length < 3 && !errors.examples.includes(text)) errors.examples.push(text);
  });
  return () => errors;
}

/** CPU time (user + system) of this process so far, in microseconds. */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function shut(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error))));
}

async function bare(routes: readonly BareRoute[], stack: boolean): Promise<ReplicaHandlers> {
  // Imported here so the demo's process never loads them twice.
  const { default: Koa } = await import('koa');
  const { default: Router } = await import('@koa/router');
  const { default: compress } = await import('koa-compress');
  const app = new Koa();
  if (stack) {
    // The demo's order (demo/app.ts), with httpCache and the decorated services left out.
    const { jsonErrors } = await import('../../demo/json-errors.js');
    app.use(compress());
    app.use(jsonErrors());
  }
  const router = new Router();
  for (const route of routes) {
    if (route.json !== undefined) {
      const value: unknown = JSON.parse(route.json);
      // The stack's own koa-compress does it there; the bare app has one on this route only.
      const send = (ctx: { body: unknown }): void => {
        ctx.body = value;
      };
      if (stack) router.get(route.path, send);
      else router.get(route.path, compress({ threshold: 1024 }), send);
    } else {
      const body = Buffer.from(route.body ?? '', 'base64');
      const headers = route.headers ?? {};
      router.get(route.path, (ctx) => {
        ctx.set(headers);
        ctx.body = body;
      });
    }
  }
  app.use(router.routes());
  const errors = countErrors(app);
  const handle = app.callback();
  // As the demo's `listen` does it.
  const server = createServer((req, res) => void handle(req, res));
  const port = await listen(server);
  return {
    port: async () => port,
    cpu: async () => cpuMicros(),
    errors: async () => errors(),
    close: () => shut(server),
  };
}

async function demo(redisUrl: string): Promise<ReplicaHandlers> {
  const { createShopApp } = await import('../../demo/app.js');
  // DEMO_SLOW_MS (50 ms) only slows the first read of each product: every timed request is an L1 hit.
  const shop = await createShopApp({ redisUrl });
  const errors = countErrors(shop.app);
  const { port } = await shop.listen(0, '127.0.0.1');
  return {
    port: async () => port,
    cpu: async () => cpuMicros(),
    errors: async () => errors(),
    counters: async (): Promise<DemoCounters> => {
      const { requests, serialized, hashed, compressed, statuses } = shop.http.stats();
      const stats = shop.cache.stats();
      return {
        http: { requests, serialized, hashed, compressed, statuses },
        cache: { l1Hits: stats.hits.l1, l2Hits: stats.hits.l2, misses: stats.misses, factoryCalls: stats.factoryCalls },
      };
    },
    close: () => shop.close(),
  };
}
