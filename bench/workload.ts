/** What every scenario reads: the key space, the value, and how concurrent cases keep calls in flight. */

/** Distinct keys per case: enough that single-flight never merges two calls of a concurrent case. */
export const KEYS = 1000;

/** Calls kept in flight by the concurrent cases. */
export const IN_FLIGHT = 100;

/** The cached value: a small object, about 80 bytes of JSON. */
export interface Product {
  id: number;
  name: string;
  price: number;
  tags: string[];
}

export function makeProduct(id: number): Product {
  return { id, name: `product ${id}`, price: id * 1.5, tags: ['bench', 'small'] };
}

/** `product:0` ... `product:999`, built once so that no case pays for its key strings. */
export const STRING_KEYS: readonly string[] = Array.from({ length: KEYS }, (_, i) => `product:${i}`);

/**
 * Runs `ops` calls of `call(i)` with `concurrency` of them in flight at any time until the
 * last ones: each worker starts its next call as soon as its previous one resolves.
 */
export async function inFlight(ops: number, concurrency: number, call: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ops) await call(next++);
  };
  const workers: Promise<void>[] = [];
  for (let w = 0; w < Math.min(concurrency, ops); w++) workers.push(worker());
  await Promise.all(workers);
}
