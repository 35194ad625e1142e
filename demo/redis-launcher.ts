import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A `redis-server` this process started, on a free port of 127.0.0.1, without persistence. */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** Shuts it down (SIGTERM, then SIGKILL) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startPrivateRedis}. */
export interface PrivateRedisOptions {
  /**
   * Kill the server and exit this process on SIGINT/SIGTERM. A caller that shuts down in order
   * (HTTP server, then its Redis clients, then Redis) turns this off and calls `stop()` last; the
   * server is still killed when this process exits.
   * @default true
   */
  handleSignals?: boolean;
}

const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 3_000;

/** The path of `name` if an executable of that name is on the PATH. */
export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Starts a private `redis-server` if one is on the PATH, and resolves once it answers PING;
 * resolves `undefined` when there is none. The server is killed when this process exits or
 * (unless `handleSignals` is false) receives SIGINT or SIGTERM, so a Ctrl-C never leaves one
 * behind. It runs in its own process group, so the Ctrl-C of a terminal reaches this process
 * only, which stops Redis after the clients that use it have closed.
 */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis | undefined> {
  const { handleSignals = true } = options;
  const binary = findOnPath('redis-server');
  if (binary === undefined) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'tiercache-demo-redis-'));
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // Keep draining the output (a full pipe would block Redis); the tail explains a failed start.
  let log = '';
  const collect = (chunk: Buffer): void => void (log = (log + chunk.toString()).slice(-2_000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const killNow = (): void => {
    if (isRunning(child)) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    killNow();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', killNow);
  if (handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      process.off('exit', killNow);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await terminate(child);
      rmSync(dir, { recursive: true, force: true });
    })());

  try {
    await waitForPong(child, port, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** A port the kernel just gave a throwaway listener. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port available');
  return address.port;
}

/** PINGs the port until it answers +PONG; fails early if the process exits. */
async function waitForPong(child: ChildProcess, port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!isRunning(child)) throw new Error(`redis-server exited before it was ready:\n${log()}`);
    if (await ping(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.on('error', () => done(false));
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (isRunning(child)) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}
