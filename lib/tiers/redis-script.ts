import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

/**
 * A Lua script run with EVALSHA (one round trip, the body sent once per connection), falling
 * back to EVAL when the server answers NOSCRIPT (a restart, a SCRIPT FLUSH, a new cluster node).
 * Scripts here touch one key, so they run on one slot of a cluster.
 */
export class RedisScript {
  readonly name: string;
  /** The SHA1 of the body, as EVALSHA names the script (the in-memory server of the testing kit matches on it). */
  readonly sha: string;
  readonly #body: string;

  constructor(name: string, body: string) {
    this.name = name;
    this.#body = body;
    this.sha = createHash('sha1').update(body).digest('hex');
  }

  async run(client: Redis | Cluster, key: string, args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, 1, key, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return client.eval(this.#body, 1, key, ...args);
    }
  }
}
