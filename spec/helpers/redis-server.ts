import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { freePort } from './free-port.js';

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

const READY_LINE = 'Ready to accept connections';
const STOP_GRACE_MS = 5000;
const START_ATTEMPTS = 3;

/** Every process still running, so a crashed run can SIGKILL them on the way out. */
const running = new Map<ChildProcess, string>();
/** Servers started and not yet stopped, with where they were started, to catch a suite that forgets one. */
const unstopped = new Map<RedisServer, string>();

let exitHandlersInstalled = false;
function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  // Synchronous on purpose ('exit' handlers cannot wait): kill and rmSync are.
  const killAll = (): void => {
    for (const [child, dir] of running) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  };
  process.on('exit', killAll);
  // A process killed by a signal never emits 'exit'. SIGINT is left to mocha, and a Ctrl-C reaches
  // the servers anyway (same process group); SIGTERM and SIGHUP (a CI timeout, a closed terminal)
  // do not. `once` removes the listener, so raising the signal again ends us the default way.
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

/**
 * Launches a private `redis-server` on a free port of 127.0.0.1, without persistence, in a
 * temporary directory, and resolves once it answers PING.
 *
 * Prefer {@link useRedis} in a suite: it stops the server even when a test fails.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const { args = [], readyTimeoutMs = 10_000 } = options;
  // Line 0 is "Error", line 1 this function: line 2 is whoever asked for the server.
  const origin = new Error().stack?.split('\n')[2]?.trim() ?? 'an unknown caller';
  installExitHandlers();
  const dir = mkdtempSync(join(tmpdir(), 'tiercache-redis-'));

  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 1; child === undefined; attempt += 1) {
    port = await freePort();
    try {
      child = await launch(port, dir, args, readyTimeoutMs);
    } catch (error) {
      // The free port can be taken by someone else before redis-server binds it: try another.
      const taken = error instanceof LaunchError && error.log.includes('Address already in use');
      if (!taken || attempt >= START_ATTEMPTS) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
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
      child = await launch(port, dir, args, readyTimeoutMs);
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
        unstopped.delete(server);
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
  unstopped.set(server, origin);
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
 * Stops every server that was started and not stopped, and describes each (its URL and where it
 * was started). Called by the root hooks, which fail the run if the list is not empty.
 */
export async function stopLeftoverServers(): Promise<string[]> {
  const leftovers = [...unstopped];
  await Promise.all(leftovers.map(([server]) => server.stop()));
  return leftovers.map(([server, origin]) => `${server.url} (started ${origin})`);
}

class LaunchError extends Error {
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(`${message}\n--- redis-server output ---\n${log}`);
  }
}

/** Spawns redis-server and resolves once it has said it is ready and answered a PING. */
async function launch(port: number, dir: string, args: readonly string[], readyTimeoutMs: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', 'no',
      '--dir', dir,
      '--daemonize', 'no',
      ...args,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.set(child, dir);
  child.once('exit', () => running.delete(child));

  // Keep reading for the whole life of the process: a full pipe would block Redis on its next log line.
  const lines: string[] = [];
  const log = (): string => lines.join('');
  const collect = (chunk: Buffer): void => {
    lines.push(chunk.toString());
    if (lines.length > 50) lines.shift();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  try {
    await new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        child.off('error', onError);
      };
      const onData = (): void => {
        if (!log().includes(READY_LINE)) return;
        cleanup();
        resolve();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        cleanup();
        reject(new LaunchError(`redis-server on port ${port} exited before it was ready (code ${code}, signal ${signal})`, log()));
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(new LaunchError(`redis-server could not be spawned: ${error.message}`, log()));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new LaunchError(`redis-server on port ${port} was not ready after ${readyTimeoutMs} ms`, log()));
      }, readyTimeoutMs);
      child.stdout?.on('data', onData);
      child.once('exit', onExit);
      child.once('error', onError);
    });
    // The log line comes from our process; the PING proves the port answers, not just that it is bound.
    await ping(port, readyTimeoutMs);
  } catch (error) {
    await terminate(child, 'SIGKILL');
    throw error;
  }
  return child;
}

/** Sends one PING on a raw socket and resolves on `+PONG`. */
function ping(port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no PONG from port ${port} within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (!reply.includes('\r\n')) return;
      socket.destroy();
      if (reply.startsWith('+PONG')) resolve();
      else reject(new Error(`unexpected reply to PING on port ${port}: ${JSON.stringify(reply)}`));
    });
    socket.on('error', reject);
    // A no-op once settled; otherwise a close without a full reply is a failure, not a hang.
    socket.on('close', () => reject(new Error(`port ${port} closed the connection before answering PING`)));
  });
}

/** Sends `signal` (then SIGKILL if a SIGTERM is not obeyed in time) and resolves once the process has exited. */
async function terminate(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    if (signal === 'SIGTERM') {
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    } else {
      await exited;
    }
  }
  // The pipes close on their own soon after exit; destroying them now means stop() leaves no handle behind.
  child.stdout?.destroy();
  child.stderr?.destroy();
}
