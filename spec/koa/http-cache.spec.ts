import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import Router from '@koa/router';
import { expect } from 'chai';
import compress from 'koa-compress';
import { Cached, cacheKeyOf, HttpCacheable, type CacheEngine } from '../../lib/index.js';
import { httpCache } from '../../lib/koa/index.js';
import { nextEvent } from '../helpers/engines.js';
import { catalogApp, catalogOf, DEFAULT_POLICY, PLAIN_BODY } from './catalog.js';
import { expectedEtag, httpDate, product, quietApp, send, STRONG_ETAG, useKoa, type RawResponse } from './helpers.js';

const JSON_TYPE = 'application/json; charset=utf-8';
const UPDATED_AT = 'Fri, 02 Jan 2026 08:30:00 GMT';
/** The identity bytes of product 1, as Koa would send them. */
const BODY_1 = Buffer.from(JSON.stringify(product(1)), 'utf8');

/** `"<opaque>"` with `-<coding>` appended inside the quotes (RFC 9110 8.8.3.3). */
function suffixed(tag: string, coding: string): string {
  return `${tag.slice(0, -1)}-${coding}"`;
}

/** The fields of a 304 that RFC 9110 15.4.5 requires to be those of the 200 (Date aside: its own time). */
function expectSameValidatorsAndControls(notModified: RawResponse, ok: RawResponse): void {
  expect(notModified.headers['cache-control'], 'Cache-Control').to.equal(ok.headers['cache-control']);
  expect(notModified.headers.etag, 'ETag').to.equal(ok.headers.etag);
  expect(notModified.headers.vary, 'Vary').to.equal(ok.headers.vary);
  expect(notModified.headers.date, 'Date').to.be.a('string');
  expect(Math.abs(Date.parse(notModified.headers.date!) - Date.parse(ok.headers.date!)), 'Date, within a second of the 200').to.be.at.most(1000);
}

/** A 304 has no content and none of its metadata (RFC 9110 15.4.5, 8.6). */
function expectNoContent(response: RawResponse): void {
  expect(response.body.length, 'body bytes').to.equal(0);
  expect(response.headers, 'Content-Type').not.to.have.property('content-type');
  expect(response.headers, 'Content-Length').not.to.have.property('content-length');
  expect(response.headers, 'Content-Encoding').not.to.have.property('content-encoding');
  expect(response.headers, 'Transfer-Encoding').not.to.have.property('transfer-encoding');
}

describe('httpCache (tiercache/koa)', () => {
  const koa = useKoa();
  let cache: CacheEngine;
  beforeEach(async () => {
    cache = await koa.engine();
  });

  describe('a 200 for a cached GET', () => {
    it('carries Cache-Control from the policy, a strong ETag of the identity bytes, Last-Modified, and Vary merged with koa-compress\'s', async () => {
      const catalog = catalogOf(cache);
      const port = await koa.serve(catalogApp(catalog, cache).app);
      const response = await send(port, '/products/1');
      expect(response.status).to.equal(200);
      expect(response.body.equals(BODY_1), 'the identity body').to.equal(true);
      expect(response.headers['content-type']).to.equal(JSON_TYPE);
      expect(response.headers['content-length']).to.equal(String(BODY_1.length));
      expect(response.headers).not.to.have.property('content-encoding');
      expect(response.headers['cache-control']).to.equal('public, max-age=60, s-maxage=300');
      expect(response.headers.etag).to.equal(expectedEtag(BODY_1));
      expect(response.headers.etag).to.match(STRONG_ETAG);
      expect(response.headers.etag!.startsWith(`"${BODY_1.length.toString(16)}-`)).to.equal(true);
      expect(response.headers['last-modified']).to.equal(UPDATED_AT);
      // koa-compress adds Accept-Encoding before the handler runs; the policy's field follows.
      expect(response.headers.vary).to.equal('Accept-Encoding, Accept-Language');
      expect(response.headers).not.to.have.property('cdn-cache-control');
      expect(response.headers).not.to.have.property('cache-tag');
    });

    it('has the same ETag for the same value in two apps with their own engines (replicas), per coding too', async () => {
      const other = await koa.engine();
      const first = await koa.serve(catalogApp(catalogOf(cache), cache).app);
      const second = await koa.serve(catalogApp(catalogOf(other), other).app);
      const a = await send(first, '/products/1');
      const b = await send(second, '/products/1');
      expect(a.headers.etag).to.equal(expectedEtag(BODY_1));
      expect(b.headers.etag).to.equal(a.headers.etag);
      const gzipA = await send(first, '/products/1', { headers: { 'accept-encoding': 'gzip' } });
      const gzipB = await send(second, '/products/1', { headers: { 'accept-encoding': 'gzip' } });
      expect(gzipB.headers.etag).to.equal(gzipA.headers.etag);
      expect(gzipB.body.equals(gzipA.body), 'the same gzip bytes on both replicas').to.equal(true);
    });

    it('changes the ETag when the value changes (an invalidated entry)', async () => {
      const catalog = catalogOf(cache);
      const port = await koa.serve(catalogApp(catalog, cache).app);
      const before = await send(port, '/products/1');
      await catalog.saveProduct(1, 'renamed');
      const after = await send(port, '/products/1');
      expect(after.status).to.equal(200);
      expect(after.body.equals(Buffer.from(JSON.stringify(catalog.table.get(1)))), 'the new body').to.equal(true);
      expect(after.headers.etag).to.equal(expectedEtag(after.body));
      expect(after.headers.etag).not.to.equal(before.headers.etag);
      expect(after.headers['last-modified']).to.equal('Sat, 03 Jan 2026 00:00:00 GMT');
      expect(catalog.calls).to.equal(2);
    });

    it('changes the ETag when a deleted key is produced again with another value', async () => {
      const catalog = catalogOf(cache);
      const port = await koa.serve(catalogApp(catalog, cache).app);
      const before = await send(port, '/products/2');
      catalog.table.set(2, { ...catalog.table.get(2)!, name: 'changed' });
      const key = cacheKeyOf(catalog.getProduct, 2);
      expect(key).to.equal('ProductService.getProduct:2');
      await cache.delete(key);
      const after = await send(port, '/products/2');
      expect(after.headers.etag).to.equal(expectedEtag(after.body));
      expect(after.headers.etag).not.to.equal(before.headers.etag);
    });
  });

  describe('conditional GET (RFC 9110 13.1.2 If-None-Match, 13.1.3 If-Modified-Since, 15.4.5 304)', () => {
    let port: number;
    let ok: RawResponse;
    let tag: string;
    beforeEach(async () => {
      port = await koa.serve(catalogApp(catalogOf(cache), cache).app);
      ok = await send(port, '/products/1');
      tag = ok.headers.etag!;
      expect(tag).to.equal(expectedEtag(BODY_1));
    });

    // [what, If-None-Match built from the current tag]
    const NOT_MODIFIED: readonly [string, (tag: string) => string | string[]][] = [
      ['the current tag (13.1.2)', (t) => t],
      ['a list holding it (13.1.2: "any of the listed tags")', (t) => `"stale", ${t}`],
      ['a list with tabs for OWS (5.6.3)', (t) => `"stale"\t,\t${t}`],
      ['several field lines (5.3)', (t) => ['"stale"', t]],
      ['its weak form: weak comparison (8.8.3.2)', (t) => `W/${t}`],
      ['* (13.1.2: any current representation)', () => '*'],
    ];
    for (const [what, value] of NOT_MODIFIED) {
      it(`answers 304 to If-None-Match with ${what}`, async () => {
        const response = await send(port, '/products/1', { headers: { 'if-none-match': value(tag) } });
        expect(response.status).to.equal(304);
        expectSameValidatorsAndControls(response, ok);
        expectNoContent(response);
      });
    }

    // [what, If-None-Match built from the current tag]
    const MODIFIED: readonly [string, (tag: string) => string][] = [
      ['another tag', () => '"0-stale"'],
      ['the tag in another case', (t) => t.toUpperCase()],
      ['the tag unquoted (malformed, matches nothing)', (t) => t.slice(1, -1)],
      ['the gzip tag while the identity form is selected', (t) => suffixed(t, 'gzip')],
    ];
    for (const [what, value] of MODIFIED) {
      it(`answers 200 with the body to If-None-Match with ${what}`, async () => {
        const response = await send(port, '/products/1', { headers: { 'if-none-match': value(tag) } });
        expect(response.status).to.equal(200);
        expect(response.body.equals(BODY_1)).to.equal(true);
        expect(response.headers.etag).to.equal(tag);
      });
    }

    it('a 304 carries Cache-Control, ETag and Vary of the 200, no Last-Modified beside the ETag, and no content', async () => {
      const response = await send(port, '/products/1', { headers: { 'if-none-match': tag } });
      expect(response.status).to.equal(304);
      expect(response.headers['cache-control']).to.equal('public, max-age=60, s-maxage=300');
      expect(response.headers.etag).to.equal(tag);
      expect(response.headers.vary).to.equal('Accept-Encoding, Accept-Language');
      expect(response.headers).not.to.have.property('last-modified');
      expectNoContent(response);
    });

    it('answers 304 to If-Modified-Since at the Last-Modified, or later (13.1.3)', async () => {
      for (const since of [UPDATED_AT, 'Fri, 02 Jan 2026 08:30:01 GMT', 'Wed, 14 Jan 2026 00:00:00 GMT']) {
        const response = await send(port, '/products/1', { headers: { 'if-modified-since': since } });
        expect(response.status, since).to.equal(304);
        expectSameValidatorsAndControls(response, ok);
        expectNoContent(response);
      }
    });

    it('answers 200 to If-Modified-Since before the Last-Modified, or not a date', async () => {
      for (const since of ['Fri, 02 Jan 2026 08:29:59 GMT', 'yesterday']) {
        const response = await send(port, '/products/1', { headers: { 'if-modified-since': since } });
        expect(response.status, since).to.equal(200);
        expect(response.body.equals(BODY_1)).to.equal(true);
      }
    });

    it('a request\'s no-cache does not bypass the server\'s cache: the method does not run again, and revalidation still gives 304', async () => {
      const catalog = catalogOf(cache);
      const served = await koa.serve(catalogApp(catalog, cache).app);
      await send(served, '/products/1');
      const calls = catalog.calls;
      for (const headers of [{ 'cache-control': 'no-cache' }, { 'cache-control': 'max-age=0' }, { pragma: 'no-cache' }]) {
        const fresh = await send(served, '/products/1', { headers });
        expect(fresh.status).to.equal(200);
        expect(fresh.body.equals(BODY_1)).to.equal(true);
        const revalidated = await send(served, '/products/1', { headers: { ...headers, 'if-none-match': tag } });
        expect(revalidated.status).to.equal(304);
      }
      expect(catalog.calls, 'the method did not run again').to.equal(calls);
      expect(cache.stats().hits.l1, 'served from L1').to.be.at.least(6);
    });

    it('ignores If-Modified-Since when If-None-Match is present (13.1.3)', async () => {
      const response = await send(port, '/products/1', { headers: { 'if-none-match': '"0-stale"', 'if-modified-since': UPDATED_AT } });
      expect(response.status).to.equal(200);
      expect(response.body.equals(BODY_1)).to.equal(true);
    });

    it('does not answer a 404 with 304, whatever If-None-Match says (13.2.1)', async () => {
      const response = await send(port, '/products/9', { headers: { 'if-none-match': '*' } });
      expect(response.status).to.equal(404);
      expect(response.headers['cache-control']).to.equal('no-store');
    });
  });

  describe('HEAD (RFC 9110 9.3.2: the fields GET would send)', () => {
    for (const acceptEncoding of [undefined, 'gzip', 'br']) {
      it(`sends the headers of the GET for Accept-Encoding: ${String(acceptEncoding)}, and no body`, async () => {
        const port = await koa.serve(catalogApp(catalogOf(cache), cache).app);
        const headers: Record<string, string> = acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding };
        const head = await send(port, '/products/1', { method: 'HEAD', headers });
        const get = await send(port, '/products/1', { headers });
        expect(head.status).to.equal(200);
        expect(head.body.length).to.equal(0);
        for (const field of ['etag', 'content-encoding', 'content-length', 'content-type', 'cache-control', 'vary', 'last-modified']) {
          expect(head.headers[field], field).to.equal(get.headers[field]);
        }
        expect(head.headers['content-length']).to.equal(String(get.body.length));
        expect(head.headers['content-encoding']).to.equal(acceptEncoding);
        expect(head.headers.etag).to.equal(acceptEncoding === undefined ? expectedEtag(BODY_1) : suffixed(expectedEtag(BODY_1), acceptEncoding));
      });
    }

    it('answers a conditional HEAD with 304', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache), cache).app);
      const get = await send(port, '/products/1', { headers: { 'accept-encoding': 'gzip' } });
      const head = await send(port, '/products/1', { method: 'HEAD', headers: { 'accept-encoding': 'gzip', 'if-none-match': get.headers.etag! } });
      expect(head.status).to.equal(304);
      expect(head.headers.etag).to.equal(get.headers.etag);
    });
  });

  describe('content codings (RFC 9110 8.4, 12.5.3; the ETag per coding, 8.8.3.3)', () => {
    // [what, Accept-Encoding, the coding sent, its decoder]
    const CODINGS: readonly [string, string, string, (body: Buffer) => Buffer][] = [
      ['gzip', 'gzip', 'gzip', gunzipSync],
      ['br', 'br', 'br', brotliDecompressSync],
      ['a browser\'s field: br, the server\'s first choice on a tie', 'gzip, deflate, br, zstd', 'br', brotliDecompressSync],
      ['a lower weight for br: gzip', 'br;q=0.5, gzip', 'gzip', gunzipSync],
    ];
    for (const [what, field, coding, decode] of CODINGS) {
      it(`"${field}" (${what}): the body decodes to the identity bytes, the ETag is suffixed -${coding}, and that tag revalidates`, async () => {
        const port = await koa.serve(catalogApp(catalogOf(cache), cache).app);
        const identity = await send(port, '/products/1');
        const encoded = await send(port, '/products/1', { headers: { 'accept-encoding': field } });
        expect(encoded.status).to.equal(200);
        expect(encoded.headers['content-encoding']).to.equal(coding);
        expect(encoded.headers['content-type']).to.equal(JSON_TYPE);
        expect(encoded.headers['content-length']).to.equal(String(encoded.body.length));
        expect(encoded.body.length).to.be.below(identity.body.length);
        expect(decode(encoded.body).equals(identity.body), 'decoded body').to.equal(true);
        expect(encoded.headers.etag).to.equal(suffixed(identity.headers.etag!, coding));
        expect(encoded.headers.vary).to.equal('Accept-Encoding, Accept-Language');
        const revalidated = await send(port, '/products/1', { headers: { 'accept-encoding': field, 'if-none-match': encoded.headers.etag! } });
        expect(revalidated.status).to.equal(304);
        expect(revalidated.headers.etag).to.equal(encoded.headers.etag);
        expectNoContent(revalidated);
      });
    }

    it('compresses an entry once per coding and reuses the bytes', async () => {
      const { app, http } = catalogApp(catalogOf(cache), cache);
      const port = await koa.serve(app);
      const first = await send(port, '/products/1', { headers: { 'accept-encoding': 'gzip' } });
      const second = await send(port, '/products/1', { headers: { 'accept-encoding': 'gzip' } });
      expect(second.body.equals(first.body)).to.equal(true);
      expect(http.stats()).to.include({ compressed: 1, serialized: 1, hashed: 1 });
      await send(port, '/products/1', { headers: { 'accept-encoding': 'br' } });
      expect(http.stats()).to.include({ compressed: 2, serialized: 1, hashed: 1 });
    });

    describe('a request that accepts no coding at all, identity included (RFC 9110 12.5.3, 12.1: the server may disregard the field)', () => {
      const NOTHING_ACCEPTABLE = ['identity;q=0', 'identity;q=0, zstd', '*;q=0'];

      for (const acceptEncoding of NOTHING_ACCEPTABLE) {
        it(`gets 200 and the identity body on a cached route for "${acceptEncoding}"`, async () => {
          const port = await koa.serve(catalogApp(catalogOf(cache), cache).app);
          const response = await send(port, '/products/1', { headers: { 'accept-encoding': acceptEncoding } });
          expect(response.status).to.equal(200);
          expect(response.headers).not.to.have.property('content-encoding');
          expect(response.body.equals(BODY_1)).to.equal(true);
          expect(response.headers.etag).to.equal(expectedEtag(BODY_1));
        });

        it(`gets 200 and the identity body on a large route that is not cached for "${acceptEncoding}"`, async () => {
          const port = await koa.serve(catalogApp(catalogOf(cache), cache).app);
          const response = await send(port, '/plain', { headers: { 'accept-encoding': acceptEncoding } });
          expect(response.status).to.equal(200);
          expect(response.headers).not.to.have.property('content-encoding');
          expect(response.json()).to.deep.equal(PLAIN_BODY);
          expect(response.headers).not.to.have.property('etag');
        });
      }

      it('(koa-compress alone answers 500 to "identity;q=0": the failure httpCache prevents)', async () => {
        const app = quietApp();
        app.use(compress());
        app.use((ctx) => {
          ctx.body = PLAIN_BODY;
        });
        const port = await koa.serve(app);
        expect((await send(port, '/plain', { headers: { 'accept-encoding': 'gzip' } })).headers['content-encoding']).to.equal('gzip');
        for (const acceptEncoding of ['identity;q=0', 'identity;q=0, zstd']) {
          expect((await send(port, '/plain', { headers: { 'accept-encoding': acceptEncoding } })).status, acceptEncoding).to.equal(500);
        }
      });

      it('the plain route is still compressed by koa-compress when a coding is acceptable', async () => {
        const port = await koa.serve(catalogApp(catalogOf(cache), cache).app);
        const response = await send(port, '/plain', { headers: { 'accept-encoding': 'gzip' } });
        expect(response.headers['content-encoding']).to.equal('gzip');
        expect(JSON.parse(gunzipSync(response.body).toString('utf8'))).to.deep.equal(PLAIN_BODY);
      });
    });

    it('leaves a body below the 1024-byte threshold uncompressed, with its identity ETag', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache), cache).app);
      const response = await send(port, '/summaries/1', { headers: { 'accept-encoding': 'gzip, br' } });
      const body = Buffer.from(JSON.stringify({ id: 1, name: 'product 1' }));
      expect(response.status).to.equal(200);
      expect(response.headers).not.to.have.property('content-encoding');
      expect(response.body.equals(body)).to.equal(true);
      expect(response.headers.etag).to.equal(expectedEtag(body));
    });

    it('compression: false sends identity even with koa-compress outside, and the identity ETag', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache), cache, { compression: false }).app);
      const response = await send(port, '/products/1', { headers: { 'accept-encoding': 'gzip, br' } });
      expect(response.status).to.equal(200);
      expect(response.headers).not.to.have.property('content-encoding');
      expect(response.body.equals(BODY_1)).to.equal(true);
      expect(response.headers.etag).to.equal(expectedEtag(BODY_1));
    });

    it('compression.encodings: only those, in the server\'s order', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache), cache, { compression: { encodings: ['deflate', 'gzip'] } }).app);
      const both = await send(port, '/products/1', { headers: { 'accept-encoding': 'br, gzip, deflate' } });
      expect(both.headers['content-encoding']).to.equal('deflate');
      expect(inflateSync(both.body).equals(BODY_1)).to.equal(true);
      expect(both.headers.etag).to.equal(suffixed(expectedEtag(BODY_1), 'deflate'));
      const brOnly = await send(port, '/products/1', { headers: { 'accept-encoding': 'br' } });
      expect(brOnly.headers).not.to.have.property('content-encoding');
      expect(brOnly.headers.etag).to.equal(expectedEtag(BODY_1));
    });

    it('without koa-compress, httpCache compresses on its own and adds Vary: Accept-Encoding itself (RFC 9110 12.5.5)', async () => {
      const catalog = catalogOf(cache);
      const app = quietApp();
      const router = new Router();
      router.get('/products/:id', async (ctx) => {
        ctx.body = await catalog.getProduct(Number(ctx.params['id']));
      });
      router.get('/summaries/:id', async (ctx) => {
        ctx.body = await catalog.getSummary(Number(ctx.params['id']));
      });
      app.use(httpCache({ cache }));
      app.use(router.routes());
      const port = await koa.serve(app);
      const large = await send(port, '/products/1', { headers: { 'accept-encoding': 'gzip' } });
      expect(large.headers['content-encoding']).to.equal('gzip');
      expect(gunzipSync(large.body).equals(BODY_1)).to.equal(true);
      expect(large.headers.vary).to.equal('Accept-Encoding, Accept-Language');
      const identity = await send(port, '/products/1');
      expect(identity.headers.vary, 'identity was chosen from Accept-Encoding too').to.equal('Accept-Encoding, Accept-Language');
      // Below the threshold the coding never depends on Accept-Encoding.
      const small = await send(port, '/summaries/1', { headers: { 'accept-encoding': 'gzip' } });
      expect(small.headers).not.to.have.property('content-encoding');
      expect(small.headers).not.to.have.property('vary');
    });

    it('compression.threshold: 0 compresses a small body', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache), cache, { compression: { threshold: 0 } }).app);
      const response = await send(port, '/summaries/1', { headers: { 'accept-encoding': 'gzip' } });
      const body = Buffer.from(JSON.stringify({ id: 1, name: 'product 1' }));
      expect(response.headers['content-encoding']).to.equal('gzip');
      expect(gunzipSync(response.body).equals(body)).to.equal(true);
      expect(response.headers.etag).to.equal(suffixed(expectedEtag(body), 'gzip'));
    });
  });

  describe('a 304 for an L1 hit', () => {
    it('neither serialises nor hashes the body, and the @Cached method ran once', async () => {
      const catalog = catalogOf(cache);
      const { app, http } = catalogApp(catalog, cache);
      const port = await koa.serve(app);
      const ok = await send(port, '/products/1');
      const before = http.stats();
      expect(before).to.include({ serialized: 1, hashed: 1, compressed: 0 });
      for (const headers of [{ 'if-none-match': ok.headers.etag! }, { 'if-modified-since': UPDATED_AT }, { 'if-none-match': '*' }]) {
        const response = await send(port, '/products/1', { headers });
        expect(response.status, JSON.stringify(headers)).to.equal(304);
      }
      const after = http.stats();
      expect(after.serialized - before.serialized, 'serialized').to.equal(0);
      expect(after.hashed - before.hashed, 'hashed').to.equal(0);
      expect(after.compressed, 'compressed').to.equal(0);
      expect(after.requests).to.equal(4);
      expect(after.statuses).to.deep.equal({ 200: 1, 304: 3 });
      expect(catalog.calls).to.equal(1);
      expect(cache.stats().hits.l1).to.equal(3);
    });

    it('nor compresses it, for a compressed representation', async () => {
      const { app, http } = catalogApp(catalogOf(cache), cache);
      const port = await koa.serve(app);
      await send(port, '/products/1');
      const before = http.stats();
      const revalidated = await send(port, '/products/1', { headers: { 'accept-encoding': 'br', 'if-none-match': suffixed(expectedEtag(BODY_1), 'br') } });
      expect(revalidated.status).to.equal(304);
      expect(revalidated.headers.etag).to.equal(suffixed(expectedEtag(BODY_1), 'br'));
      expect(http.stats()).to.include({ serialized: before.serialized, hashed: before.hashed, compressed: 0 });
    });

    it('a 200 for an L1 hit reuses the bytes too', async () => {
      const { app, http } = catalogApp(catalogOf(cache), cache);
      const port = await koa.serve(app);
      await send(port, '/products/1');
      await send(port, '/products/1');
      expect(http.stats()).to.include({ serialized: 1, hashed: 1 });
    });
  });

  describe('max-age capped to the entry\'s remaining freshness (FakeClock)', () => {
    it('goes down as the entry ages, and is 0 when the entry is served stale within grace', async () => {
      const policy = { maxAge: 100, sMaxAge: 300, cdnMaxAge: 600, staleWhileRevalidate: 30 };
      const catalog = catalogOf(cache, policy, { ttl: '2m', grace: '10m' });
      const port = await koa.serve(catalogApp(catalog, cache).app);
      const clock = koa.clock();
      const at = async (): Promise<[string | undefined, string | undefined]> => {
        const response = await send(port, '/products/1');
        expect(response.status).to.equal(200);
        return [response.headers['cache-control'], response.headers['cdn-cache-control'] as string | undefined];
      };

      // Fresh for 120 s: max-age 100 fits, s-maxage and the CDN's 300 and 600 do not.
      expect(await at()).to.deep.equal(['public, max-age=100, s-maxage=120, stale-while-revalidate=30', 'max-age=120, stale-while-revalidate=30']);
      clock.advance('30s');
      expect(await at()).to.deep.equal(['public, max-age=90, s-maxage=90, stale-while-revalidate=30', 'max-age=90, stale-while-revalidate=30']);
      clock.advance(89_500);
      expect(await at()).to.deep.equal(['public, max-age=0, s-maxage=0, stale-while-revalidate=30', 'max-age=0, stale-while-revalidate=30']);

      // Stale (121 s old, within the 10 min grace): served at once while the method refreshes it.
      catalog.table.set(1, { ...catalog.table.get(1)!, name: 'refreshed' });
      clock.advance(1_500);
      const refreshed = nextEvent(cache, 'set');
      const stale = await send(port, '/products/1');
      expect((stale.json() as { name: string }).name, 'the stale value').to.equal('product 1');
      expect(stale.headers['cache-control']).to.equal('public, max-age=0, s-maxage=0, stale-while-revalidate=30');
      expect(stale.headers.etag).to.equal(expectedEtag(BODY_1));
      await refreshed;
      const fresh = await send(port, '/products/1');
      expect((fresh.json() as { name: string }).name).to.equal('refreshed');
      expect(fresh.headers['cache-control']).to.equal('public, max-age=100, s-maxage=120, stale-while-revalidate=30');
      expect(catalog.calls).to.equal(2);
    });
  });

  describe('max-age capped to the entry\'s remaining freshness, beyond one JSON object', () => {
    it('with several entries behind a response: by the one that goes stale first; and the tag header lists all their tags', async () => {
      class Page {
        @HttpCacheable({ maxAge: 300, tagHeader: 'Cache-Tag' })
        @Cached({ cache: () => cache, ttl: '2m', tags: ['header'] })
        async header(): Promise<{ title: string }> {
          return { title: 'shop' };
        }

        @HttpCacheable({ maxAge: 300 })
        @Cached({ cache: () => cache, ttl: '10m', tags: ['items', 'header'] })
        async items(): Promise<{ ids: number[] }> {
          return { ids: [1, 2, 3] };
        }
      }
      const page = new Page();
      const { app, router } = catalogApp(catalogOf(cache), cache);
      router.get('/page', async (ctx) => {
        ctx.body = { header: await page.header(), items: await page.items() };
      });
      const port = await koa.serve(app);
      // Fresh for 120 s and 600 s: the response may be kept 120 s, the policies' 300 s being too long.
      const response = await send(port, '/page');
      expect(response.headers['cache-control']).to.equal('public, max-age=120');
      expect(response.headers['cache-tag']).to.equal('header,items');
      koa.clock().advance('100s');
      expect((await send(port, '/page')).headers['cache-control']).to.equal('public, max-age=20');
    });

    it('a cached string result is capped like an object, and gets its tags', async () => {
      class Fragments {
        @HttpCacheable({ maxAge: 100, tagHeader: 'Cache-Tag' })
        @Cached({ cache: () => cache, ttl: '2m', tags: ['banner'] })
        async banner(): Promise<string> {
          return '<p>Sale!</p>';
        }
      }
      const fragments = new Fragments();
      const { app, router } = catalogApp(catalogOf(cache), cache);
      router.get('/banner', async (ctx) => {
        ctx.body = await fragments.banner();
      });
      const port = await koa.serve(app);
      const first = await send(port, '/banner');
      expect(first.headers['content-type']).to.equal('text/html; charset=utf-8');
      expect(first.headers.etag).to.equal(expectedEtag('<p>Sale!</p>'));
      expect(first.headers['cache-tag']).to.equal('banner');
      koa.clock().advance('60s');
      expect((await send(port, '/banner')).headers['cache-control']).to.equal('public, max-age=60');
      koa.clock().advance('61s');
      expect((await send(port, '/banner')).headers['cache-control'], 'served stale').to.equal('public, max-age=0');
    });
  });

  describe('several @HttpCacheable methods in one response: the safest policy', () => {
    async function pageWith(first: object, second: object): Promise<RawResponse> {
      class Page {
        @HttpCacheable(first)
        @Cached({ cache: () => cache, ttl: '10m' })
        async header(): Promise<{ title: string }> {
          return { title: 'shop' };
        }

        @HttpCacheable(second)
        @Cached({ cache: () => cache, ttl: '10m' })
        async items(): Promise<number[]> {
          return [1, 2, 3];
        }
      }
      const page = new Page();
      const { app, router } = catalogApp(catalogOf(cache), cache);
      router.get('/page', async (ctx) => {
        ctx.body = { header: await page.header(), items: await page.items() };
      });
      return send(await koa.serve(app), '/page');
    }

    it('takes the shortest max-age, private over public, and the union of Vary', async () => {
      const response = await pageWith({ maxAge: 60, sMaxAge: 300, vary: ['Accept-Language'] }, { maxAge: 30, visibility: 'private', vary: ['Accept', 'accept-language'] });
      expect(response.status).to.equal(200);
      expect(response.headers['cache-control']).to.equal('private, max-age=30');
      expect(response.headers.vary).to.equal('Accept-Encoding, Accept-Language, Accept');
      const body = Buffer.from(JSON.stringify({ header: { title: 'shop' }, items: [1, 2, 3] }));
      expect(response.headers.etag).to.equal(expectedEtag(body));
    });

    it('takes the shortest s-maxage and stale-while-revalidate among public policies', async () => {
      const response = await pageWith({ maxAge: 60, sMaxAge: 300, staleWhileRevalidate: 30 }, { maxAge: 120, sMaxAge: 200, staleWhileRevalidate: 10 });
      expect(response.headers['cache-control']).to.equal('public, max-age=60, s-maxage=200, stale-while-revalidate=10');
    });

    it('no-store wins over every other directive', async () => {
      const response = await pageWith({ maxAge: 60, sMaxAge: 300 }, { noStore: true });
      expect(response.headers['cache-control']).to.equal('no-store');
    });

    it('Vary: * absorbs every other field name (RFC 9110 12.5.5)', async () => {
      const response = await pageWith({ maxAge: 60, vary: ['Accept-Language'] }, { maxAge: 60, vary: ['*'] });
      expect(response.headers.vary).to.equal('*');
    });

    it('the weakest ETag mode wins: weak over strong', async () => {
      const response = await pageWith({ maxAge: 60 }, { maxAge: 60, etag: 'weak' });
      const body = Buffer.from(JSON.stringify({ header: { title: 'shop' }, items: [1, 2, 3] }));
      expect(response.headers.etag).to.equal(`W/${expectedEtag(body)}`);
    });
  });

  describe('private requests (API.md section 3; RFC 9111 3.5, 5.2.2.7)', () => {
    const policy = { ...DEFAULT_POLICY, cdnMaxAge: 600, tagHeader: 'Cache-Tag' as const };

    it('a request with Authorization gets private, no s-maxage, no CDN-Cache-Control, no tag header, and Vary: Authorization', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, policy), cache).app);
      const shared = await send(port, '/products/1');
      expect(shared.headers['cache-control']).to.equal('public, max-age=60, s-maxage=300');
      expect(shared.headers['cdn-cache-control']).to.equal('max-age=600');
      expect(shared.headers['cache-tag']).to.equal('product:1,products');
      const mine = await send(port, '/products/1', { headers: { authorization: 'Bearer ada' } });
      expect(mine.status).to.equal(200);
      expect(mine.headers['cache-control']).to.equal('private, max-age=60');
      expect(mine.headers).not.to.have.property('cdn-cache-control');
      expect(mine.headers).not.to.have.property('cache-tag');
      expect(mine.headers.vary).to.equal('Accept-Encoding, Accept-Language, Authorization');
      expect(mine.headers.etag).to.equal(shared.headers.etag);
    });

    it('a 304 to a private request keeps it private', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, policy), cache).app);
      const ok = await send(port, '/products/1', { headers: { authorization: 'Bearer ada' } });
      const response = await send(port, '/products/1', { headers: { authorization: 'Bearer ada', 'if-none-match': ok.headers.etag! } });
      expect(response.status).to.equal(304);
      expect(response.headers['cache-control']).to.equal('private, max-age=60');
      expect(response.headers.vary).to.equal('Accept-Encoding, Accept-Language, Authorization');
      expect(response.headers).not.to.have.property('cdn-cache-control');
    });

    it('any cookie makes a request private by default, with Vary: Cookie', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, policy), cache).app);
      const response = await send(port, '/products/1', { headers: { cookie: 'theme=dark' } });
      expect(response.headers['cache-control']).to.equal('private, max-age=60');
      expect(response.headers).not.to.have.property('cdn-cache-control');
      expect(response.headers.vary).to.equal('Accept-Encoding, Accept-Language, Cookie');
    });

    it('both credentials: Vary names both', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, policy), cache).app);
      const response = await send(port, '/products/1', { headers: { cookie: 'theme=dark', authorization: 'Basic YTpi' } });
      expect(response.headers['cache-control']).to.equal('private, max-age=60');
      expect(response.headers.vary).to.equal('Accept-Encoding, Accept-Language, Authorization, Cookie');
    });

    it('privateCookies: [\'session\']: only that cookie makes a request private; other cookies stay public', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, policy), cache, { privateCookies: ['session'] }).app);
      const theme = await send(port, '/products/1', { headers: { cookie: 'theme=dark; lang=fr' } });
      expect(theme.headers['cache-control']).to.equal('public, max-age=60, s-maxage=300');
      expect(theme.headers['cdn-cache-control']).to.equal('max-age=600');
      expect(theme.headers.vary).to.equal('Accept-Encoding, Accept-Language');
      const session = await send(port, '/products/1', { headers: { cookie: 'theme=dark; session=abc' } });
      expect(session.headers['cache-control']).to.equal('private, max-age=60');
      expect(session.headers).not.to.have.property('cdn-cache-control');
      expect(session.headers.vary).to.equal('Accept-Encoding, Accept-Language, Cookie');
      // Cookie names are case-sensitive (RFC 6265 5.4).
      const other = await send(port, '/products/1', { headers: { cookie: 'Session=abc' } });
      expect(other.headers['cache-control']).to.equal('public, max-age=60, s-maxage=300');
    });

    it('privateCookies: [] lets every cookie through as public; Authorization stays private', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, policy), cache, { privateCookies: [] }).app);
      expect((await send(port, '/products/1', { headers: { cookie: 'session=abc' } })).headers['cache-control']).to.equal('public, max-age=60, s-maxage=300');
      expect((await send(port, '/products/1', { headers: { authorization: 'Bearer ada' } })).headers['cache-control']).to.equal('private, max-age=60');
    });

    it('a no-store policy stays no-store for a private request, without Vary: Authorization', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, { noStore: true }), cache).app);
      const response = await send(port, '/products/1', { headers: { authorization: 'Bearer ada' } });
      expect(response.headers['cache-control']).to.equal('no-store');
      expect(response.headers.vary).to.equal('Accept-Encoding');
    });
  });

  describe('CDN-Cache-Control (RFC 9213) and tag headers', () => {
    it('cdnMaxAge becomes CDN-Cache-Control with the stale directives', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, { maxAge: 60, cdnMaxAge: 600, staleWhileRevalidate: 30, staleIfError: 86_400 }), cache).app);
      const response = await send(port, '/products/1');
      expect(response.headers['cache-control']).to.equal('public, max-age=60, stale-while-revalidate=30, stale-if-error=86400');
      expect(response.headers['cdn-cache-control']).to.equal('max-age=600, stale-while-revalidate=30, stale-if-error=86400');
    });

    it('tagHeader: \'Cache-Tag\' lists the entry\'s tags, comma-separated', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, { maxAge: 60, tagHeader: 'Cache-Tag' }), cache).app);
      expect((await send(port, '/products/2')).headers['cache-tag']).to.equal('product:2,products');
    });

    it('tagHeader: \'Surrogate-Key\' lists them space-separated, and a 304 keeps it', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, { maxAge: 60, tagHeader: 'Surrogate-Key' }), cache).app);
      const ok = await send(port, '/products/2');
      expect(ok.headers['surrogate-key']).to.equal('product:2 products');
      expect(ok.headers).not.to.have.property('cache-tag');
      const notModified = await send(port, '/products/2', { headers: { 'if-none-match': ok.headers.etag! } });
      expect(notModified.status).to.equal(304);
      expect(notModified.headers['surrogate-key']).to.equal('product:2 products');
    });
  });

  describe('the etag option', () => {
    it('\'weak\': W/ and the identity digest, for every coding, and a weak If-None-Match matches', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, { maxAge: 60, etag: 'weak' }), cache).app);
      const identity = await send(port, '/products/1');
      expect(identity.headers.etag).to.equal(`W/${expectedEtag(BODY_1)}`);
      const gzip = await send(port, '/products/1', { headers: { 'accept-encoding': 'gzip' } });
      expect(gzip.headers['content-encoding']).to.equal('gzip');
      expect(gzip.headers.etag).to.equal(`W/${expectedEtag(BODY_1)}`);
      for (const value of [`W/${expectedEtag(BODY_1)}`, expectedEtag(BODY_1)]) {
        const response = await send(port, '/products/1', { headers: { 'accept-encoding': 'gzip', 'if-none-match': value } });
        expect(response.status, value).to.equal(304);
        expect(response.headers.etag).to.equal(`W/${expectedEtag(BODY_1)}`);
      }
    });

    it('false: no ETag, so a tag never matches; Last-Modified still validates, and a 304 then keeps it', async () => {
      const port = await koa.serve(catalogApp(catalogOf(cache, { ...DEFAULT_POLICY, etag: false }), cache).app);
      const ok = await send(port, '/products/1');
      expect(ok.status).to.equal(200);
      expect(ok.headers).not.to.have.property('etag');
      expect(ok.headers['last-modified']).to.equal(UPDATED_AT);
      const tagged = await send(port, '/products/1', { headers: { 'if-none-match': expectedEtag(BODY_1) } });
      expect(tagged.status).to.equal(200);
      const dated = await send(port, '/products/1', { headers: { 'if-modified-since': UPDATED_AT } });
      expect(dated.status).to.equal(304);
      expect(dated.headers['last-modified']).to.equal(UPDATED_AT);
      expect(dated.headers).not.to.have.property('etag');
    });
  });

  describe('responses httpCache leaves alone', () => {
    it('a GET whose handler called no @HttpCacheable method gets no caching fields', async () => {
      const app = quietApp();
      app.use(compress());
      app.use(httpCache({ cache }));
      app.use((ctx) => {
        ctx.body = { small: true };
      });
      const response = await send(await koa.serve(app), '/anything');
      expect(response.status).to.equal(200);
      expect(response.headers).not.to.have.property('cache-control');
      expect(response.headers).not.to.have.property('etag');
      expect(response.json()).to.deep.equal({ small: true });
    });

    it('a POST that read a cached value gets no ETag and no 304', async () => {
      const catalog = catalogOf(cache);
      const { app, router } = catalogApp(catalog, cache);
      router.post('/products/:id/view', async (ctx) => {
        ctx.body = await catalog.getProduct(Number(ctx.params['id']));
      });
      const port = await koa.serve(app);
      const response = await send(port, '/products/1/view', { method: 'POST', headers: { 'if-none-match': '"nope"' } });
      expect(response.status).to.equal(200);
      expect(response.headers).not.to.have.property('etag');
      expect(response.headers).not.to.have.property('cache-control');
    });

    it('a value the handler changed after a cached call is represented as sent, not as cached', async () => {
      const catalog = catalogOf(cache);
      const { app, router } = catalogApp(catalog, cache);
      router.get('/products/:id/name', async (ctx) => {
        const found = await catalog.getProduct(Number(ctx.params['id']));
        ctx.body = { name: found?.name };
      });
      const port = await koa.serve(app);
      const response = await send(port, '/products/1/name');
      const body = Buffer.from(JSON.stringify({ name: 'product 1' }));
      expect(response.body.equals(body)).to.equal(true);
      expect(response.headers.etag).to.equal(expectedEtag(body));
      expect(response.headers['cache-control']).to.equal('public, max-age=60, s-maxage=300');
    });
  });

  it('dates Last-Modified from the option, in IMF-fixdate (RFC 9110 5.6.7)', async () => {
    const port = await koa.serve(catalogApp(catalogOf(cache), cache).app);
    expect((await send(port, '/products/2')).headers['last-modified']).to.equal(httpDate(product(2).updatedAt));
  });
});
