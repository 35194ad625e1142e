import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { killOnExit } from './child-process.js';
import { callerOrigin, trackLeftover } from './leftovers.js';

/**
 * Replicas: the service under test running in real child processes (`child_process.fork`), each
 * with its own memory, event loop and Redis connections, driven from the test by RPC.
 *
 * A replica module exports `setup(init)`, which builds what the replica runs (a cache, decorated
 * services) and returns its {@link ReplicaHandlers}; the test calls them by name with
 * {@link Replica.call}. The child's entry point is `replica-main.ts`.
 *
 * Everything that crosses the process boundary (the init payload, arguments, return values,
 * errors) is sent as JSON: `undefined` properties vanish, a `Date` arrives as a string, a `Map`
 * as `{}`, and a value JSON cannot encode (a `BigInt`, a cycle) fails the call. Return plain
 * data, and let handlers take and return what a test can compare.
 */

/** A function a replica exposes to the test. Its arguments and result cross as JSON. */
export type ReplicaHandler = (...args: any[]) => Promise<unknown>;

/** What a replica module's `setup` returns: its handlers by name, and an optional `close`. */
export interface ReplicaHandlers {
  [method: string]: ReplicaHandler | undefined;
  /** Called by {@link Replica.close} before the child exits: release what `setup` opened. */
  close?: () => Promise<void>;
}

/** The signature of the `setup` export of a replica module. */
export type ReplicaSetup<Init = any> = (init: Init) => Promise<ReplicaHandlers>;

/** Options of {@link startReplica}. */
export interface StartReplicaOptions {
  /**
   * Node options of the child.
   * @defaultValue this process's `execArgv`, without `--inspect*` (a second debugger on the same port would fail)
   */
  execArgv?: readonly string[];
  /** Variables added to (or overriding) this process's environment for the child. */
  env?: Readonly<Record<string, string>>;
  /**
   * How long the child may take to import the module and run `setup`.
   * @defaultValue 10000
   */
  readyTimeoutMs?: number;
  /**
   * How long {@link Replica.close} waits for the child to exit before killing it.
   * @defaultValue 5000
   */
  closeTimeoutMs?: number;
}

/** The events of a {@link Replica}. */
export interface ReplicaEvents {
  /** The child exited: by itself, by {@link Replica.kill} or after {@link Replica.close}. */
  exit: [code: number | null, signal: NodeJS.Signals | null];
  /**
   * The child died of an uncaught exception or an unhandled rejection (`code` `REPLICA_CRASHED`,
   * the child's error as `cause`). A test that expects a crash listens. With no listener, the
   * crash fails the running test: through the calls that were pending (they reject with it as
   * `cause`), or, if none was, by being thrown in this process as an uncaught exception.
   */
  error: [error: Error];
}

/** The wire protocol between {@link Replica} (parent) and `replica-main.ts` (child). */
export type ParentMessage =
  | { type: 'init'; module: string; init: unknown }
  | { type: 'call'; id: number; method: string; args: unknown[] }
  | { type: 'close' };

/** @see ParentMessage */
export type ChildMessage =
  | { type: 'ready' }
  | { type: 'init-failed'; error: WireError }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: WireError }
  | { type: 'closed'; error?: WireError }
  | { type: 'fatal'; kind: 'uncaughtException' | 'unhandledRejection'; error: WireError };

/** An error as it crosses IPC: its name, message, stack, and its own JSON-encodable properties. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** Own enumerable properties (`code`, `key`, `retryAfterMs`...) that JSON can carry. */
  props: Record<string, unknown>;
  cause?: WireError;
}

interface Pending {
  readonly method: string;
  /** Where the test made the call, for the stack of an error from the child. */
  readonly site: string;
  readonly resolve: (value: any) => void;
  readonly reject: (error: Error) => void;
}

const MAIN = fileURLToPath(new URL('./replica-main.js', import.meta.url));

/**
 * One replica process. Made by {@link startReplica} or {@link useReplicas}.
 *
 * Calls are answered in any order; every pending call rejects (`code` `REPLICA_EXITED`) when the
 * child dies, so a killed replica never leaves a test waiting.
 */
export class Replica extends EventEmitter<ReplicaEvents> {
  readonly #child: ChildProcess;
  readonly #closeTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #gone: Promise<void>;
  #nextId = 1;
  #dead = false;
  #exit = '';
  #crash: Error | undefined;
  #closing: Promise<void> | undefined;
  #closeError: Error | undefined;

  /** @internal Use {@link startReplica}. */
  constructor(child: ChildProcess, closeTimeoutMs: number) {
    super();
    this.#child = child;
    this.#closeTimeoutMs = closeTimeoutMs;
    child.on('message', (message: ChildMessage) => this.#receive(message));
    child.once('exit', (code, signal) => {
      this.#exit = signal === null ? `code ${code}` : `signal ${signal}`;
      this.emit('exit', code, signal);
    });
    // A failed spawn emits 'error' then 'close', no 'exit'. Failed sends and kills are reported
    // where they happen (send callbacks, the kill's own wait).
    child.on('error', (error) => {
      if (child.pid === undefined) this.#exit = `could not spawn: ${error.message}`;
    });
    // 'close' comes after 'exit' and after the IPC channel is drained: no answer can still arrive.
    this.#gone = new Promise((resolve) => {
      child.once('close', () => {
        this.#dead = true;
        this.#rejectPending();
        resolve();
      });
    });
  }

  /** The child's process id. */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** Whether the child has exited. */
  get exited(): boolean {
    return this.#dead;
  }

  /**
   * Calls the handler `method` in the child with `args` and resolves with its result. A handler
   * that throws rejects this call with an `Error` carrying the child's name, message, `code` and
   * other own properties, with the child's stack appended to this one.
   */
  call<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    if (method === 'close') return Promise.reject(new Error('call("close") is not a handler call: use replica.close()'));
    if (this.#dead) return Promise.reject(this.#exitedError(method));
    if (this.#closing !== undefined) return Promise.reject(new Error(`replica pid ${this.pid} is closing; ${method}() was not sent`));
    const id = this.#nextId++;
    const site = new Error().stack?.split('\n').slice(2).join('\n') ?? '';
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { method, site, resolve, reject });
      this.#send({ type: 'call', id, method, args }, (error) => {
        if (this.#pending.delete(id)) reject(new Error(`${method}() could not be sent to replica pid ${this.pid}: ${error.message}`, { cause: error }));
      });
    });
  }

  /**
   * Sends `signal` to the child and resolves once it has exited (and every pending call has
   * rejected). Resolves at once if it already has. Only for signals that end the process.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.#dead) this.#child.kill(signal);
    await this.#gone;
  }

  /**
   * Asks the child to call its handlers' `close()` and exit, and resolves once it has. Rejects
   * if `close()` threw, or if the child had not exited after `closeTimeoutMs` (it is then
   * killed). Resolves at once for a replica that already exited. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#dead) return;
      const timer = setTimeout(() => {
        this.#closeError ??= new Error(`replica pid ${this.pid} did not exit within ${this.#closeTimeoutMs} ms of close(); killed it`);
        this.#child.kill('SIGKILL');
      }, this.#closeTimeoutMs);
      this.#send({ type: 'close' }, () => this.#child.kill('SIGKILL'));
      await this.#gone;
      clearTimeout(timer);
      if (this.#closeError !== undefined) throw this.#closeError;
    })();
    return this.#closing;
  }

  /** @internal Resolves once `setup` ran in the child; rejects with its error, or on a timeout. */
  async ready(module: string, init: unknown, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onMessage: ((message: ChildMessage) => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onMessage = (message) => {
          if (message.type === 'ready') resolve();
          else if (message.type === 'init-failed') reject(fromWire(message.error, this.pid));
        };
        this.#child.on('message', onMessage);
        void this.#gone.then(() => reject(new Error(`replica pid ${this.pid} exited (${this.#exit}) before setup finished`, { cause: this.#crash })));
        timer = setTimeout(() => reject(new Error(`replica pid ${this.pid} was not ready within ${timeoutMs} ms`)), timeoutMs);
        this.#send({ type: 'init', module, init }, reject);
      });
    } catch (error) {
      await this.kill();
      throw error;
    } finally {
      clearTimeout(timer);
      if (onMessage !== undefined) this.#child.off('message', onMessage);
    }
  }

  #receive(message: ChildMessage): void {
    switch (message.type) {
      case 'result': {
        const pending = this.#pending.get(message.id);
        if (pending === undefined) return;
        this.#pending.delete(message.id);
        if (message.ok) pending.resolve(message.value);
        else pending.reject(fromWire(message.error, this.pid, pending.site));
        return;
      }
      case 'closed':
        if (message.error !== undefined) this.#closeError = fromWire(message.error, this.pid);
        return;
      case 'fatal': {
        const cause = fromWire(message.error, this.pid);
        const error = new Error(`replica pid ${this.pid} died of an ${message.kind}: ${cause.message}`, { cause });
        Object.assign(error, { code: 'REPLICA_CRASHED' });
        this.#crash = error;
        // Pending calls will reject with this crash as their cause, which fails the test that
        // awaits them. Otherwise, with no listener, emit() throws: an uncaught exception here,
        // which fails the running test all the same (once, not also through a call).
        if (this.#pending.size === 0 || this.listenerCount('error') > 0) this.emit('error', error);
        return;
      }
      default:
        return;
    }
  }

  #send(message: ParentMessage, onError: (error: Error) => void): void {
    if (!this.#child.connected) {
      onError(new Error('the IPC channel is closed'));
      return;
    }
    this.#child.send(message, (error) => {
      if (error !== null) onError(error);
    });
  }

  #rejectPending(): void {
    for (const { method, reject } of this.#pending.values()) reject(this.#exitedError(method));
    this.#pending.clear();
  }

  #exitedError(method: string): Error {
    const crash = this.#crash === undefined ? '' : `: ${this.#crash.message}`;
    const error = new Error(`replica pid ${this.pid} exited (${this.#exit}) before answering ${method}()${crash}`, { cause: this.#crash });
    return Object.assign(error, { code: 'REPLICA_EXITED' });
  }
}

/**
 * Forks a replica: a Node child process that imports `modulePath` (an absolute path or a
 * `file:` URL, such as `new URL('./fixtures/my-replica.js', import.meta.url)`), calls its
 * `setup(init)`, and resolves once `setup` has returned. Rejects with the child's error if the
 * import or `setup` fails.
 *
 * The child is killed if this process exits first, and exits by itself if this process dies
 * (its IPC channel closes). Prefer {@link useReplicas} in a suite.
 */
export async function startReplica<Init = unknown>(modulePath: string | URL, init: Init, options: StartReplicaOptions = {}): Promise<Replica> {
  const { execArgv = process.execArgv.filter((arg) => !arg.startsWith('--inspect')), env = {}, readyTimeoutMs = 10_000, closeTimeoutMs = 5000 } = options;
  const origin = callerOrigin();
  const module = moduleUrl(modulePath);
  const child = fork(MAIN, [], {
    execArgv: [...execArgv],
    env: { ...process.env, ...env },
    serialization: 'json',
    // stdout and stderr are shared with this process: a replica's logs show in the test output.
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  killOnExit(child);
  const replica = new Replica(child, closeTimeoutMs);
  const forget = trackLeftover(`replica pid ${replica.pid} (${module})`, origin, () => replica.kill());
  child.once('close', forget);
  await replica.ready(module, init, readyTimeoutMs);
  return replica;
}

/**
 * Starts `count` replicas of `modulePath` in `before` (replica `i` gets `initFor(i)`), and closes
 * them in `after`, for the enclosing `describe`. Returns a getter, since the replicas exist only
 * once `before` has run. A replica a test killed is simply skipped by `after`.
 */
export function useReplicas<Init>(
  count: number,
  modulePath: string | URL,
  initFor: (index: number) => Init,
  options: StartReplicaOptions = {},
): () => Replica[] {
  let replicas: Replica[] | undefined;
  before(async () => {
    const started = await Promise.allSettled(Array.from({ length: count }, (_, index) => startReplica(modulePath, initFor(index), options)));
    const ok = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = started.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(ok.map((replica) => replica.kill()));
      throw failed.reason;
    }
    replicas = ok;
  });
  after(async () => {
    const closed = await Promise.allSettled((replicas ?? []).map((replica) => replica.close()));
    const failed = closed.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  });
  return () => {
    if (replicas === undefined) throw new Error('useReplicas(): the replicas are only available once `before` has run');
    return replicas;
  };
}

function moduleUrl(modulePath: string | URL): string {
  if (modulePath instanceof URL) return modulePath.href;
  if (modulePath.startsWith('file:')) return modulePath;
  if (isAbsolute(modulePath)) return pathToFileURL(modulePath).href;
  throw new TypeError(`modulePath must be absolute or a file: URL, got ${JSON.stringify(modulePath)}; use new URL('./x.js', import.meta.url)`);
}

/**
 * Rebuilds an error from the child: its name, message and properties; its stack, followed by
 * `site` (where the test called, if it did).
 */
function fromWire(wire: WireError, pid: number, site?: string): Error {
  const error = new Error(wire.message, wire.cause === undefined ? undefined : { cause: fromWire(wire.cause, pid) });
  Object.assign(error, wire.props);
  // Set after the properties, so that a stray `name` among them cannot win over the real one.
  Object.defineProperty(error, 'name', { value: wire.name, configurable: true, writable: true, enumerable: false });
  const childFrames = wire.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')) ?? [];
  const local = site === undefined ? [] : ['    --- called from ---', site];
  error.stack = [`${wire.name}: ${wire.message}`, `    --- in replica pid ${pid} ---`, ...childFrames, ...local].join('\n');
  return error;
}
