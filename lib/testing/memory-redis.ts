import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { integerArg, replyError, type MemoryKeyspace, type SetOptions } from './memory-keyspace.js';
import type { Connection, MemoryRedisServer } from './memory-redis-server.js';
import { EMULATED_SCRIPTS, sha1, type ScriptReply } from './memory-scripts.js';

/** An argument as ioredis accepts one. */
export type RedisArg = string | number | Buffer;

/** The connection states of an ioredis client that a MemoryRedis goes through. */
export type MemoryRedisStatus = 'connecting' | 'connect' | 'ready' | 'close' | 'reconnecting' | 'end';

/** The commands a MemoryRedis implements: those tiercache sends, and a few to look at what it stored. */
export const SUPPORTED_COMMANDS: readonly string[] = Object.freeze([
  'get', 'mget', 'set', 'del', 'exists', 'incr', 'pttl', 'pexpire', 'time', 'info', 'ping',
  'publish', 'spublish', 'subscribe', 'unsubscribe', 'ssubscribe', 'sunsubscribe',
  'eval', 'evalsha', 'script', 'quit',
]);

/** A command (or an option of one) a MemoryRedis does not emulate: the test needs a real Redis, or the kit needs the command. */
export class UnsupportedCommandError extends Error {
  /** The command, lower case (`hgetall`, `set ... get`, `eval <sha1>`). */
  readonly command: string;

  constructor(command: string, why = `it implements only ${SUPPORTED_COMMANDS.join(', ')}`) {
    super(`MemoryRedis does not emulate ${command.toUpperCase()}: ${why}. Run this test against a real Redis.`);
    this.name = 'UnsupportedCommandError';
    this.command = command;
  }
}

/** Commands a connection in subscriber mode may still send (RESP2). */
const SUBSCRIBER_COMMANDS = new Set(['subscribe', 'unsubscribe', 'ssubscribe', 'sunsubscribe', 'ping', 'quit']);

interface Queued {
  command: string;
  run: (keyspace: MemoryKeyspace) => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

/**
 * A client of a {@link MemoryRedisServer} with the part of the ioredis `Redis` API that tiercache
 * uses: the same promises, replies, errors (`ReplyError`, NOSCRIPT), `status` values and
 * events (`connect`, `ready`, `close`, `reconnecting`, `end`, `message`, `smessage`).
 * Every other ioredis command throws {@link UnsupportedCommandError}, so a gap shows at once
 * instead of as a silent wrong answer.
 *
 * Like an ioredis client it connects on creation, queues commands until it is ready, and
 * reconnects (subscriptions included) when the connection drops, unless `quit()` or
 * `disconnect()` ended it.
 */
export class MemoryRedis extends EventEmitter {
  readonly server: MemoryRedisServer;
  /** Not a cluster client: the engine uses plain pub/sub and MGET. */
  readonly isCluster = false;
  #status: MemoryRedisStatus = 'connecting';
  #connection: Connection | undefined;
  /** `quit()` or `disconnect()` was called: no reconnection. */
  #ending = false;
  readonly #channels = new Set<string>();
  readonly #shardChannels = new Set<string>();
  #offline: Queued[] = [];

  constructor(server: MemoryRedisServer) {
    super();
    this.server = server;
    server.register(this);
    this.#connect();
  }

  /** As ioredis: `ready` once commands can be sent. */
  get status(): MemoryRedisStatus {
    return this.#status;
  }

  /** Whether the client holds an open connection to the server. */
  get connected(): boolean {
    return this.#connection?.open === true;
  }

  // ------------------------------------------------------------- keys

  get(key: RedisArg): Promise<string | null> {
    return this.#send('get', (ks) => ks.get(String(key)));
  }

  /** MGET: null for a missing key (and for a key of another type, as Redis). */
  mget(...keys: (RedisArg | RedisArg[])[]): Promise<(string | null)[]> {
    const flat = keys.flat().map(String);
    return this.#send('mget', (ks) =>
      flat.map((key) => {
        try {
          return ks.get(key);
        } catch {
          return null;
        }
      }),
    );
  }

  /** SET with the options tiercache uses: `EX`, `PX`, `NX`, `XX`, `KEEPTTL`. */
  set(key: RedisArg, value: RedisArg, ...options: RedisArg[]): Promise<'OK' | null> {
    let parsed: SetOptions;
    try {
      parsed = parseSetOptions(options.map(String));
    } catch (error) {
      if (error instanceof UnsupportedCommandError) throw error;
      return Promise.reject(error);
    }
    return this.#send('set', (ks) => ks.set(String(key), String(value), parsed));
  }

  del(...keys: (RedisArg | RedisArg[])[]): Promise<number> {
    const flat = keys.flat().map(String);
    return this.#send('del', (ks) => flat.reduce((n, key) => n + ks.del(key), 0));
  }

  exists(...keys: (RedisArg | RedisArg[])[]): Promise<number> {
    const flat = keys.flat().map(String);
    return this.#send('exists', (ks) => flat.filter((key) => ks.exists(key)).length);
  }

  incr(key: RedisArg): Promise<number> {
    return this.#send('incr', (ks) => ks.incr(String(key)));
  }

  /** PTTL: -2 for a missing key, -1 for a key without expiry. */
  pttl(key: RedisArg): Promise<number> {
    return this.#send('pttl', (ks) => ks.pttl(String(key)));
  }

  pexpire(key: RedisArg, ms: RedisArg): Promise<number> {
    return this.#send('pexpire', (ks) => ks.pexpire(String(key), integerArg(String(ms))));
  }

  // ------------------------------------------------------------- server

  /** TIME on the server's clock: `[seconds, microseconds]`. */
  time(): Promise<[string, string]> {
    return this.#send('time', (ks) => ks.time());
  }

  /** INFO: the `server` section (with `run_id`, which the engine checks), empty for other sections. */
  info(section?: string): Promise<string> {
    return this.#send('info', () => {
      const name = (section ?? 'default').toLowerCase();
      if (!['server', 'default', 'all', 'everything'].includes(name)) return '';
      return ['# Server', 'redis_version:7.0.0', 'redis_mode:standalone', `run_id:${this.server.runId}`, 'executable:tiercache/testing MemoryRedisServer', ''].join('\r\n');
    });
  }

  ping(message?: RedisArg): Promise<string> {
    return this.#send('ping', () => (message === undefined ? 'PONG' : String(message)));
  }

  // ------------------------------------------------------------- scripts

  /** EVALSHA: NOSCRIPT for a script this server has not loaded (EVAL or SCRIPT LOAD), as Redis after a restart. */
  evalsha(sha: RedisArg, numKeys: RedisArg, ...args: RedisArg[]): Promise<ScriptReply> {
    const digest = String(sha).toLowerCase();
    return this.#send('evalsha', (ks) => {
      if (!this.server.loadedScripts.has(digest)) throw replyError('NOSCRIPT No matching script. Please use EVAL.');
      return runScript(ks, digest, numKeys, args);
    });
  }

  /** EVAL: tiercache's own scripts only (matched by their SHA1), loaded for later EVALSHAs. */
  eval(body: RedisArg, numKeys: RedisArg, ...args: RedisArg[]): Promise<ScriptReply> {
    const digest = sha1(String(body));
    return this.#send('eval', (ks) => {
      this.server.loadedScripts.add(digest);
      return runScript(ks, digest, numKeys, args);
    });
  }

  /** SCRIPT LOAD, EXISTS and FLUSH. */
  script(subcommand: RedisArg, ...args: RedisArg[]): Promise<unknown> {
    const sub = String(subcommand).toLowerCase();
    const loaded = this.server.loadedScripts;
    switch (sub) {
      case 'load':
        return this.#send('script', () => {
          const digest = sha1(String(args[0] ?? ''));
          loaded.add(digest);
          return digest;
        });
      case 'exists':
        return this.#send('script', () => args.map((sha) => (loaded.has(String(sha).toLowerCase()) ? 1 : 0)));
      case 'flush':
        return this.#send('script', () => {
          loaded.clear();
          return 'OK';
        });
      default:
        throw new UnsupportedCommandError(`script ${sub}`, 'it implements SCRIPT LOAD, EXISTS and FLUSH');
    }
  }

  // ------------------------------------------------------------- pub/sub

  publish(channel: RedisArg, message: RedisArg): Promise<number> {
    return this.#send('publish', () => this.server.publish(String(channel), String(message), false));
  }

  /** SPUBLISH: sharded pub/sub, a channel space of its own (SSUBSCRIBE), as on Redis 7. */
  spublish(channel: RedisArg, message: RedisArg): Promise<number> {
    return this.#send('spublish', () => this.server.publish(String(channel), String(message), true));
  }

  /** SUBSCRIBE: messages arrive as `message` events `(channel, message)`; resolves with the number of channels. */
  subscribe(...channels: RedisArg[]): Promise<number> {
    return this.#subscription('subscribe', channels.map(String), false, true);
  }

  unsubscribe(...channels: RedisArg[]): Promise<number> {
    return this.#subscription('unsubscribe', channels.map(String), false, false);
  }

  /** SSUBSCRIBE: messages arrive as `smessage` events `(channel, message)`. */
  ssubscribe(...channels: RedisArg[]): Promise<number> {
    return this.#subscription('ssubscribe', channels.map(String), true, true);
  }

  sunsubscribe(...channels: RedisArg[]): Promise<number> {
    return this.#subscription('sunsubscribe', channels.map(String), true, false);
  }

  // ------------------------------------------------------------- connection

  /** A new client on the same server (as ioredis's `duplicate()`: the bus subscribes on one). */
  duplicate(): MemoryRedis {
    return new MemoryRedis(this.server);
  }

  /** QUIT: answered, then the connection ends (`close`, `end`). */
  async quit(): Promise<'OK'> {
    if (this.#status === 'end' || this.#ending) throw new Error('Connection is closed.');
    if (this.#status !== 'ready') {
      this.disconnect();
      return 'OK';
    }
    const reply = await this.#send('quit', () => 'OK' as const);
    this.disconnect();
    return reply;
  }

  /** Closes the connection at once; with `reconnect`, opens a new one (subscriptions restored), as ioredis. */
  disconnect(reconnect = false): void {
    if (this.#status === 'end' || this.#ending) return;
    if (!reconnect) this.#ending = true;
    this.#close();
  }

  /** Connects again after `disconnect()` or `quit()`; resolves once ready. */
  connect(): Promise<void> {
    if (this.#status === 'ready') return Promise.resolve();
    if (this.#status === 'end') {
      this.#ending = false;
      this.server.register(this);
      this.#connect();
    }
    return new Promise((resolve) => this.once('ready', () => resolve()));
  }

  /** Any command by name, as ioredis's `call`: only the supported ones run. */
  call(command: string, ...args: RedisArg[]): Promise<unknown> {
    const name = command.toLowerCase();
    if (!SUPPORTED_COMMANDS.includes(name)) throw new UnsupportedCommandError(name);
    return (this as unknown as Record<string, (...a: RedisArg[]) => Promise<unknown>>)[name]!(...args);
  }

  // ------------------------------------------------------------- used by MemoryRedisServer

  /** The server went away: the connection closes, and the client waits for `serverBack()`. @internal */
  serverLost(): void {
    if (this.#connection?.open !== true && this.#status !== 'connecting') return;
    if (this.listenerCount('error') > 0) this.emit('error', new Error('connect ECONNREFUSED (MemoryRedisServer killed)'));
    this.#close();
  }

  /** The server is back: a client waiting for it reconnects. @internal */
  serverBack(): void {
    if (this.#status === 'reconnecting' && this.#connection === undefined) this.#connect();
  }

  /**
   * A message on a subscribed channel, emitted once the publishing command has run (before the
   * replies of commands the server runs after it, as the subscriber's socket would receive it),
   * if the connection is still the same. @internal
   */
  deliver(channel: string, message: string, sharded: boolean): void {
    const connection = this.#connection;
    queueMicrotask(() => {
      if (this.#connection !== connection || connection?.open !== true) return;
      const event = sharded ? 'smessage' : 'message';
      this.emit(event, channel, message);
      if (this.listenerCount(`${event}Buffer`) > 0) this.emit(`${event}Buffer`, Buffer.from(channel), Buffer.from(message));
    });
  }

  // ------------------------------------------------------------- internals

  #send<T>(command: string, run: (keyspace: MemoryKeyspace) => T): Promise<T> {
    if ((this.#channels.size > 0 || this.#shardChannels.size > 0) && !SUBSCRIBER_COMMANDS.has(command)) {
      return Promise.reject(new Error('Connection in subscriber mode, only subscriber commands may be used'));
    }
    if (this.#status === 'end' || this.#ending) return Promise.reject(new Error('Connection is closed.'));
    if (this.#status === 'ready') {
      const connection = this.#connection;
      return connection?.open === true ? this.server.execute(connection, run) : Promise.reject(new Error('Connection is closed.'));
    }
    if (this.server.state === 'killed') {
      return Promise.reject(new Error(`MemoryRedis: ${command.toUpperCase()} not sent, the server is down (MemoryRedisServer.kill())`));
    }
    // ioredis's offline queue: sent once the connection is ready.
    return new Promise<T>((resolve, reject) => this.#offline.push({ command, run, resolve, reject }));
  }

  #subscription(command: string, channels: string[], sharded: boolean, add: boolean): Promise<number> {
    if (add && channels.length === 0) return Promise.reject(replyError(`ERR wrong number of arguments for '${command}' command`));
    const mine = sharded ? this.#shardChannels : this.#channels;
    return this.#send(command, () => {
      for (const channel of add ? channels : channels.length === 0 ? [...mine] : channels) {
        if (add) {
          mine.add(channel);
          this.server.subscribe(this, channel, sharded);
        } else {
          mine.delete(channel);
          this.server.unsubscribe(this, channel, sharded);
        }
      }
      return mine.size;
    });
  }

  /** Opens a connection (after a hop; later if the server is paused): subscriptions restored, then `connect` and `ready`. */
  #connect(): void {
    if (this.server.state === 'killed') {
      this.#setStatus('reconnecting');
      return;
    }
    this.#setStatus('connecting');
    const connection: Connection = { open: true };
    this.#connection = connection;
    this.server
      .execute(connection, () => {
        for (const channel of this.#channels) this.server.subscribe(this, channel, false);
        for (const channel of this.#shardChannels) this.server.subscribe(this, channel, true);
      })
      .then(
        () => {
          if (this.#connection !== connection) return;
          this.#setStatus('connect');
          this.#setStatus('ready');
          const queued = this.#offline;
          this.#offline = [];
          for (const { command, run, resolve, reject } of queued) this.#send(command, run).then(resolve, reject);
        },
        () => undefined, // closed before it opened: #close has taken over
      );
  }

  /** The connection closes now (commands in flight fail); `close` follows, then `end` or a reconnection. */
  #close(): void {
    const connection = this.#connection;
    if (connection !== undefined) connection.open = false;
    this.#connection = undefined;
    this.server.dropSubscriptions(this);
    setImmediate(() => {
      if (this.#status === 'end') return;
      this.#setStatus('close');
      if (this.#ending) {
        this.#setStatus('end');
        this.server.unregister(this);
        const queued = this.#offline;
        this.#offline = [];
        for (const { reject } of queued) reject(new Error('Connection is closed.'));
        return;
      }
      this.#setStatus('reconnecting');
      if (this.server.state !== 'killed') this.#connect();
    });
  }

  /** As ioredis: the status changes now, its event fires on the next tick. */
  #setStatus(status: MemoryRedisStatus): void {
    this.#status = status;
    process.nextTick(() => this.emit(status));
  }
}

function parseSetOptions(options: string[]): SetOptions {
  const parsed: SetOptions = {};
  for (let i = 0; i < options.length; i++) {
    const option = options[i]!.toLowerCase();
    if (option === 'nx' || option === 'xx') {
      if (parsed.nx === true || parsed.xx === true) throw replyError('ERR syntax error');
      parsed[option] = true;
    } else if (option === 'keepttl') {
      parsed.keepTtl = true;
    } else if (option === 'px' || option === 'ex') {
      const value = options[++i];
      if (value === undefined || parsed.px !== undefined) throw replyError('ERR syntax error');
      const n = integerArg(value);
      if (n <= 0) throw replyError("ERR invalid expire time in 'set' command");
      parsed.px = option === 'ex' ? n * 1000 : n;
    } else if (['get', 'exat', 'pxat'].includes(option)) {
      throw new UnsupportedCommandError(`set ... ${option}`, 'SET takes EX, PX, NX, XX and KEEPTTL here');
    } else {
      throw replyError('ERR syntax error');
    }
  }
  if (parsed.keepTtl === true && parsed.px !== undefined) throw replyError('ERR syntax error');
  return parsed;
}

function runScript(ks: MemoryKeyspace, digest: string, numKeys: RedisArg, args: RedisArg[]): ScriptReply {
  const n = integerArg(String(numKeys));
  if (n < 0) throw replyError("ERR Number of keys can't be negative");
  if (n > args.length) throw replyError("ERR Number of keys can't be greater than number of args");
  const script = EMULATED_SCRIPTS.get(digest);
  if (script === undefined) {
    const known = [...EMULATED_SCRIPTS.values()].map((s) => s.name).join(', ');
    throw new UnsupportedCommandError(`eval ${digest}`, `it runs only tiercache's own Lua scripts (${known}), matched by their SHA1`);
  }
  const strings = args.map(String);
  return script.run(ks, strings.slice(0, n), strings.slice(n));
}

/**
 * Every other command of ioredis (and its Buffer variants, pipelines, transactions, `sendCommand`)
 * throws UnsupportedCommandError, rather than being absent: the message names what is missing.
 */
const IOREDIS_INTERNALS = new Set(['constructor', 'getBuiltinCommands', 'createBuiltinCommand', 'addBuiltinCommand', 'send_command']);
for (const prototype of [Object.getPrototypeOf(Redis.prototype) as object, Redis.prototype]) {
  for (const name of Object.getOwnPropertyNames(prototype)) {
    if (IOREDIS_INTERNALS.has(name) || name.startsWith('_') || name in MemoryRedis.prototype) continue;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
    if (typeof descriptor?.value !== 'function') continue;
    Object.defineProperty(MemoryRedis.prototype, name, {
      configurable: true,
      writable: true,
      value: function unsupported(): never {
        throw new UnsupportedCommandError(name);
      },
    });
  }
}
