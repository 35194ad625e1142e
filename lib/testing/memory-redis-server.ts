import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { systemClock, type Clock } from '../engine/clock.js';
import { MemoryKeyspace } from './memory-keyspace.js';
import { MemoryRedis } from './memory-redis.js';

/** Options of {@link MemoryRedisServer}. */
export interface MemoryRedisServerOptions {
  /**
   * The clock keys expire on and `TIME` reads (tag versions, rate-limit windows). Give it the
   * engine's `FakeClock` to expire L2 keys and refill rate-limit buckets with `clock.advance()`.
   * @default the system clock
   */
  clock?: Clock;
}

/** One connection of a client: commands sent on it fail once it is closed, as on a socket. @internal */
export interface Connection {
  open: boolean;
}

/** What a server is doing: answering, frozen (`pause()`), or gone (`kill()`). */
export type MemoryRedisServerState = 'running' | 'paused' | 'killed';

/**
 * An in-memory stand-in for one `redis-server`, shared by the {@link MemoryRedis} clients made
 * by {@link MemoryRedisServer.client}: give one client to each engine and they behave as
 * replicas on one Redis (L2, the bus, the lock, tag versions, rate limits), with no server to run.
 *
 * Every command crosses a "network hop" (`setImmediate`), so ordering bugs show as they would
 * with a real Redis. `pause()`, `kill()`, `restart()` and `replace()` play the failures the
 * engine is built to survive.
 *
 * @example
 * ```ts
 * const server = new MemoryRedisServer();
 * const a = createCache({ namespace: 'shop', l2: server.l2() });
 * const b = createCache({ namespace: 'shop', l2: server.l2() }); // a second replica
 * ```
 */
export class MemoryRedisServer {
  readonly #clock: Clock;
  #keyspace: MemoryKeyspace;
  #runId = newRunId();
  #state: MemoryRedisServerState = 'running';
  /** SHA1s of the scripts this server has seen (EVAL, SCRIPT LOAD): EVALSHA of any other is NOSCRIPT. */
  readonly #loaded = new Set<string>();
  readonly #channels = new Map<string, Set<MemoryRedis>>();
  readonly #shardChannels = new Map<string, Set<MemoryRedis>>();
  /** Every client not ended: told when the server goes away and comes back. */
  readonly #clients = new Set<MemoryRedis>();
  /** Commands that arrived while paused, run in order by `resume()`. */
  #backlog: (() => void)[] = [];

  constructor(options: MemoryRedisServerOptions = {}) {
    if (options.clock !== undefined && typeof options.clock?.now !== 'function') {
      throw new TypeError('MemoryRedisServer: options.clock must be an object with a now() method');
    }
    this.#clock = options.clock ?? systemClock;
    this.#keyspace = new MemoryKeyspace(this.#clock);
  }

  /** The server's `run_id` (INFO server): a new one after `restart()` and `replace()`, as for a new process. */
  get runId(): string {
    return this.#runId;
  }

  get state(): MemoryRedisServerState {
    return this.#state;
  }

  /** A new client on this server (connecting; `ready` on the next turn of the event loop). */
  client(): MemoryRedis {
    return new MemoryRedis(this);
  }

  /**
   * `l2` options for `createCache`, with a new client: `createCache({ namespace, l2: server.l2() })`.
   * The client is typed as an ioredis `Redis` for the engine's sake; it implements only the
   * commands tiercache sends (see {@link MemoryRedis}). The engine never quits a client it was given.
   */
  l2(): { redis: Redis } {
    return { redis: this.client() as unknown as Redis };
  }

  /** The keys that exist now (expired ones are gone), sorted: to look at what the engine stored. */
  keys(): string[] {
    return this.#keyspace.keys();
  }

  /** Empties the keyspace and forgets loaded scripts, connections kept (FLUSHALL + SCRIPT FLUSH). */
  flush(): void {
    this.#keyspace.flush();
    this.#loaded.clear();
  }

  /** Freezes the server like SIGSTOP: connections stay open, commands wait unanswered until `resume()`. */
  pause(): void {
    if (this.#state === 'killed') throw new Error('MemoryRedisServer.pause(): the server is killed; restart() it first');
    this.#state = 'paused';
  }

  /** Answers again: the commands that waited run first, in the order they arrived. */
  resume(): void {
    if (this.#state !== 'paused') return;
    this.#state = 'running';
    const backlog = this.#backlog;
    this.#backlog = [];
    for (const task of backlog) task();
  }

  /**
   * Kills the server like SIGKILL: every connection closes (commands in flight fail with
   * "Connection is closed."), the data is lost, and clients keep reconnecting until `restart()`.
   */
  kill(): void {
    if (this.#state === 'killed') return;
    this.#state = 'killed';
    const backlog = this.#backlog;
    this.#backlog = [];
    for (const client of [...this.#clients]) client.serverLost();
    for (const task of backlog) task(); // their connections are closed: each rejects
    this.#reset();
  }

  /** Starts a fresh, empty server (a new `run_id`, no scripts); the clients reconnect to it. */
  restart(): void {
    if (this.#state !== 'killed') this.kill();
    this.#state = 'running';
    for (const client of [...this.#clients]) client.serverBack();
  }

  /**
   * Another server takes this one's place behind connections that stay open, as behind a proxy
   * or a virtual IP: empty, a new `run_id`, and no subscriptions (subscribers are not told).
   */
  replace(): void {
    this.#reset();
  }

  /** Connections open now. */
  get connections(): number {
    let open = 0;
    for (const client of this.#clients) if (client.connected) open++;
    return open;
  }

  // ------------------------------------------------------------- used by MemoryRedis

  /**
   * Runs `command` on the server after a network hop, atomically: later if paused, never if the
   * connection closed in between. @internal
   */
  execute<T>(connection: Connection, command: (keyspace: MemoryKeyspace) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const task = (): void => {
        if (!connection.open) return reject(new Error('Connection is closed.'));
        try {
          resolve(command(this.#keyspace));
        } catch (error) {
          reject(error);
        }
      };
      setImmediate(() => {
        if (this.#state === 'paused') this.#backlog.push(task);
        else task();
      });
    });
  }

  /** @internal */
  register(client: MemoryRedis): void {
    this.#clients.add(client);
  }

  /** The client ended: forgotten, its subscriptions dropped. @internal */
  unregister(client: MemoryRedis): void {
    this.#clients.delete(client);
    this.dropSubscriptions(client);
  }

  /** @internal */
  dropSubscriptions(client: MemoryRedis): void {
    for (const map of [this.#channels, this.#shardChannels]) {
      for (const [channel, subscribers] of map) {
        subscribers.delete(client);
        if (subscribers.size === 0) map.delete(channel);
      }
    }
  }

  /** @internal */
  subscribe(client: MemoryRedis, channel: string, sharded: boolean): void {
    const map = sharded ? this.#shardChannels : this.#channels;
    let subscribers = map.get(channel);
    if (subscribers === undefined) map.set(channel, (subscribers = new Set()));
    subscribers.add(client);
  }

  /** @internal */
  unsubscribe(client: MemoryRedis, channel: string, sharded: boolean): void {
    const map = sharded ? this.#shardChannels : this.#channels;
    const subscribers = map.get(channel);
    subscribers?.delete(client);
    if (subscribers?.size === 0) map.delete(channel);
  }

  /** PUBLISH / SPUBLISH: the number of subscribers it reached; each receives it after a hop. @internal */
  publish(channel: string, message: string, sharded: boolean): number {
    const subscribers = (sharded ? this.#shardChannels : this.#channels).get(channel);
    if (subscribers === undefined) return 0;
    for (const client of subscribers) client.deliver(channel, message, sharded);
    return subscribers.size;
  }

  /** @internal */
  get loadedScripts(): Set<string> {
    return this.#loaded;
  }

  #reset(): void {
    this.#keyspace = new MemoryKeyspace(this.#clock);
    this.#loaded.clear();
    this.#channels.clear();
    this.#shardChannels.clear();
    this.#runId = newRunId();
  }
}

function newRunId(): string {
  return randomBytes(20).toString('hex');
}
