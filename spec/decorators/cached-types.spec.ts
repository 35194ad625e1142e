import { expect } from 'chai';
import { Cached, createCache } from '../../lib/index.js';

/**
 * Type-level checks: this file must compile, and each `@ts-expect-error` must still be an
 * error, or `tsc` (run before the suite) fails.
 */
describe('@Cached types', () => {
  it('types key and tag builders from the method parameters', async () => {
    const cache = createCache({ namespace: 'types' });
    class Svc {
      @Cached({ cache, key: (id: number) => `n${id}`, tags: (id: number) => [`t:${id}`] })
      async byId(id: number, _verbose = false): Promise<number> {
        return id;
      }

      // A builder may read a wider type than the method passes.
      @Cached({ cache, key: (user: { id: string }) => user.id })
      async profile(user: { id: string; session: string }): Promise<string> {
        return user.session;
      }

      // @ts-expect-error the key builder takes a string, the method a number
      @Cached({ cache, key: (id: string) => id })
      async wrong(id: number): Promise<number> {
        return id;
      }

      // @ts-expect-error the tag builder needs two arguments, the method has one
      @Cached({ cache, tags: (a: number, b: number) => [`${a + b}`] })
      async tooFew(a: number): Promise<number> {
        return a;
      }
    }
    const svc = new Svc();
    expect(await svc.byId(1)).to.equal(1);
    expect(await svc.profile({ id: 'u', session: 's' })).to.equal('s');
    await cache.close();
  });
});
