import { expect } from 'chai';
import { Cached, HttpCacheable, type CacheEngine } from '../../lib/index.js';
import { catalogApp, catalogOf, type Catalog } from './catalog.js';
import { send, useKoa, type RawResponse } from './helpers.js';

/** API.md section 3: "429s and errors carry `Cache-Control: no-store` and no validators". */
describe('httpCache and error responses', () => {
  const koa = useKoa();
  let cache: CacheEngine;
  let catalog: Catalog;
  let port: number;
  let stats: () => { statuses: Record<number, number> };

  beforeEach(async () => {
    cache = await koa.engine();
    catalog = catalogOf(cache);
    class Failing {
      @HttpCacheable({ maxAge: 60 })
      @Cached({ cache: () => cache })
      async load(): Promise<never> {
        throw new Error('the database is down');
      }
    }
    const failing = new Failing();
    const { app, router, http } = catalogApp(catalog, cache);
    stats = () => http.stats();
    // A handler that fails after a cacheable call succeeded: the record must not make it a 200's fields.
    router.get('/products/:id/crash', async (ctx) => {
      await catalog.getProduct(Number(ctx.params['id']));
      throw new Error('boom');
    });
    router.get('/products/:id/gone', async (ctx) => {
      await catalog.getProduct(Number(ctx.params['id']));
      ctx.throw(410, 'gone', { headers: { 'X-Reason': 'archived' } });
    });
    // A handler that answers 404 itself, from a cacheable call that found nothing.
    router.get('/lookup/:id', async (ctx) => {
      const found = await catalog.getProduct(Number(ctx.params['id']));
      if (found === null) {
        ctx.status = 404;
        ctx.body = { error: 'Not Found' };
        return;
      }
      ctx.body = found;
    });
    router.get('/broken', (ctx) => {
      ctx.status = 500;
      ctx.body = { error: 'broken' };
    });
    router.get('/failing', async (ctx) => {
      ctx.body = await failing.load();
    });
    port = await koa.serve(app);
  });

  function expectUncacheableError(response: RawResponse, status: number): void {
    expect(response.status).to.equal(status);
    expect(response.headers['cache-control']).to.equal('no-store');
    expect(response.headers).not.to.have.property('etag');
    expect(response.headers).not.to.have.property('last-modified');
    expect(response.headers).not.to.have.property('cdn-cache-control');
  }

  it('an error thrown by the handler after a cacheable call: 500, no-store, no ETag', async () => {
    const response = await send(port, '/products/1/crash');
    expectUncacheableError(response, 500);
    expect(response.text()).to.equal('Internal Server Error');
    expect(stats().statuses).to.deep.equal({ 500: 1 });
  });

  it('an error thrown by the @HttpCacheable method itself: 500, no-store', async () => {
    expectUncacheableError(await send(port, '/failing'), 500);
  });

  it('ctx.throw(404) from the handler: 404, no-store', async () => {
    const response = await send(port, '/products/9', { headers: { 'accept-encoding': 'gzip' } });
    expectUncacheableError(response, 404);
    expect(response.text()).to.equal('no such product');
    expect(catalog.calls, 'null is cached like any value').to.equal(1);
  });

  it('ctx.throw with headers of its own keeps them beside no-store', async () => {
    const response = await send(port, '/products/1/gone');
    expectUncacheableError(response, 410);
    expect(response.headers['x-reason']).to.equal('archived');
  });

  it('a 404 the handler set after a cacheable call: no-store, no ETag, its body kept', async () => {
    const response = await send(port, '/lookup/9');
    expectUncacheableError(response, 404);
    expect(response.json()).to.deep.equal({ error: 'Not Found' });
    const found = await send(port, '/lookup/1');
    expect(found.status).to.equal(200);
    expect(found.headers['cache-control']).to.equal('public, max-age=60, s-maxage=300');
  });

  it('a 404 for a path no route matches: no-store', async () => {
    expectUncacheableError(await send(port, '/nowhere'), 404);
  });

  it('a 500 a handler set itself, without a cacheable call: no-store', async () => {
    expectUncacheableError(await send(port, '/broken'), 500);
  });

  it('a conditional request for a failing resource still gets the error, never a 304', async () => {
    const response = await send(port, '/lookup/9', { headers: { 'if-none-match': '*' } });
    expectUncacheableError(response, 404);
  });
});
