import { expect } from 'chai';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { waitFor } from '../helpers/events.js';
import {
  asctimeDate,
  encodedTag,
  ETAG,
  field,
  fieldLines,
  imfFixdate,
  json,
  listMembers,
  rfc850Date,
  send,
  useDemoReplicas,
  type DemoReplica,
  type RawResponse,
  type SendOptions,
} from './demo-helpers.js';

/**
 * The Koa demo end to end (shared/DEMO.md): three real replicas of build/demo/main.js on one
 * private Redis, driven over HTTP by a raw client that sees every field line and the body bytes
 * as sent. Black-box: only the routes and their documented behaviour are assumed.
 */

const RATE_LIMIT = 5;
const IDS = ['e2e-a', 'e2e-b', 'e2e-c'];

/** The fields a 304 must repeat from the 200 (RFC 9110 15.4.5). */
const REPEATED_IN_304 = ['cache-control', 'etag', 'vary'];

/** Every field name of a response but Date (which may tick between two requests) and Connection. */
function fieldNames(response: RawResponse): string[] {
  return [...new Set(response.lines.map(([name]) => name.toLowerCase()))].filter((name) => name !== 'date' && name !== 'connection' && name !== 'keep-alive').sort();
}

/** The Cache-Control directives, trimmed and in lower case. */
function directives(response: RawResponse): string[] {
  return listMembers(response, 'cache-control');
}

function expectNoStoreError(response: RawResponse, status: number): void {
  expect(response.status, response.body.toString()).to.equal(status);
  expect(field(response, 'cache-control')).to.equal('no-store');
  expect(field(response, 'etag')).to.equal(undefined);
  expect(field(response, 'last-modified')).to.equal(undefined);
  expect(field(response, 'cdn-cache-control')).to.equal(undefined);
}

function expectNotModified(response: RawResponse, ok: RawResponse): void {
  expect(response.status).to.equal(304);
  expect(response.body.length, 'a 304 has no content').to.equal(0);
  for (const name of REPEATED_IN_304) expect(field(response, name), name).to.equal(field(ok, name));
  expect(Number.isNaN(Date.parse(field(response, 'date') ?? '')), 'Date').to.equal(false);
  expect(field(response, 'content-type')).to.equal(undefined);
  expect(field(response, 'content-encoding')).to.equal(undefined);
}

describe('demo over HTTP: three replicas of build/demo/main.js on one Redis', () => {
  const rig = useDemoReplicas(3, (index) => ({
    DEMO_REPLICA_ID: IDS[index]!,
    DEMO_SLOW_MS: '5',
    DEMO_RATE_LIMIT: String(RATE_LIMIT),
    DEMO_RATE_WINDOW: '60s',
    // asctime has no zone: it must be read as UTC whatever the server's zone.
    TZ: 'America/New_York',
  }));
  const replica = (index: number): DemoReplica => rig().replicas[index]!;
  const get = (index: number, path: string, headers: SendOptions['headers'] = {}): Promise<RawResponse> => send(replica(index).url, 'GET', path, { headers });
  const head = (index: number, path: string, headers: SendOptions['headers'] = {}): Promise<RawResponse> => send(replica(index).url, 'HEAD', path, { headers });

  describe('start-up', () => {
    it('announces each replica on stdout and over IPC with its port and id', () => {
      rig().replicas.forEach((started, index) => {
        expect(started.replicaId).to.equal(IDS[index]);
        expect(started.process.output).to.include(`tiercache demo listening on http://127.0.0.1:${started.port}`);
      });
      expect(new Set(rig().replicas.map((started) => started.port)).size).to.equal(3);
    });
  });

  describe('GET /products/:id', () => {
    it('is 200 with a strong ETag of the body, Last-Modified and Cache-Control: public, max-age=60', async () => {
      const response = await get(0, '/products/1');
      expect(response.status).to.equal(200);
      expect(field(response, 'content-type')).to.match(/^application\/json/);
      const product = json(response);
      expect(product).to.include({ id: 1 });
      const etag = field(response, 'etag')!;
      const match = ETAG.exec(etag);
      expect(match, `ETag ${etag}`).to.not.equal(null);
      expect(parseInt(match![1]!, 16), 'the ETag starts with the body length in hex').to.equal(response.body.length);
      expect(match![3], 'an identity body has an unsuffixed tag').to.equal(undefined);
      expect(field(response, 'cache-control')).to.equal('public, max-age=60');
      const lastModified = field(response, 'last-modified')!;
      expect(lastModified).to.match(/^(Sun|Mon|Tue|Wed|Thu|Fri|Sat), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT$/);
      if (product.updatedAt !== undefined) {
        const updatedAt = new Date(product.updatedAt as string | number).getTime();
        expect(Date.parse(lastModified), 'Last-Modified is the product\'s updatedAt, to the second').to.equal(Math.floor(updatedAt / 1000) * 1000);
      }
    });

    it('serves the same ETag and bytes from every replica', async () => {
      const responses = await Promise.all([0, 1, 2].map((index) => get(index, '/products/1')));
      const [first] = responses;
      for (const response of responses) {
        expect(response.status).to.equal(200);
        expect(field(response, 'etag')).to.equal(field(first!, 'etag'));
        expect(response.body.equals(first!.body)).to.equal(true);
      }
    });

    it('answers If-None-Match with its ETag by 304 with the 200\'s caching fields and no body, on every replica', async () => {
      const ok = await get(0, '/products/1');
      for (const index of [0, 1, 2]) expectNotModified(await get(index, '/products/1', { 'If-None-Match': field(ok, 'etag')! }), ok);
    });

    it('answers HEAD with the fields of GET and no body', async () => {
      const ok = await get(1, '/products/1');
      const response = await head(1, '/products/1');
      expect(response.status).to.equal(200);
      expect(response.body.length).to.equal(0);
      expect(fieldNames(response)).to.deep.equal(fieldNames(ok));
      for (const name of fieldNames(ok)) expect(field(response, name), name).to.equal(field(ok, name));
    });

    it('answers a conditional HEAD by 304', async () => {
      const ok = await get(1, '/products/1');
      expectNotModified(await head(1, '/products/1', { 'If-None-Match': field(ok, 'etag')! }), ok);
    });

    it('matches a tag anywhere in an If-None-Match list: after a tab, over several field lines', async () => {
      const ok = await get(2, '/products/1');
      const etag = field(ok, 'etag')!;
      for (const value of [`"a", ${etag}`, `"a",\t${etag}`, `"a",${etag} , "b"`, ['"a"', etag]]) {
        const response = await get(2, '/products/1', { 'If-None-Match': value });
        expect(response.status, `If-None-Match: ${JSON.stringify(value)}`).to.equal(304);
      }
    });

    it('compares If-None-Match weakly: W/"<opaque>" matches', async () => {
      const ok = await get(0, '/products/1');
      expectNotModified(await get(0, '/products/1', { 'If-None-Match': `W/${field(ok, 'etag')!}` }), ok);
    });

    it('matches If-None-Match: * for a product that exists', async () => {
      const ok = await get(0, '/products/1');
      expectNotModified(await get(0, '/products/1', { 'If-None-Match': '*' }), ok);
    });

    it('answers 200 with the body when no tag matches', async () => {
      const ok = await get(0, '/products/1');
      const response = await get(0, '/products/1', { 'If-None-Match': '"nope", W/"other"' });
      expect(response.status).to.equal(200);
      expect(response.body.equals(ok.body)).to.equal(true);
      expect(field(response, 'etag')).to.equal(field(ok, 'etag'));
    });

    it('is 404 with no-store and no validators for an unknown id, twice (the null is cached)', async () => {
      expectNoStoreError(await get(0, '/products/999999'), 404);
      expectNoStoreError(await get(0, '/products/999999', { 'If-None-Match': '*' }), 404);
      expectNoStoreError(await get(1, '/products/999999'), 404);
    });
  });

  describe('errors', () => {
    it('answers an unknown route with 404 and no-store', async () => {
      expectNoStoreError(await get(0, '/no/such/route'), 404);
    });

    it('answers a bad query with 400, a clear message and no-store', async () => {
      const response = await get(1, '/products?page=x');
      expectNoStoreError(response, 400);
      expect(response.body.toString()).to.match(/page/);
    });

    it('answers an unsupported method with 405 and no-store', async () => {
      const response = await send(replica(2).url, 'DELETE', '/products/1');
      expectNoStoreError(response, 405);
      expect(listMembers(response, 'allow')).to.include('get');
    });
  });

  describe('If-Modified-Since (replicas run in TZ=America/New_York)', () => {
    let ok: RawResponse;
    let lastModified: number;
    before(async () => {
      ok = await get(0, '/products/2');
      lastModified = Date.parse(field(ok, 'last-modified')!);
      expect(Number.isNaN(lastModified), 'Last-Modified').to.equal(false);
    });

    for (const [format, toDate] of [
      ['IMF-fixdate', imfFixdate],
      ['RFC 850', rfc850Date],
      ['asctime', asctimeDate],
    ] as const) {
      it(`answers 304 to Last-Modified itself in ${format}, and 200 to one second before it`, async () => {
        const same = toDate(lastModified);
        expectNotModified(await get(1, '/products/2', { 'If-Modified-Since': same }), ok);
        // Read as New York time, an asctime date would be hours later and still give 304.
        const before = await get(1, '/products/2', { 'If-Modified-Since': toDate(lastModified - 1000) });
        expect(before.status, `If-Modified-Since: ${toDate(lastModified - 1000)}`).to.equal(200);
        expect(before.body.equals(ok.body)).to.equal(true);
      });
    }

    it('ignores an If-Modified-Since that is not an HTTP-date', async () => {
      const response = await get(2, '/products/2', { 'If-Modified-Since': `${imfFixdate(lastModified)} garbage` });
      expect(response.status).to.equal(200);
    });

    it('ignores If-Modified-Since when If-None-Match is present', async () => {
      const later = imfFixdate(lastModified + 3_600_000);
      const response = await get(2, '/products/2', { 'If-None-Match': '"nope"', 'If-Modified-Since': later });
      expect(response.status, 'a failing If-None-Match is not rescued by If-Modified-Since').to.equal(200);
      const earlier = imfFixdate(lastModified - 3_600_000);
      const matched = await get(2, '/products/2', { 'If-None-Match': field(ok, 'etag')!, 'If-Modified-Since': earlier });
      expect(matched.status, 'a matching If-None-Match is not overruled by If-Modified-Since').to.equal(304);
    });
  });

  describe('GET /products (a page, compressed)', () => {
    const PAGE = '/products?page=1';

    it('is over 1 KiB of JSON with public, max-age=30, s-maxage=120, stale-while-revalidate=30', async () => {
      const response = await get(0, PAGE);
      expect(response.status).to.equal(200);
      expect(field(response, 'content-encoding')).to.equal(undefined);
      expect(response.body.length).to.be.greaterThan(1024);
      expect(json(response)).to.be.an('object');
      expect(directives(response)).to.have.members(['public', 'max-age=30', 's-maxage=120', 'stale-while-revalidate=30']);
      expect(field(response, 'etag')).to.match(ETAG);
    });

    for (const [coding, decompress] of [
      ['gzip', gunzipSync],
      ['br', brotliDecompressSync],
    ] as const) {
      it(`sends ${coding} with its own ETag, the body decompressing to the identity bytes`, async () => {
        const identity = await get(1, PAGE);
        const encoded = await get(1, PAGE, { 'Accept-Encoding': coding });
        expect(encoded.status).to.equal(200);
        expect(field(encoded, 'content-encoding')).to.equal(coding);
        expect(field(encoded, 'etag')).to.equal(encodedTag(field(identity, 'etag')!, coding));
        expect(decompress(encoded.body).equals(identity.body), 'decompressed body').to.equal(true);
        expect(encoded.body.length).to.be.lessThan(identity.body.length);
        expect(field(encoded, 'cache-control')).to.equal(field(identity, 'cache-control'));
      });
    }

    it('prefers br when both are accepted, and honours q-values', async () => {
      expect(field(await get(2, PAGE, { 'Accept-Encoding': 'gzip, deflate, br' }), 'content-encoding')).to.equal('br');
      expect(field(await get(2, PAGE, { 'Accept-Encoding': 'br;q=0.1, gzip' }), 'content-encoding')).to.equal('gzip');
    });

    it('answers the gzip ETag sent back with gzip accepted by 304 (round trip), and by 200 without gzip', async () => {
      const gzip = await get(2, PAGE, { 'Accept-Encoding': 'gzip' });
      const tag = field(gzip, 'etag')!;
      expect(tag).to.match(/-gzip"$/);
      for (const index of [0, 1, 2]) {
        const again = await get(index, PAGE, { 'Accept-Encoding': 'gzip', 'If-None-Match': tag });
        expectNotModified(again, gzip);
      }
      const identity = await get(2, PAGE, { 'If-None-Match': tag });
      expect(identity.status, 'the identity representation is another one').to.equal(200);
      expect(field(identity, 'etag')).to.equal(tag.replace(/-gzip"$/, '"'));
    });

    for (const acceptEncoding of [undefined, 'gzip', 'br']) {
      it(`answers HEAD with the fields of GET for Accept-Encoding: ${acceptEncoding ?? '(none)'}`, async () => {
        const headers = acceptEncoding === undefined ? {} : { 'Accept-Encoding': acceptEncoding };
        const ok = await get(0, PAGE, headers);
        const response = await head(0, PAGE, headers);
        expect(response.status).to.equal(200);
        expect(response.body.length).to.equal(0);
        expect(fieldNames(response)).to.deep.equal(fieldNames(ok));
        for (const name of fieldNames(ok)) expect(field(response, name), name).to.equal(field(ok, name));
      });
    }

    it('lists Accept-Encoding exactly once in Vary (merged with koa-compress\'s), on 200 and 304', async () => {
      for (const headers of [{}, { 'Accept-Encoding': 'gzip' }, { 'Accept-Encoding': 'br' }]) {
        const ok = await get(1, PAGE, headers);
        expect(listMembers(ok, 'vary').filter((name) => name === 'accept-encoding'), JSON.stringify(fieldLines(ok, 'vary'))).to.have.length(1);
        const notModified = await get(1, PAGE, { ...headers, 'If-None-Match': field(ok, 'etag')! });
        expect(notModified.status).to.equal(304);
        expect(listMembers(notModified, 'vary').filter((name) => name === 'accept-encoding')).to.have.length(1);
      }
      const product = await get(1, '/products/1', { 'Accept-Encoding': 'gzip' });
      expect(listMembers(product, 'vary').filter((name) => name === 'accept-encoding')).to.have.length(1);
    });

    it('answers Accept-Encoding: identity;q=0 with a 200, not a 500', async () => {
      const identity = await get(2, PAGE);
      for (const value of ['identity;q=0', 'identity;q=0, *;q=0', 'compress']) {
        const response = await get(2, PAGE, { 'Accept-Encoding': value });
        expect(response.status, `Accept-Encoding: ${value}`).to.equal(200);
        expect(field(response, 'content-encoding')).to.equal(undefined);
        expect(response.body.equals(identity.body)).to.equal(true);
      }
      expect((await get(2, '/products/1', { 'Accept-Encoding': 'identity;q=0' })).status).to.equal(200);
    });
  });

  describe('private data', () => {
    it('is 401 with no-store and no validators for GET /me without Authorization', async () => {
      const response = await get(0, '/me');
      expectNoStoreError(response, 401);
      // RFC 9110 15.5.2: a 401 says which scheme to use.
      expect(field(response, 'www-authenticate')).to.match(/^Bearer\b/);
    });

    it('answers GET /me with Authorization privately: Vary: Authorization, never public, s-maxage or CDN-Cache-Control', async () => {
      const response = await get(0, '/me', { Authorization: 'Bearer alice' });
      expect(response.status).to.equal(200);
      expect(response.body.toString()).to.include('alice');
      const cacheControl = directives(response);
      expect(cacheControl).to.include('private');
      expect(cacheControl).to.include('max-age=30');
      expect(cacheControl).to.not.include('public');
      expect(cacheControl.filter((directive) => directive.startsWith('s-maxage'))).to.deep.equal([]);
      expect(field(response, 'cdn-cache-control')).to.equal(undefined);
      expect(listMembers(response, 'vary')).to.include('authorization');
      expect(listMembers(response, 'vary').filter((name) => name === 'accept-encoding')).to.have.length.at.most(1);
    });

    it('answers each user with their own data and validator, and a 304 that stays private', async () => {
      const alice = await get(1, '/me', { Authorization: 'Bearer alice' });
      const bob = await get(1, '/me', { Authorization: 'Bearer bob' });
      expect(bob.status).to.equal(200);
      expect(bob.body.toString()).to.include('bob');
      expect(bob.body.toString()).to.not.include('alice');
      expect(field(bob, 'etag')).to.not.equal(field(alice, 'etag'));
      const again = await get(2, '/me', { Authorization: 'Bearer alice', 'If-None-Match': field(alice, 'etag')! });
      expectNotModified(again, alice);
      expect(directives(again)).to.include('private');
    });

    it('keeps a public route private for a request with Authorization', async () => {
      for (const path of ['/products/1', '/products?page=1']) {
        const response = await get(2, path, { Authorization: 'Bearer alice', 'Accept-Encoding': 'gzip' });
        expect(response.status).to.equal(200);
        const cacheControl = directives(response);
        expect(cacheControl, path).to.include('private');
        expect(cacheControl, path).to.not.include('public');
        expect(cacheControl.filter((directive) => directive.startsWith('s-maxage')), path).to.deep.equal([]);
        expect(field(response, 'cdn-cache-control'), path).to.equal(undefined);
        expect(listMembers(response, 'vary'), path).to.include('authorization');
      }
    });
  });

  describe('PUT /products/:id', () => {
    it('is 400 with a clear message and no-store for a bad body, and changes nothing', async () => {
      const before = await get(0, '/products/501');
      for (const [body, mentions] of [
        ['{not json', /json/i],
        [{ price: 'cheap' }, /price/i],
        [{ price: -1 }, /price/i],
        [{ name: 42 }, /name/i],
        [{ category: '' }, /category/i],
      ] as const) {
        const response = await send(replica(0).url, 'PUT', '/products/501', { body, headers: { 'Content-Type': 'application/json' } });
        expectNoStoreError(response, 400);
        expect(response.body.toString(), `PUT ${JSON.stringify(body)}`).to.match(mentions);
      }
      const after = await get(0, '/products/501');
      expect(field(after, 'etag')).to.equal(field(before, 'etag'));
    });

    it('succeeds with the current If-Match on another replica, then every replica serves the new ETag', async () => {
      const before = await get(0, '/products/502');
      const etag = field(before, 'etag')!;
      const response = await send(replica(1).url, 'PUT', '/products/502', { body: { price: 12.34 }, headers: { 'If-Match': etag } });
      expect(response.status, response.body.toString()).to.equal(200);
      expect(json(response)).to.include({ id: 502, price: 12.34 });
      const etags = await waitFor(
        async () => {
          const now = await Promise.all([0, 1, 2].map((index) => get(index, '/products/502')));
          const tags = now.map((one) => field(one, 'etag'));
          return tags.every((tag) => tag !== etag) && now.every((one) => json(one).price === 12.34) ? tags : undefined;
        },
        { timeoutMs: 5000, intervalMs: 50, what: 'every replica to serve product 502 with its new price' },
      );
      expect(new Set(etags).size, 'one ETag on every replica').to.equal(1);
    });

    it('is 412 with no-store for a stale If-Match, and the write does not happen', async () => {
      const stale = field(await get(0, '/products/503'), 'etag')!;
      const first = await send(replica(0).url, 'PUT', '/products/503', { body: { name: 'E2E first' }, headers: { 'If-Match': stale } });
      expect(first.status, first.body.toString()).to.equal(200);
      const current = await waitFor(
        async () => {
          const now = await get(2, '/products/503');
          return json(now).name === 'E2E first' ? now : undefined;
        },
        { timeoutMs: 5000, intervalMs: 50, what: 'replica C to serve the first write' },
      );
      const rejected = await send(replica(2).url, 'PUT', '/products/503', { body: { name: 'E2E lost update' }, headers: { 'If-Match': stale } });
      expectNoStoreError(rejected, 412);
      for (const index of [2, 0, 1]) {
        const now = await get(index, '/products/503');
        expect(json(now).name, `replica ${IDS[index]}`).to.equal('E2E first');
        expect(field(now, 'etag')).to.equal(field(current!, 'etag'));
      }
    });

    it('accepts the -gzip form of the current ETag in If-Match, and refuses its weak form', async () => {
      const etag = field(await get(1, '/products/504'), 'etag')!;
      const weak = await send(replica(1).url, 'PUT', '/products/504', { body: { price: 1 }, headers: { 'If-Match': `W/${etag}` } });
      expectNoStoreError(weak, 412);
      const other = await send(replica(1).url, 'PUT', '/products/504', { body: { price: 1 }, headers: { 'If-Match': '"nope"' } });
      expectNoStoreError(other, 412);
      const response = await send(replica(1).url, 'PUT', '/products/504', { body: { price: 7.5 }, headers: { 'If-Match': encodedTag(etag, 'gzip') } });
      expect(response.status, response.body.toString()).to.equal(200);
      expect(json(response)).to.include({ price: 7.5 });
    });

    it('is seen by B and C after a PUT on A, once invalidated (their caches were warm)', async () => {
      const warm = await Promise.all([1, 2].map(async (index) => {
        await get(index, '/products/505');
        return get(index, '/products/505');
      }));
      const old = field(warm[0]!, 'etag');
      expect(field(warm[1]!, 'etag')).to.equal(old);
      const response = await send(replica(0).url, 'PUT', '/products/505', { body: { name: 'E2E renamed', category: json(warm[0]!).category } });
      expect(response.status, response.body.toString()).to.equal(200);
      for (const index of [1, 2]) {
        await waitFor(
          async () => {
            const now = await get(index, '/products/505');
            return field(now, 'etag') !== old && json(now).name === 'E2E renamed';
          },
          { timeoutMs: 5000, intervalMs: 50, what: `replica ${IDS[index]} to serve the renamed product 505` },
        );
      }
    });
  });

  describe('POST /products', () => {
    it('creates a product: 201 with Location, readable on every replica', async () => {
      const category = json(await get(0, '/products/1')).category as string;
      const response = await send(replica(0).url, 'POST', '/products', { body: { name: 'E2E created', price: 3.25, category } });
      expect(response.status, response.body.toString()).to.equal(201);
      const location = field(response, 'location')!;
      expect(location).to.match(/\/products\/\d+$/);
      const created = json(response);
      expect(created).to.include({ name: 'E2E created', price: 3.25, category });
      for (const index of [1, 2, 0]) {
        const read = await get(index, new URL(location, replica(index).url).pathname);
        expect(read.status).to.equal(200);
        expect(json(read)).to.include({ name: 'E2E created', price: 3.25, category });
      }
    });

    it('is 412 for If-None-Match: *, and creates nothing', async () => {
      const category = json(await get(0, '/products/1')).category as string;
      const page = `/products?category=${encodeURIComponent(category)}`;
      const before = json(await get(1, page));
      const response = await send(replica(1).url, 'POST', '/products', { body: { name: 'E2E never', price: 1, category }, headers: { 'If-None-Match': '*' } });
      expectNoStoreError(response, 412);
      expect(field(response, 'location')).to.equal(undefined);
      const after = json(await get(1, page));
      expect(after.total).to.be.a('number');
      expect(after.total).to.equal(before.total);
    });

    it('is 400 with a clear message for a bad body', async () => {
      for (const [body, mentions] of [
        ['[1, 2', /json/i],
        [{ price: 1, category: 'x' }, /name/i],
        [{ name: 'E2E', price: 'free', category: 'x' }, /price/i],
      ] as const) {
        const response = await send(replica(2).url, 'POST', '/products', { body, headers: { 'Content-Type': 'application/json' } });
        expectNoStoreError(response, 400);
        expect(response.body.toString(), `POST ${JSON.stringify(body)}`).to.match(mentions);
      }
    });
  });

  describe(`GET /search (rate limited: ${RATE_LIMIT} per 60 s, one count for all replicas)`, () => {
    it(`admits exactly ${RATE_LIMIT} of 12 concurrent requests spread over the replicas, then 429 with Retry-After, RateLimit-Policy, RateLimit and no-store`, async () => {
      const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => get(i % 3, '/search?q=e2e')));
      const ok = responses.filter((response) => response.status === 200);
      const limited = responses.filter((response) => response.status === 429);
      expect(responses.map((response) => response.status).sort()).to.deep.equal([...Array(RATE_LIMIT).fill(200), ...Array(12 - RATE_LIMIT).fill(429)]);

      const policy = field(limited[0]!, 'ratelimit-policy')!;
      const name = /^"([^"\\]+)";q=5;w=60$/.exec(policy)?.[1];
      expect(name, `RateLimit-Policy: ${policy}`).to.be.a('string');
      const remaining: number[] = [];
      for (const response of ok) {
        expect(field(response, 'ratelimit-policy')).to.equal(policy);
        const match = new RegExp(`^"${name}";r=(\\d+);t=(\\d+)$`).exec(field(response, 'ratelimit') ?? '');
        expect(match, `RateLimit: ${field(response, 'ratelimit')}`).to.not.equal(null);
        remaining.push(Number(match![1]));
      }
      expect(remaining.sort(), 'each admitted request saw its own remaining count').to.deep.equal([0, 1, 2, 3, 4]);
      for (const response of limited) {
        expectNoStoreError(response, 429);
        const retryAfter = field(response, 'retry-after')!;
        expect(retryAfter).to.match(/^\d+$/);
        expect(Number(retryAfter)).to.be.within(1, 60);
        expect(field(response, 'ratelimit-policy')).to.equal(policy);
        const match = new RegExp(`^"${name}";r=0;t=(\\d+)$`).exec(field(response, 'ratelimit') ?? '');
        expect(match, `RateLimit: ${field(response, 'ratelimit')}`).to.not.equal(null);
        expect(Number(match![1])).to.be.within(1, 60);
      }
      // Spent on every replica, however the burst fell on them: the count is shared.
      for (const index of [0, 1, 2]) expectNoStoreError(await get(index, '/search?q=e2e'), 429);
    });
  });

  describe('GET /stats, /stats/all and /metrics', () => {
    interface Snapshot {
      replica: { id: string };
      cache: { hits: { l1: number; l2: number } };
      http: { requests: number; notModified: number; preconditionFailed: number; tooManyRequests: number };
    }

    it('/stats is this replica\'s cache stats and HTTP counters as JSON, never stored', async () => {
      const response = await get(0, '/stats');
      expect(response.status).to.equal(200);
      expect(field(response, 'content-type')).to.match(/^application\/json/);
      expect(field(response, 'cache-control')).to.equal('no-store');
      const snapshot = json<Snapshot>(response);
      expect(snapshot.replica.id).to.equal(IDS[0]);
      expect(snapshot.http.requests).to.be.greaterThan(0);
      expect(snapshot.http.notModified, '304s so far').to.be.greaterThan(0);
      expect(snapshot.cache.hits.l1, 'L1 hits so far').to.be.greaterThan(0);
    });

    it('/stats/all lists all three replicas, whose counters add up to what the tests caused', async () => {
      await waitFor(
        async () => {
          const all = json<{ replicas: Snapshot[] }>(await get(1, '/stats/all'));
          expect(all.replicas.map((snapshot) => snapshot.replica.id)).to.have.members(IDS);
          const sum = (pick: (snapshot: Snapshot) => number): number => all.replicas.reduce((total, snapshot) => total + pick(snapshot), 0);
          // Snapshots are published every second: wait for the ones taken after the last test.
          expect(sum((snapshot) => snapshot.http.tooManyRequests), '429s').to.equal(12 - RATE_LIMIT + 3);
          expect(sum((snapshot) => snapshot.http.preconditionFailed), '412s').to.be.at.least(4);
          return true;
        },
        { timeoutMs: 5000, intervalMs: 100, what: '/stats/all to list every replica with its counters' },
      );
    });

    it('/metrics is Prometheus text', async () => {
      const response = await get(2, '/metrics');
      expect(response.status).to.equal(200);
      expect(field(response, 'content-type')).to.match(/^text\/plain; ?version=0\.0\.4/);
      const lines = response.body.toString().split('\n').filter((line) => line !== '');
      expect(lines.some((line) => line.startsWith('# TYPE '))).to.equal(true);
      for (const line of lines) {
        if (line.startsWith('#')) expect(line).to.match(/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* /);
        else expect(line).to.match(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)( \d+)?$/);
      }
    });
  });
});
