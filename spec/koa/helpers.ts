import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { createCache, type CacheEngine, type CacheOptions } from '../../lib/index.js';
import { FakeClock } from '../../lib/testing/index.js';

/**
 * Shared by the specs of spec/koa: a raw HTTP client that leaves bodies as they came (no
 * decompression, no keep-alive), Koa apps on port 0 closed after each test, and engines on a
 * FakeClock, so ages in Cache-Control are exact.
 */

/** A response as it came off the wire: the body is not decompressed. */
export interface RawResponse {
  readonly status: number;
  /** By lower-case name, as Node's client gives them. */
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The body as UTF-8 text. */
  text(): string;
  /** The body parsed as JSON. */
  json(): unknown;
}

/** Options of {@link send}. */
export interface SendOptions {
  /** @default 'GET' */
  method?: string;
  /** Request fields; Node adds Host and Connection only (no Accept-Encoding unless given). */
  headers?: Record<string, string | string[]>;
  /** A request body, sent as it is. */
  body?: string;
}

/**
 * Sends one request to 127.0.0.1:`port` over a fresh connection (no agent, no keep-alive) and
 * resolves with the raw response.
 */
export function send(port: number, path: string, options: SendOptions = {}): Promise<RawResponse> {
  const { method = 'GET', headers = {}, body } = options;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: bytes,
          text: () => bytes.toString('utf8'),
          json: () => JSON.parse(bytes.toString('utf8')) as unknown,
        });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The strong ETag the API promises for a body: `"<byte length in hex>-<27 base64url chars of its SHA-256>"`, computed here independently. */
export function expectedEtag(body: Buffer | string): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return `"${bytes.length.toString(16)}-${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
}

/** The shape of every strong body ETag. */
export const STRONG_ETAG = /^"[0-9a-f]+-[A-Za-z0-9_-]{27}"$/;

/**
 * Starts apps and engines for one test and closes them after it: `serve(app)` listens on port 0
 * and resolves with the port; `engine(options)` is an L1-only engine on `clock()` (a FakeClock
 * new for each test), no TTL jitter, no early refresh.
 */
export function useKoa(): {
  serve(app: Koa): Promise<number>;
  engine(options?: Partial<CacheOptions>): Promise<CacheEngine>;
  clock(): FakeClock;
} {
  const servers: Server[] = [];
  const engines: CacheEngine[] = [];
  let clock: FakeClock | undefined;
  let counter = 0;
  beforeEach(() => {
    clock = new FakeClock(Date.UTC(2026, 0, 15, 12, 0, 0));
  });
  afterEach(async () => {
    await Promise.all(
      servers.splice(0).map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
    await Promise.all(engines.splice(0).map((engine) => engine.close()));
  });
  return {
    async serve(app) {
      const server = app.listen(0, '127.0.0.1');
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        if (server.listening) resolve();
        server.once('listening', resolve);
        server.once('error', reject);
      });
      return (server.address() as AddressInfo).port;
    },
    async engine(options = {}) {
      const engine = createCache({
        namespace: `koa${process.pid}x${++counter}`,
        l2: false,
        clock: clock!,
        earlyRefresh: false,
        ttlJitter: 0,
        ...options,
      });
      engines.push(engine);
      await engine.ready();
      return engine;
    },
    clock: () => clock!,
  };
}

/** A Koa app that does not print the errors the tests provoke. */
export function quietApp(): Koa {
  const app = new Koa();
  app.silent = true;
  return app;
}

/** A product whose JSON is about 2 KiB: above the 1024-byte compression threshold. */
export interface Product {
  id: number;
  name: string;
  updatedAt: number;
  description: string;
}

export function product(id: number, name = `product ${id}`, updatedAt = Date.UTC(2026, 0, 2, 8, 30, 0)): Product {
  return { id, name, updatedAt, description: `A fine ${name}, described at length. `.repeat(60) };
}

/** The HTTP-date of the product's `updatedAt`. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
