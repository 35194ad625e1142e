import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { terminate } from './child-process.js';
import { callerOrigin, stopLeftovers, trackLeftover } from './leftovers.js';
import { launchOnFreePort, launchRedis } from './redis-process.js';

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** Extra `redis-server` arguments, such as `['--maxmemory', '10mb']`. */
  args?: readonly string[];
  /**
   * How long to wait for the server to be ready, per start.
   * @defaultValue 10000
   */
  readyTimeoutMs?: number;
}

/** A private `redis-server` on 127.0.0.1 that a test can kill, restart, pause and stop. */
export interface RedisServer {
  /** The port it listens on; the same across restarts. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** The pid of the current process, `undefined` while killed or stopped. */
  readonly pid: number | undefined;
  /** Kills the process with SIGKILL (no shutdown, data lost); resolves once it has exited. */
  kill(): Promise<void>;
  /**
   * Starts a fresh process on the same port (killing the current one first, if any) and waits
   * until it answers PING. The new server is empty and has a new `run_id`.
   */
  restart(): Promise<void>;
  /** Freezes the process with SIGSTOP: connections stay open, nothing answers. */
  pause(): void;
  /** Thaws a paused process with SIGCONT. */
  resume(): void;
  /**
   * Disconnects the clients made by {@link RedisServer.client}, shuts the server down with
   * SIGTERM (SIGKILL if it lingers) and removes its directory. Idempotent; resumes a paused
   * server first.
   */
  stop(): Promise<void>;
  /**
   * A new ioredis client for this server, disconnected by {@link RedisServer.stop}. `options`
   * override the defaults (pass `port` to go through a proxy).
   */
  client(options?: RedisOptions): Redis;
}

/**
 * Launches a private `redis-server` on a free port of 127.0.0.1, without persistence, in a
 * temporary directory, and resolves once it answers PING.
 *
 * Prefer {@link useRedis} in a suite: it stops the server even when a test fails.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const { args = [], readyTimeoutMs = 10_000 } = options;
  const origin = callerOrigin();
  const dir = mkdtempSync(join(tmpdir(), 'tiercache-redis-'));

  let port: number;
  let child: ChildProcess | undefined;
  try {
    ({ port, child } = await launchOnFreePort(dir, args, readyTimeoutMs));
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const clients = new Set<Redis>();
  let paused = false;
  let stopping: Promise<void> | undefined;

  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    async kill() {
      const current = child;
      if (current === undefined) return;
      child = undefined;
      paused = false;
      await terminate(current, 'SIGKILL');
    },
    async restart() {
      if (stopping !== undefined) throw new Error(`redis-server on port ${port} was stopped; it cannot restart`);
      await server.kill();
      // Same port on purpose: clients must find it where they left it.
      child = await launchRedis(port, dir, args, readyTimeoutMs);
    },
    pause() {
      if (child === undefined) throw new Error(`redis-server on port ${port} is not running`);
      child.kill('SIGSTOP');
      paused = true;
    },
    resume() {
      if (child === undefined) throw new Error(`redis-server on port ${port} is not running`);
      child.kill('SIGCONT');
      paused = false;
    },
    stop() {
      stopping ??= (async () => {
        for (const client of clients) client.disconnect();
        clients.clear();
        const current = child;
        child = undefined;
        if (current !== undefined) {
          // A stopped process would hold SIGTERM until continued.
          if (paused) current.kill('SIGCONT');
          await terminate(current, 'SIGTERM');
        }
        rmSync(dir, { recursive: true, force: true });
        forget();
      })();
      return stopping;
    },
    client(clientOptions = {}) {
      const client = new Redis({ host: '127.0.0.1', port, ...clientOptions });
      // Without a listener ioredis prints "Unhandled error event" for every failed reconnect,
      // which is the normal state of affairs in a fault test. Tests that care add their own.
      client.on('error', () => {});
      clients.add(client);
      return client;
    },
  };
  const forget = trackLeftover(server.url, origin, () => server.stop());
  return server;
}

/**
 * Starts a private Redis in `before` and stops it in `after`, for the enclosing `describe`.
 * Returns a getter, since the server exists only once `before` has run.
 */
export function useRedis(options: StartRedisOptions = {}): () => RedisServer {
  let server: RedisServer | undefined;
  before(async () => {
    server = await startRedis(options);
  });
  after(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error('useRedis(): the server is only available once `before` has run');
    return server;
  };
}

/**
 * Stops everything the rig started and no suite stopped (servers, clusters, replicas), and
 * describes each (what it is and where it was started). Called by the root hooks, which fail the
 * run if the list is not empty.
 */
export async function stopLeftoverServers(): Promise<string[]> {
  return stopLeftovers();
}
