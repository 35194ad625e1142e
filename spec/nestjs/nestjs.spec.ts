/**
 * A small NestJS application (spec/fixtures/legacy/nestjs/, compiled with experimentalDecorators
 * and emitDecoratorMetadata into build/legacy/, against its own build of lib/) whose providers and
 * controller carry @Cached, @InvalidatesTags and @RateLimited next to Nest's own decorators, in
 * both orders. Nest resolves them by constructor injection, runs their guards, reads their
 * metadata with Reflector, and closes the engine on `app.close()`.
 */
import { expect } from 'chai';
import { ForbiddenException, RequestMethod, type INestApplicationContext, type Type } from '@nestjs/common';
import { GUARDS_METADATA, HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, ExternalContextCreator, MetadataScanner, Reflector, type ReflectableDecorator } from '@nestjs/core';
import type * as tiercache from '../../lib/index.js';
import type { CacheEngine, CacheOptions } from '../../lib/index.js';
import { useRedis, type RedisServer } from '../helpers/redis-server.js';

/** The compiled fixture; its shape is declared here, so this (standard-mode) build never type-checks it. */
const FIXTURE = '../../legacy/spec/fixtures/legacy/nestjs/app.js';

interface Product {
  id: number;
  name: string;
}
interface ProductRepository {
  queries: number;
}
interface ProductService {
  readonly repository: ProductRepository;
  product(id: number): Promise<Product | null>;
  rename(id: number, name: string): Promise<Product>;
  search(user: string, query: string): Promise<Product[]>;
}
interface ProductResolver {
  readonly products: ProductService;
  page(ids: number[]): Promise<(Product | null)[]>;
  rename(id: number, name: string): Promise<Product>;
}
interface Fixture {
  bootstrap(cache: CacheOptions): Promise<INestApplicationContext>;
  TIERCACHE: symbol;
  AUDIT: string;
  Roles: ReflectableDecorator<string[]>;
  ProductRepository: Type<ProductRepository>;
  ProductService: Type<ProductService>;
  ProductResolver: Type<ProductResolver>;
  ProductController: Type<object>;
  RolesGuard: Type<object>;
  Session: Type<{ role: string }>;
  // From the fixture's own build of lib/, the one its decorators use.
  getCachedMetadata: typeof tiercache.getCachedMetadata;
  getInvalidatesTagsMetadata: typeof tiercache.getInvalidatesTagsMetadata;
  getRateLimitedMetadata: typeof tiercache.getRateLimitedMetadata;
  getDefaultCache: typeof tiercache.getDefaultCache;
  isTierCacheError: typeof tiercache.isTierCacheError;
  RateLimitError: typeof tiercache.RateLimitError;
}

let fixture: Fixture;
/** Numbers the applications: each has a namespace (and so rate-limit buckets) of its own. */
let run = 0;

/** The method `name` of a class's prototype: the outermost wrapper, the function Nest sees. */
function handler(type: Type<object>, name: string): (...args: unknown[]) => unknown {
  return (type.prototype as Record<string, (...args: unknown[]) => unknown>)[name]!;
}

describe('NestJS (legacy decorators with emitDecoratorMetadata)', () => {
  before(async () => {
    fixture = (await import(FIXTURE)) as Fixture;
  });

  describe('the metadata of the decorated methods', () => {
    const reflector = new Reflector();

    it('keeps the metadata of Nest decorators applied before tiercache (written below it)', () => {
      const { ProductService, ProductResolver, ProductController, RolesGuard, Roles, AUDIT } = fixture;
      // @Cached over @SetMetadata and a custom Reflect.defineMetadata decorator.
      expect(reflector.get('roles', handler(ProductService, 'product'))).to.deep.equal(['reader']);
      expect(reflector.get(AUDIT, handler(ProductService, 'product'))).to.equal('read');
      // @Cached over @SetMetadata, with @RateLimited over both.
      expect(reflector.get('roles', handler(ProductService, 'search'))).to.deep.equal(['reader']);
      // @Cached over @UseGuards and a Reflector.createDecorator decorator.
      expect(reflector.get(Roles, handler(ProductResolver, 'page'))).to.deep.equal(['reader']);
      expect(reflector.get(GUARDS_METADATA, handler(ProductResolver, 'page'))).to.deep.equal([RolesGuard]);
      // @Cached over @Get, @HttpCode, @UseGuards, @Roles.
      const list = handler(ProductController, 'list');
      expect(reflector.get(PATH_METADATA, list)).to.equal('/');
      expect(reflector.get(METHOD_METADATA, list)).to.equal(RequestMethod.GET);
      expect(reflector.get(HTTP_CODE_METADATA, list)).to.equal(203);
      expect(reflector.get(GUARDS_METADATA, list)).to.deep.equal([RolesGuard]);
      expect(reflector.get(Roles, list)).to.deep.equal(['reader']);
    });

    it('keeps the metadata of Nest decorators applied after tiercache (written above it)', () => {
      const { ProductService, ProductResolver, ProductController, RolesGuard, Roles, AUDIT } = fixture;
      expect(reflector.get('roles', handler(ProductService, 'rename'))).to.deep.equal(['admin']);
      expect(reflector.get(AUDIT, handler(ProductService, 'search'))).to.equal('search');
      expect(reflector.get(Roles, handler(ProductResolver, 'rename'))).to.deep.equal(['admin']);
      expect(reflector.get(GUARDS_METADATA, handler(ProductResolver, 'rename'))).to.deep.equal([RolesGuard]);
      const rename = handler(ProductController, 'rename');
      expect(reflector.get(PATH_METADATA, rename)).to.equal(':id');
      expect(reflector.get(METHOD_METADATA, rename)).to.equal(RequestMethod.PUT);
      expect(reflector.get(HTTP_CODE_METADATA, rename)).to.equal(200);
      expect(reflector.get(GUARDS_METADATA, rename)).to.deep.equal([RolesGuard]);
      expect(reflector.get(Roles, rename)).to.deep.equal(['admin']);
    });

    it("reads tiercache's own metadata through its getters and through reflect-metadata", () => {
      const { ProductService, ProductResolver, ProductController } = fixture;
      const product = fixture.getCachedMetadata(ProductService, 'product');
      expect(product?.name).to.equal('ProductService.product');
      expect(product?.options.ttl).to.equal('5m');
      expect(fixture.getCachedMetadata(ProductController, 'list')?.options.tags).to.deep.equal(['products']);
      // Below another tiercache decorator: found through the chain of wrappers.
      expect(fixture.getCachedMetadata(ProductService, 'search')?.options.ttl).to.equal('1m');
      expect(fixture.getRateLimitedMetadata(ProductService, 'search')).to.include({ limit: 2, window: '1m' });
      expect(fixture.getRateLimitedMetadata(ProductResolver, 'rename')).to.include({ limit: 1 });
      expect(fixture.getInvalidatesTagsMetadata(ProductController, 'rename')?.tags).to.deep.equal(['products']);
      expect(fixture.getInvalidatesTagsMetadata(ProductService, 'rename')?.tags).to.be.a('function');
      expect(fixture.getCachedMetadata(ProductService, 'rename')).to.equal(undefined);

      // Where NestJS tools look: reflect-metadata on the prototype and the method's name.
      expect(Reflect.getMetadata('tiercache:cached', ProductService.prototype, 'product')).to.have.nested.property('options.ttl', '5m');
      // On the handler too, where Nest's guards and interceptors read it.
      expect(new Reflector().get('tiercache:cached', handler(ProductService, 'product'))).to.have.nested.property('options.ttl', '5m');
      expect(new Reflector().get('tiercache:ratelimited', handler(ProductService, 'search'))).to.not.equal(undefined);
      expect(Reflect.getMetadata('tiercache:cached', ProductService.prototype, 'search')).to.have.nested.property('options.ttl', '1m');
      expect(Reflect.getMetadata('tiercache:ratelimited', ProductService.prototype, 'search')).to.include({ limit: 2 });
      expect(Reflect.getMetadata('tiercache:invalidates', ProductService.prototype, 'rename')).to.have.property('tags');
      expect(Reflect.getMetadata('tiercache:invalidates', ProductController.prototype, 'rename')).to.deep.include({ tags: ['products'] });
      // And from a guard or an interceptor, which has the class and the handler: the wrapper keeps the method's name.
      expect(fixture.getCachedMetadata(ProductResolver, handler(ProductResolver, 'page').name)).to.have.nested.property('options.ttl', '1m');
    });

    it("keeps emitDecoratorMetadata's design:paramtypes and design:returntype", () => {
      const { ProductService, ProductResolver, ProductController } = fixture;
      expect(Reflect.getMetadata('design:paramtypes', ProductService.prototype, 'product')).to.deep.equal([Number]);
      expect(Reflect.getMetadata('design:paramtypes', ProductService.prototype, 'rename')).to.deep.equal([Number, String]);
      expect(Reflect.getMetadata('design:paramtypes', ProductService.prototype, 'search')).to.deep.equal([String, String]);
      expect(Reflect.getMetadata('design:paramtypes', ProductResolver.prototype, 'page')).to.deep.equal([Array]);
      expect(Reflect.getMetadata('design:paramtypes', ProductController.prototype, 'rename')).to.deep.equal([String, String]);
      for (const [type, name] of [[ProductService, 'product'], [ProductService, 'rename'], [ProductService, 'search'], [ProductResolver, 'rename'], [ProductController, 'list']] as const) {
        expect(Reflect.getMetadata('design:returntype', type.prototype, name), `${type.name}.${name}`).to.equal(Promise);
        expect(Reflect.getMetadata('design:type', type.prototype, name), `${type.name}.${name}`).to.equal(Function);
      }
      // What Nest's injector reads to construct the classes.
      expect(Reflect.getMetadata('design:paramtypes', ProductService)).to.deep.equal([fixture.ProductRepository]);
      expect(Reflect.getMetadata('design:paramtypes', ProductResolver)).to.deep.equal([ProductService]);
    });
  });

  const targets: { label: string; redis: boolean }[] = [
    { label: 'L1 only', redis: false },
    { label: 'L1 and a private Redis', redis: true },
  ];
  for (const target of targets) {
    describe(`an application context (${target.label})`, () => {
      const redis: (() => RedisServer) | undefined = target.redis ? useRedis() : undefined;
      let app: INestApplicationContext | undefined;
      let cache: CacheEngine;

      beforeEach(async () => {
        run++;
        app = await fixture.bootstrap({ namespace: `nest-${Date.now().toString(36)}-${run}`, l2: redis === undefined ? false : { redis: redis().url } });
        cache = app.get<symbol, CacheEngine>(fixture.TIERCACHE);
      });

      afterEach(async () => {
        await app?.close();
        app = undefined;
      });

      /** The running application, for the tests. */
      function nest(): INestApplicationContext {
        if (app === undefined) throw new Error('the application is closed');
        return app;
      }

      /** Runs `host[method]` as Nest runs a handler outside HTTP: guards, interceptors, pipes. */
      function throughNest(host: object, method: string): (...args: unknown[]) => Promise<unknown> {
        const callback = (host as Record<string, (...args: unknown[]) => unknown>)[method]!;
        return nest().get(ExternalContextCreator).create(host, callback, method, undefined, undefined, undefined, undefined, { guards: true, interceptors: true, filters: false });
      }

      it('resolves the providers by constructor injection and makes the engine the default', async () => {
        const service = nest().get(fixture.ProductService);
        const resolver = nest().get(fixture.ProductResolver);
        expect(service).to.be.instanceOf(fixture.ProductService);
        expect(resolver.products).to.equal(service);
        expect(service.repository).to.equal(nest().get(fixture.ProductRepository));
        expect(fixture.getDefaultCache()).to.equal(cache);
        expect(await cache.ready()).to.deep.equal(redis === undefined ? { l2: 'disabled', bus: 'disabled' } : { l2: 'connected', bus: 'connected' });
      });

      it("caches the service's reads: one miss runs the repository, the next calls hit", async () => {
        const service = nest().get(fixture.ProductService);
        expect(await service.product(1)).to.deep.equal({ id: 1, name: 'Dune' });
        expect(await service.product(1)).to.deep.equal({ id: 1, name: 'Dune' });
        expect(await service.product(1)).to.deep.equal({ id: 1, name: 'Dune' });
        expect(service.repository.queries).to.equal(1);
        const stats = cache.stats().methods['ProductService.product'];
        expect(stats).to.deep.include({ misses: 1, factoryCalls: 1, hits: { l1: 2, l2: 0 } });
      });

      it('invalidates the tags of a write, so the next read runs the repository again', async () => {
        const service = nest().get(fixture.ProductService);
        await service.product(1);
        await service.product(2);
        await service.rename(1, 'Dune Messiah');
        expect(await service.product(1)).to.deep.equal({ id: 1, name: 'Dune Messiah' });
        expect(await service.product(2)).to.deep.equal({ id: 2, name: 'Solaris' }); // 'products' was invalidated too
        expect(service.repository.queries).to.equal(4);
        expect(cache.stats().methods['ProductService.product']).to.deep.include({ misses: 4, factoryCalls: 4 });
      });

      it('rate limits per key (hits included) and rejects with RateLimitError past the limit', async () => {
        const service = nest().get(fixture.ProductService);
        const user = 'ada';
        expect(await service.search(user, 'dune')).to.deep.equal([{ id: 1, name: 'Dune' }]);
        expect(await service.search(user, 'dune')).to.deep.equal([{ id: 1, name: 'Dune' }]);
        const error: unknown = await service.search(user, 'dune').then(() => undefined, (reason: unknown) => reason);
        expect(error).to.be.instanceOf(fixture.RateLimitError);
        expect(fixture.isTierCacheError(error)).to.equal(true);
        const limited = error as InstanceType<Fixture['RateLimitError']>;
        expect(limited).to.include({ limit: 2, remaining: 0 });
        expect(limited.policy).to.deep.equal({ name: 'search', limit: 2, windowMs: 60_000 });
        expect(limited.retryAfterMs).to.be.greaterThan(0);
        expect(await service.search('grace', 'solaris')).to.deep.equal([{ id: 2, name: 'Solaris' }]);
        expect(service.repository.queries).to.equal(2);
      });

      it('runs the Nest guards that the wrappers carry, in both orders', async () => {
        const resolver = nest().get(fixture.ProductResolver);
        const session = nest().get(fixture.Session);
        const page = throughNest(resolver, 'page');
        const rename = throughNest(resolver, 'rename');
        const id = 3;

        session.role = 'reader';
        expect(await page([1, 2])).to.deep.equal([{ id: 1, name: 'Dune' }, { id: 2, name: 'Solaris' }]);
        expect(await page([1, 2])).to.have.length(2);
        expect(resolver.products.repository.queries).to.equal(2);
        // The guard read @Roles(['admin']) from @RateLimited's wrapper and refused before it ran.
        const refused: unknown = await rename(id, 'Ubik').then(() => undefined, (reason: unknown) => reason);
        expect(refused).to.be.instanceOf(ForbiddenException);

        session.role = 'guest';
        expect(await page([1, 2]).then(() => undefined, (reason: unknown) => reason)).to.be.instanceOf(ForbiddenException);

        session.role = 'admin';
        expect(await rename(id, 'Ubik')).to.deep.equal({ id, name: 'Ubik' }); // the refused call consumed nothing
        expect(await rename(id, 'Valis').then(() => undefined, (reason: unknown) => reason)).to.be.instanceOf(fixture.RateLimitError);
      });

      it("shows Nest's explorers the routes of the decorated controller methods", () => {
        const discovery = nest().get(DiscoveryService);
        const scanner = nest().get(MetadataScanner);
        const reflector = nest().get(Reflector);
        // As Nest's RouterExplorer reads them: the controller's path, then each method's.
        const routes = discovery.getControllers().flatMap(({ metatype, instance }) => {
          const prototype = Object.getPrototypeOf(instance) as Record<string, (...args: unknown[]) => unknown>;
          return scanner.getAllMethodNames(prototype).map((name) => {
            const method = prototype[name]!;
            return {
              route: `${RequestMethod[reflector.get<RequestMethod>(METHOD_METADATA, method)]} /${reflector.get<string>(PATH_METADATA, metatype as Type)}/${reflector.get<string>(PATH_METADATA, method).replace(/^\//, '')}`,
              status: reflector.get<number>(HTTP_CODE_METADATA, method),
              cached: fixture.getCachedMetadata(metatype as Type, name) !== undefined,
            };
          });
        });
        expect(routes).to.deep.equal([
          { route: 'GET /products/', status: 203, cached: true },
          { route: 'PUT /products/:id', status: 200, cached: false },
        ]);
      });

      it('closes the engine on app.close() and clears the default engine', async () => {
        let closes = 0;
        const close = cache.close.bind(cache);
        cache.close = async () => {
          closes++;
          await close();
        };
        await nest().get(fixture.ProductService).product(1);
        await nest().close();
        app = undefined;
        expect(closes).to.equal(1);
        expect(fixture.getDefaultCache()).to.equal(undefined);
        // What close() released (timers, the Redis connections) no longer holds the process: mocha runs without --exit.
      });
    });
  }
});
