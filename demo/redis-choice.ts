import { startPrivateRedis, type PrivateRedis } from './redis-launcher.js';

/** Where the demo's Redis comes from, and the one line that tells the user. */
export interface RedisChoice {
  /** `undefined`: no Redis at all, the demo runs L1 only. */
  readonly url: string | undefined;
  /** One line for the console saying which Redis is used (or that there is none). */
  readonly note: string;
  /** The private server this process started, to stop last; `undefined` when it started none. */
  readonly server: PrivateRedis | undefined;
}

/**
 * DEMO.md's rule: `REDIS_URL` if set; else a private `redis-server` on a free port if one is on
 * the PATH; else none. A private server is not stopped on a signal here: the caller stops it
 * after its own clients have closed (`server.stop()`), and it is killed when the process exits.
 */
export async function chooseRedis(env: NodeJS.ProcessEnv = process.env): Promise<RedisChoice> {
  const fromEnv = env['REDIS_URL'];
  if (fromEnv !== undefined && fromEnv !== '') return { url: fromEnv, note: `Redis: ${fromEnv} (from REDIS_URL)`, server: undefined };
  const server = await startPrivateRedis({ handleSignals: false });
  if (server === undefined) {
    return {
      url: undefined,
      note: 'No Redis (REDIS_URL unset, no redis-server on the PATH): running L1 only.',
      server: undefined,
    };
  }
  return { url: server.url, note: `Redis: a private redis-server on ${server.url}, stopped on exit`, server };
}
