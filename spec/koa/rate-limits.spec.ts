import Router from '@koa/router';
import { expect } from 'chai';
import type Koa from 'koa';
import compress from 'koa-compress';
import { Cached, HttpCacheable, peekRateLimit, RateLimited, runWithContext, type CacheEngine } from '../../lib/index.js';
import { httpCache, type HttpCacheMiddleware, type HttpCacheOptions } from '../../lib/koa/index.js';
import { expectedEtag, quietApp, send, useKoa } from './helpers.js';

/**
 * 429 and the rate-limit fields (API.md section 3; draft-ietf-httpapi-ratelimit-headers-08+, RFC 9110
 * 10.2.3 Retry-After, RFC 6585 4). The engines are L1-only on a FakeClock, so the in-process
 * limiter reads the fake time and every number is exact.
 */

interface SearchService {
  calls: number;
  /** @HttpCacheable over @RateLimited over @Cached: hits are limited too. */
  search(q: string): Promise<{ q: string; hits: number[] }>;
  /** @RateLimited only, `limit: 3, window: '10s'`: a token every 3.33 s. */
  order(): Promise<{ ok: true }>;
}

function searchServiceOf(cache: CacheEngine): SearchService {
  class Search implements SearchService {
    calls = 0;

    @HttpCacheable({ maxAge: 10 })
    @RateLimited({ limit: 2, window: '1m', name: 'search', cache: () => cache })
    @Cached({ cache: () => cache, ttl: '1m' })
    async search(q: string): Promise<{ q: string; hits: number[] }> {
      this.calls++;
      return { q, hits: [1, 2, 3] };
    }

    @RateLimited({ limit: 3, window: '10s', cache: () => cache })
    async order(): Promise<{ ok: true }> {
      return { ok: true };
    }
  }
  return new Search();
}

function searchApp(service: SearchService, cache: CacheEngine, options: HttpCacheOptions = {}): { app: Koa; http: HttpCacheMiddleware } {
  const app = quietApp();
  const http = httpCache({ cache, ...options });
  const router = new Router();
  router.get('/search', async (ctx) => {
    ctx.body = await service.search(String(ctx.query['q']));
  });
  router.post('/orders', async (ctx) => {
    ctx.status = 201;
    ctx.body = await service.order();
  });
  app.use(compress());
  app.use(http);
  app.use(router.routes());
  return { app, http };
}

describe('httpCache and @RateLimited', () => {
  const koa = useKoa();
  let cache: CacheEngine;
  let service: SearchService;
  beforeEach(async () => {
    cache = await koa.engine();
    service = searchServiceOf(cache);
  });

  describe('within the limit', () => {
    it('a cacheable response carries RateLimit and RateLimit-Policy beside its caching fields', async () => {
      const port = await koa.serve(searchApp(service, cache).app);
      const first = await send(port, '/search?q=lamp');
      expect(first.status).to.equal(200);
      expect(first.headers['ratelimit-policy']).to.equal('"search";q=2;w=60');
      // Token bucket, 2 per minute: one token gone, full again in 30 s.
      expect(first.headers['ratelimit']).to.equal('"search";r=1;t=30');
      expect(first.headers['cache-control']).to.equal('public, max-age=10');
      expect(first.headers.etag).to.equal(expectedEtag(JSON.stringify({ q: 'lamp', hits: [1, 2, 3] })));
      // A revalidation is a call too (the hit is limited), and its 304 reports it.
      const second = await send(port, '/search?q=lamp', { headers: { 'if-none-match': first.headers.etag! } });
      expect(second.status).to.equal(304);
      expect(second.headers['ratelimit']).to.equal('"search";r=0;t=60');
      expect(service.calls).to.equal(1);
    });

    it('a response that is not cacheable carries RateLimit too', async () => {
      const port = await koa.serve(searchApp(service, cache).app);
      const response = await send(port, '/orders', { method: 'POST' });
      expect(response.status).to.equal(201);
      expect(response.headers['ratelimit-policy']).to.equal('"order";q=3;w=10');
      // 3 per 10 s: a token every 3,334 ms, full again in 3.33 s, rounded up.
      expect(response.headers['ratelimit']).to.equal('"order";r=2;t=4');
      expect(response.headers).not.to.have.property('cache-control');
    });
  });

  describe('over the limit: 429 (RFC 6585 4)', () => {
    it('carries Retry-After, RateLimit-Policy, RateLimit, Cache-Control: no-store, and no validators', async () => {
      const port = await koa.serve(searchApp(service, cache).app);
      await send(port, '/search?q=lamp');
      await send(port, '/search?q=lamp');
      const response = await send(port, '/search?q=lamp', { headers: { 'accept-encoding': 'gzip' } });
      expect(response.status).to.equal(429);
      expect(response.headers['retry-after']).to.equal('30');
      expect(response.headers['ratelimit-policy']).to.equal('"search";q=2;w=60');
      expect(response.headers['ratelimit']).to.equal('"search";r=0;t=60');
      expect(response.headers['cache-control']).to.equal('no-store');
      expect(response.headers).not.to.have.property('etag');
      expect(response.headers).not.to.have.property('last-modified');
      expect(response.headers).not.to.have.property('content-encoding');
      expect(response.headers['content-type']).to.equal('application/json; charset=utf-8');
      expect(response.json()).to.deep.equal({ error: 'Too Many Requests', message: 'rate limit "search" exceeded: retry in 30000 ms', retryAfter: 30 });
      expect(service.calls, 'the method ran for the first call only (the second was an L1 hit)').to.equal(1);
    });

    it('a 429 answers a conditional request too: If-None-Match does not turn it into a 304', async () => {
      const port = await koa.serve(searchApp(service, cache).app);
      const first = await send(port, '/search?q=lamp');
      await send(port, '/search?q=lamp');
      const response = await send(port, '/search?q=lamp', { headers: { 'if-none-match': first.headers.etag! } });
      expect(response.status).to.equal(429);
      expect(response.headers).not.to.have.property('etag');
    });

    it('rounds Retry-After and t up to whole seconds (RFC 9110 10.2.3)', async () => {
      const port = await koa.serve(searchApp(service, cache).app);
      for (let i = 0; i < 3; i++) expect((await send(port, '/orders', { method: 'POST' })).status).to.equal(201);
      koa.clock().advance(1);
      const response = await send(port, '/orders', { method: 'POST' });
      expect(response.status).to.equal(429);
      // The next token in 3,333.3 - 1 ms: 4 s, not 3.
      expect(response.headers['retry-after']).to.equal('4');
      expect(response.headers['ratelimit']).to.equal('"order";r=0;t=10');
      expect((response.json() as { retryAfter: number }).retryAfter).to.equal(4);
      koa.clock().advance(3_333);
      expect((await send(port, '/orders', { method: 'POST' })).status, 'admitted once the token is back').to.equal(201);
    });

    it('counts 429s in stats()', async () => {
      const { app, http } = searchApp(service, cache);
      const port = await koa.serve(app);
      for (let i = 0; i < 3; i++) await send(port, '/search?q=lamp');
      expect(http.stats().statuses).to.deep.equal({ 200: 2, 429: 1 });
    });
  });

  describe('the client a limit keys on', () => {
    /** What the bucket of `clientId` has left, read without consuming. */
    const remainingFor = async (clientId: string): Promise<number> => (await runWithContext({ clientId }, () => peekRateLimit(service.search, 'lamp'))).remaining;

    it('is ctx.ip by default: X-Forwarded-For counts only with app.proxy', async () => {
      const { app } = searchApp(service, cache);
      const port = await koa.serve(app);
      const from = (ip: string) => send(port, '/search?q=lamp', { headers: { 'x-forwarded-for': ip } });
      expect((await from('10.0.0.1')).status).to.equal(200);
      expect((await from('10.0.0.2')).status).to.equal(200);
      expect((await from('10.0.0.3')).status, 'one bucket: 127.0.0.1').to.equal(429);
      expect(await remainingFor('127.0.0.1')).to.equal(0);
      expect(await remainingFor('10.0.0.1')).to.equal(2);
    });

    it('follows X-Forwarded-For behind a trusted proxy (app.proxy)', async () => {
      const { app } = searchApp(service, cache);
      app.proxy = true;
      const port = await koa.serve(app);
      const from = (ip: string) => send(port, '/search?q=lamp', { headers: { 'x-forwarded-for': ip } });
      expect((await from('10.0.0.1')).status).to.equal(200);
      expect((await from('10.0.0.1')).status).to.equal(200);
      expect((await from('10.0.0.1')).status).to.equal(429);
      const other = await from('10.0.0.2');
      expect(other.status, 'another client, another bucket').to.equal(200);
      expect(other.headers['ratelimit']).to.equal('"search";r=1;t=30');
      expect(await remainingFor('10.0.0.1')).to.equal(0);
      expect(await remainingFor('10.0.0.2')).to.equal(1);
      expect(await remainingFor('127.0.0.1')).to.equal(2);
    });

    it('is what the clientId option returns, and one shared bucket when it returns undefined', async () => {
      const { app } = searchApp(service, cache, { clientId: (ctx) => ctx.get('x-api-key') || undefined });
      const port = await koa.serve(app);
      const withKey = (key: string | undefined) => send(port, '/search?q=lamp', { headers: key === undefined ? {} : { 'x-api-key': key } });
      expect((await withKey('alice')).status).to.equal(200);
      expect((await withKey('alice')).status).to.equal(200);
      expect((await withKey('alice')).status).to.equal(429);
      expect((await withKey('bob')).status).to.equal(200);
      expect(await remainingFor('alice')).to.equal(0);
      expect(await remainingFor('bob')).to.equal(1);
      expect(await remainingFor('127.0.0.1'), 'not the IP').to.equal(2);
      expect((await withKey(undefined)).status).to.equal(200);
      expect((await withKey(undefined)).status).to.equal(200);
      expect((await withKey(undefined)).status, 'requests without a key share one bucket').to.equal(429);
    });

    it('is read from the request only when a limiter asks for it, and at most once per request', async () => {
      const asked: string[] = [];
      const { app } = searchApp(service, cache, {
        clientId: (ctx) => {
          asked.push(ctx.path);
          return ctx.ip;
        },
      });
      const router = new Router();
      router.get('/plain', (ctx) => {
        ctx.body = { ok: true };
      });
      router.get('/twice', async (ctx) => {
        await service.order();
        ctx.body = await service.order();
      });
      app.use(router.routes());
      const port = await koa.serve(app);
      expect((await send(port, '/plain')).status).to.equal(200);
      expect(asked, 'no limiter ran: the client was never looked up').to.deep.equal([]);
      expect((await send(port, '/twice')).status).to.equal(200);
      expect(asked, 'two limited calls, one lookup').to.deep.equal(['/twice']);
    });
  });
});
