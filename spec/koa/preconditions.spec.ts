import { expect } from 'chai';
import type { CacheEngine } from '../../lib/index.js';
import { checkPreconditions } from '../../lib/koa/index.js';
import { catalogApp, catalogOf, productTable, type Catalog } from './catalog.js';
import { expectedEtag, product, send, useKoa, type RawResponse } from './helpers.js';

const BODY_1 = Buffer.from(JSON.stringify(product(1)), 'utf8');
const TAG_1 = expectedEtag(BODY_1);
const UPDATED_AT = 'Fri, 02 Jan 2026 08:30:00 GMT';

/** `"<opaque>"` with `-<coding>` appended inside the quotes (RFC 9110 8.8.3.3). */
function suffixed(tag: string, coding: string): string {
  return `${tag.slice(0, -1)}-${coding}"`;
}

describe('checkPreconditions (tiercache/koa; RFC 9110 13.1, 13.2.2)', () => {
  const koa = useKoa();
  let cache: CacheEngine;
  let catalog: Catalog;
  let port: number;

  beforeEach(async () => {
    cache = await koa.engine();
    catalog = catalogOf(cache);
    const { app, router } = catalogApp(catalog, cache);
    // Update: the write happens only if the preconditions hold against the current product.
    router.put('/products/:id', async (ctx) => {
      const id = Number(ctx.params['id']);
      const outcome = checkPreconditions(ctx, await catalog.getProduct(id));
      ctx.set('X-Outcome', outcome);
      ctx.body = await catalog.saveProduct(id, ctx.get('X-Name'));
    });
    // Create: `If-None-Match: *` asks that nothing exist yet.
    router.post('/products/:id', async (ctx) => {
      const id = Number(ctx.params['id']);
      checkPreconditions(ctx, await catalog.getProduct(id));
      ctx.status = 201;
      ctx.body = await catalog.saveProduct(id, ctx.get('X-Name'));
    });
    port = await koa.serve(app);
  });

  const put = (headers: Record<string, string>, id = 1): Promise<RawResponse> => send(port, `/products/${id}`, { method: 'PUT', headers: { 'x-name': 'renamed', ...headers } });
  const post = (headers: Record<string, string>, id: number): Promise<RawResponse> => send(port, `/products/${id}`, { method: 'POST', headers: { 'x-name': 'created', ...headers } });

  /** A 412 before the handler's write: nothing written, no validators, not stored. */
  function expectFailedBeforeWrite(response: RawResponse, id = 1): void {
    expect(response.status).to.equal(412);
    expect(response.headers['cache-control']).to.equal('no-store');
    expect(response.headers).not.to.have.property('etag');
    expect(response.headers).not.to.have.property('last-modified');
    expect(response.headers).not.to.have.property('x-outcome');
    expect(catalog.writes, 'the write did not happen').to.equal(0);
    expect(catalog.table.get(id), 'the row as it was').to.deep.equal(productTable().get(id));
  }

  /** The handler ran to its end and wrote. */
  function expectWritten(response: RawResponse, status = 200): void {
    expect(response.status).to.equal(status);
    expect(catalog.writes).to.equal(1);
  }

  describe('If-Match (13.1.1: strong comparison)', () => {
    it('a stale tag: 412 before the write', async () => {
      expectFailedBeforeWrite(await put({ 'if-match': '"0-stale"' }));
      const get = await send(port, '/products/1');
      expect(get.headers.etag, 'the representation did not change').to.equal(TAG_1);
    });

    it('the current tag (from an identity GET): the write proceeds, and the next GET has a new ETag', async () => {
      const get = await send(port, '/products/1');
      expect(get.headers.etag).to.equal(TAG_1);
      const response = await put({ 'if-match': TAG_1 });
      expectWritten(response);
      expect(response.headers['x-outcome']).to.equal('proceed');
      expect((response.json() as { name: string }).name).to.equal('renamed');
      const after = await send(port, '/products/1');
      expect(after.headers.etag).to.equal(expectedEtag(after.body));
      expect(after.headers.etag).not.to.equal(TAG_1);
    });

    for (const coding of ['gzip', 'br']) {
      it(`the -${coding} tag a compressed GET gave: the same identity body, so the write proceeds (8.8.3.3)`, async () => {
        const get = await send(port, '/products/1', { headers: { 'accept-encoding': coding } });
        expect(get.headers.etag).to.equal(suffixed(TAG_1, coding));
        expectWritten(await put({ 'if-match': get.headers.etag! }));
      });
    }

    it('a list holding the current tag, with tabs: proceeds', async () => {
      expectWritten(await put({ 'if-match': `"0-stale",\t${TAG_1}` }));
    });

    it('the weak form of the current tag: never a strong match, 412', async () => {
      expectFailedBeforeWrite(await put({ 'if-match': `W/${TAG_1}` }));
    });

    it('the -gzip tag of another body: 412', async () => {
      expectFailedBeforeWrite(await put({ 'if-match': suffixed(expectedEtag('{"id":1}'), 'gzip') }));
    });

    it('*: proceeds when the resource exists', async () => {
      expectWritten(await put({ 'if-match': '*' }));
    });

    it('*: 412 when the resource does not exist', async () => {
      expectFailedBeforeWrite(await put({ 'if-match': '*' }, 9), 9);
    });
  });

  describe('If-None-Match on an unsafe method (13.1.2)', () => {
    it('POST with If-None-Match: * on an existing resource: 412 before the write', async () => {
      expectFailedBeforeWrite(await post({ 'if-none-match': '*' }, 1));
    });

    it('POST with If-None-Match: * on a missing resource: created', async () => {
      const response = await post({ 'if-none-match': '*' }, 9);
      expectWritten(response, 201);
      expect(catalog.table.get(9)?.name).to.equal('created');
    });

    it('PUT with If-None-Match holding the current tag: 412', async () => {
      expectFailedBeforeWrite(await put({ 'if-none-match': TAG_1 }));
    });
  });

  describe('If-Unmodified-Since (13.1.4), against the Last-Modified of the @HttpCacheable policy', () => {
    it('a date before the last modification: 412 before the write', async () => {
      expectFailedBeforeWrite(await put({ 'if-unmodified-since': 'Fri, 02 Jan 2026 08:29:59 GMT' }));
    });

    it('the Last-Modified itself, or later: proceeds', async () => {
      expectWritten(await put({ 'if-unmodified-since': UPDATED_AT }));
    });

    it('is ignored when If-Match is present (13.2.2 step 2)', async () => {
      expectWritten(await put({ 'if-match': TAG_1, 'if-unmodified-since': 'Fri, 02 Jan 2026 08:29:59 GMT' }));
    });

    it('is ignored when not a valid HTTP-date', async () => {
      expectWritten(await put({ 'if-unmodified-since': 'last week' }));
    });
  });

  it('no precondition: proceeds', async () => {
    const response = await put({});
    expectWritten(response);
    expect(response.headers['x-outcome']).to.equal('proceed');
  });

  it('a GET with a failed If-Match gets 412 from the middleware, without validators (13.1.1)', async () => {
    const response = await send(port, '/products/1', { headers: { 'if-match': '"0-stale"' } });
    expect(response.status).to.equal(412);
    expect(response.headers['cache-control']).to.equal('no-store');
    expect(response.headers).not.to.have.property('etag');
    expect(response.headers).not.to.have.property('last-modified');
    expect((response.json() as { error: string }).error).to.equal('Precondition Failed');
  });

  it('a GET whose If-None-Match is exactly the current tag still gets 412 when its If-Match fails: If-Match is evaluated first (13.2.2)', async () => {
    for (const extra of [{ 'if-match': '"0-stale"' }, { 'if-unmodified-since': 'Thu, 01 Jan 2026 00:00:00 GMT' }]) {
      const response = await send(port, '/products/1', { headers: { 'if-none-match': TAG_1, ...extra } });
      expect(response.status, JSON.stringify(extra)).to.equal(412);
      expect(response.headers).not.to.have.property('etag');
    }
    const matching = await send(port, '/products/1', { headers: { 'if-none-match': TAG_1, 'if-match': TAG_1 } });
    expect(matching.status, 'both hold: If-None-Match decides').to.equal(304);
  });

  it('a GET with a matching If-Match gets 200 (13.1.1)', async () => {
    const response = await send(port, '/products/1', { headers: { 'if-match': TAG_1 } });
    expect(response.status).to.equal(200);
    expect(response.headers.etag).to.equal(TAG_1);
  });
});
