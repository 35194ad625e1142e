import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { killOnExit, terminate } from './child-process.js';
import { freePort } from './free-port.js';

/**
 * Launching one `redis-server` process for the rig: shared by the single server
 * (`redis-server.ts`) and the cluster (`redis-cluster.ts`).
 */

const READY_LINE = 'Ready to accept connections';
const START_ATTEMPTS = 3;

/** A `redis-server` that failed to start, with the last lines it printed. */
export class LaunchError extends Error {
  constructor(
    message: string,
    readonly log: string,
  ) {
    super(`${message}\n--- redis-server output ---\n${log}`);
  }
}

/**
 * Launches `redis-server` in `dir` on a port picked by `pickPort`, trying another port when the
 * one picked turns out to be taken (another process can bind a free port before redis-server
 * does). Does not remove `dir` on failure: it belongs to the caller.
 */
export async function launchOnFreePort(
  dir: string,
  args: readonly string[],
  readyTimeoutMs: number,
  pickPort: () => Promise<number> = freePort,
): Promise<{ port: number; child: ChildProcess }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await pickPort();
    try {
      return { port, child: await launchRedis(port, dir, args, readyTimeoutMs) };
    } catch (error) {
      const taken = error instanceof LaunchError && error.log.includes('Address already in use');
      if (!taken || attempt >= START_ATTEMPTS) throw error;
    }
  }
}

/**
 * Spawns redis-server on 127.0.0.1:`port`, without persistence, with `dir` as its directory, and
 * resolves once it has said it is ready and answered a PING. The process is killed (and `dir`
 * removed) if this process exits while it still runs.
 */
export async function launchRedis(port: number, dir: string, args: readonly string[], readyTimeoutMs: number): Promise<ChildProcess> {
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
  killOnExit(child, () => rmSync(dir, { recursive: true, force: true }));

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
