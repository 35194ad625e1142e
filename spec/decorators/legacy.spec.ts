import { expect } from 'chai';
import type { CacheEngine, CacheOptions, CachedMetadata } from '../../lib/index.js';

/**
 * The fixture is compiled with experimentalDecorators by `npm run pretest` into build/legacy/,
 * against its own build of lib/. Its shape is declared here rather than imported, so this
 * (standard-mode) compilation never type-checks the legacy file.
 */
const FIXTURE = '../../legacy/spec/fixtures/legacy/service.js';
interface Product {
  id: number;
  name: string;
  query: number;
}
interface Fixture {
  createCache(options: CacheOptions): CacheEngine;
  setDefaultCache(cache: CacheEngine | undefined): void;
  cacheKeyOf(method: (...args: any[]) => unknown, ...args: unknown[]): string;
  getCachedMetadata(target: object, method: string): CachedMetadata | undefined;
  ProductRepository: new () => { queries: number };
  ProductService: { new (repository: { queries: number }): { product(id: number): Promise<Product> }; count(): Promise<number> };
  routePath(): unknown;
  designParamTypes(): unknown;
  legacyCachedMetadata(): unknown;
}

describe('@Cached (legacy experimentalDecorators)', () => {
  let fixture: Fixture;
  let cache: CacheEngine;

  before(async () => {
    fixture = (await import(FIXTURE)) as Fixture;
  });

  beforeEach(() => {
    cache = fixture.createCache({ namespace: 'legacy', earlyRefresh: false });
    fixture.setDefaultCache(cache);
  });

  afterEach(async () => {
    fixture.setDefaultCache(undefined);
    await cache.close();
  });

  it('caches through the wrapper, keyed by the declaring class', async () => {
    const repository = new fixture.ProductRepository();
    const service = new fixture.ProductService(repository);
    expect(await service.product(1)).to.deep.equal({ id: 1, name: 'product 1', query: 1 });
    expect(await service.product(1)).to.deep.equal({ id: 1, name: 'product 1', query: 1 });
    expect(repository.queries).to.equal(1);
    expect(fixture.cacheKeyOf(service.product, 1)).to.equal('ProductService.product:1');
    expect(await fixture.ProductService.count()).to.equal(1000);
    expect(Object.keys(cache.stats().methods).sort()).to.deep.equal(['ProductService.product', 'products.count']);
  });

  it('keeps the metadata of the other decorators and of emitDecoratorMetadata', () => {
    expect(fixture.routePath()).to.equal('/products/:id');
    expect(fixture.designParamTypes()).to.deep.equal([Number]);
    expect(fixture.legacyCachedMetadata()).to.have.nested.property('options.ttl', '1m');
    expect(fixture.getCachedMetadata(fixture.ProductService, 'product')?.name).to.equal('ProductService.product');
  });
});
