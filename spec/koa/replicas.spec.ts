import { expect } from 'chai';
import type { CacheEngine } from '../../lib/index.js';
import { nextEvent, useEngines } from '../helpers/engines.js';
import { useRedis } from '../helpers/redis-server.js';
import { catalogApp, catalogOf, productTable, type Catalog } from './catalog.js';
import { expectedEtag, product, send, useKoa } from './helpers.js';

/** API.md section 3: "the ETag ... the same on every replica for the same value". */
describe('httpCache on two replicas sharing a Redis', () => {
  const redis = useRedis();
  const engines = useEngines();
  const koa = useKoa();
  let a: CacheEngine;
  let b: CacheEngine;
  let catalogA: Catalog;
  let catalogB: Catalog;
  let portA: number;
  let portB: number;

  beforeEach(async () => {
    a = await engines.create(redis().url);
    b = await engines.create(redis().url);
    // One database behind both replicas.
    const table = productTable();
    catalogA = catalogOf(a, undefined, undefined, table);
    catalogB = catalogOf(b, undefined, undefined, table);
    portA = await koa.serve(catalogApp(catalogA, a).app);
    portB = await koa.serve(catalogApp(catalogB, b).app);
  });

  it('a value one replica read from L2 has the ETag the other computed, per coding too, and that tag revalidates there', async () => {
    const fromA = await send(portA, '/products/1');
    const fromB = await send(portB, '/products/1');
    const body = Buffer.from(JSON.stringify(product(1)));
    expect(fromA.headers.etag).to.equal(expectedEtag(body));
    expect(fromB.headers.etag).to.equal(fromA.headers.etag);
    expect(fromB.body.equals(body)).to.equal(true);
    expect(catalogB.calls, 'B answered from L2').to.equal(0);
    expect(b.stats().hits.l2).to.equal(1);

    const gzipA = await send(portA, '/products/1', { headers: { 'accept-encoding': 'gzip' } });
    const gzipB = await send(portB, '/products/1', { headers: { 'accept-encoding': 'gzip' } });
    expect(gzipB.headers.etag).to.equal(gzipA.headers.etag);
    expect(gzipB.body.equals(gzipA.body)).to.equal(true);

    const revalidated = await send(portB, '/products/1', { headers: { 'accept-encoding': 'gzip', 'if-none-match': gzipA.headers.etag! } });
    expect(revalidated.status).to.equal(304);
    expect(revalidated.headers.etag).to.equal(gzipA.headers.etag);
    expect(revalidated.headers['cache-control']).to.equal('public, max-age=60, s-maxage=300');
  });

  it('an invalidation on one replica gives both the new ETag', async () => {
    const before = await send(portB, '/products/1');
    await send(portA, '/products/1');
    const heard = nextEvent(b, 'invalidate', (event: { remote: boolean }) => event.remote);
    await catalogA.saveProduct(1, 'renamed');
    await heard;
    const fromB = await send(portB, '/products/1');
    const fromA = await send(portA, '/products/1');
    expect((fromB.json() as { name: string }).name).to.equal('renamed');
    expect(fromB.headers.etag).to.equal(expectedEtag(fromB.body));
    expect(fromB.headers.etag).not.to.equal(before.headers.etag);
    expect(fromA.headers.etag).to.equal(fromB.headers.etag);
    const stale = await send(portA, '/products/1', { headers: { 'if-none-match': before.headers.etag! } });
    expect(stale.status, 'the old tag no longer matches').to.equal(200);
  });
});
