import type { Cluster, Redis } from 'ioredis';
import { UNAVAILABLE, type RedisTier } from '../tiers/redis-tier.js';
import { decodeBusMessage, encodeBusMessage, type BusMessage } from './bus-message.js';

export interface BusHandlers {
  /** A message from another replica (own messages are filtered out, except for liveness). */
  message(message: BusMessage): void;
  /** The bus can be trusted again: every message published from now on will be heard. */
  up(): void;
  /** Messages may be missed from now on. */
  down(reason: string): void;
  /** A message that could not be parsed, or a subscriber connection error. */
  error(error: Error, operation: string): void;
  /** A heartbeat was just sent: checks that share its cadence run here rather than on a timer of their own. */
  beat(): void;
}

/** How often each replica sends a heartbeat; the bus is down after two of its own went unheard. */
export const HEARTBEAT_MS = 250;
const MISSED_BEATS_DOWN = 2;

/**
 * Pub/sub between the replicas of one namespace on `<namespace>:bus`. A subscriber connection
 * (a duplicate of the L2 client, owned by the bus) listens; messages go out on the L2 client.
 * Liveness is measured, not assumed: each replica hears its own heartbeat come back through
 * Redis, and counts the bus as down after two unheard beats or a closed connection.
 */
export class Bus {
  readonly instanceId: string;
  readonly #tier: RedisTier;
  readonly #channel: string;
  readonly #sharded: boolean;
  readonly #handlers: BusHandlers;
  readonly #subscriber: Redis | Cluster;
  readonly #timer: NodeJS.Timeout;
  #up = false;
  #missed = 0;
  #closed = false;
  #published = 0;
  #received = 0;

  constructor(tier: RedisTier, channel: string, instanceId: string, handlers: BusHandlers) {
    this.#tier = tier;
    this.#channel = channel;
    this.instanceId = instanceId;
    this.#handlers = handlers;
    // Redis Cluster: sharded pub/sub keeps a message on the shard that owns the channel instead of broadcasting it to every node.
    this.#sharded = tier.isCluster;
    // A Cluster only routes SSUBSCRIBE to the shard owning the channel with shardedSubscribers
    // (without it, ioredis drops the MOVED reply and the subscription never settles).
    this.#subscriber = this.#sharded
      ? (tier.client as Cluster).duplicate(undefined, { shardedSubscribers: true })
      : (tier.client as Redis).duplicate();
    this.#subscriber.on('error', (error: Error) => handlers.error(error, 'bus:connection'));
    this.#subscriber.on('close', () => this.#setDown('the subscriber connection closed'));
    this.#subscriber.on(this.#sharded ? 'smessage' : 'message', (channel: string, text: string) => {
      if (channel === this.#channel) this.#onText(text);
    });
    // Subscribed on every (re)connection: the bus is up again once the subscription is confirmed.
    this.#subscriber.on('ready', () => this.#subscribe());
    if (this.#subscriber.status === 'ready') this.#subscribe();
    this.#timer = setInterval(() => this.#beat(), HEARTBEAT_MS);
    this.#timer.unref();
  }

  /** True while messages from every replica are known to arrive. */
  get up(): boolean {
    return this.#up;
  }

  get published(): number {
    return this.#published;
  }

  get received(): number {
    return this.#received;
  }

  /** Publishes on the L2 client (bounded by `timeoutMs`); false when Redis did not take it. */
  async publish(message: BusMessage, timeoutMs: number): Promise<boolean> {
    const sent = await this.#tier.publish(this.#channel, encodeBusMessage(message), this.#sharded, timeoutMs);
    if (sent === UNAVAILABLE) return false;
    // Heartbeats are not counted: stats().bus should say how much replicas tell each other.
    if (message.t !== 'beat') this.#published++;
    return true;
  }

  /**
   * Subscribes again on a new connection, because the server behind the subscriber's connection
   * was replaced while the connection stayed open (a proxy or a VIP switched servers): the new
   * server holds no subscription, so nothing published there would be heard. The bus is down
   * until the subscription is confirmed on the new server. Reconnecting, rather than sending
   * SUBSCRIBE again on the same connection, also redoes the connection's set-up (AUTH, SELECT,
   * client name) that the new server never saw; ioredis subscribes again once it is ready.
   */
  resubscribe(reason: string): void {
    if (this.#closed) return;
    this.#setDown(reason);
    // Any other status means a (re)connection is already under way, which subscribes when ready.
    if (this.#subscriber.status === 'ready') this.#subscriber.disconnect(true);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#subscriber.removeAllListeners('close');
    this.#subscriber.removeAllListeners('ready');
    this.#subscriber.on('error', () => {});
    if (this.#subscriber.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#subscriber.quit().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
      clearTimeout(timer);
    }
    this.#subscriber.disconnect();
  }

  #subscribe(): void {
    const subscribed = this.#sharded ? this.#subscriber.ssubscribe(this.#channel) : this.#subscriber.subscribe(this.#channel);
    subscribed.then(
      () => this.#setUp(),
      (error: unknown) => {
        if (!this.#closed) this.#handlers.error(error as Error, 'bus:subscribe');
      },
    );
  }

  #onText(text: string): void {
    const message = decodeBusMessage(text);
    if (message === undefined) {
      this.#handlers.error(new Error(`dropped a malformed bus message: ${text.slice(0, 200)}`), 'bus:message');
      return;
    }
    if (message.i === this.instanceId) {
      if (message.t === 'beat') {
        this.#missed = 0;
        this.#setUp();
      }
      return;
    }
    if (message.t === 'beat') return;
    this.#received++;
    this.#handlers.message(message);
  }

  #beat(): void {
    if (this.#closed) return;
    if (++this.#missed > MISSED_BEATS_DOWN) this.#setDown(`${MISSED_BEATS_DOWN} heartbeats went unheard`);
    void this.publish({ i: this.instanceId, t: 'beat' }, HEARTBEAT_MS);
    this.#handlers.beat();
  }

  #setUp(): void {
    if (this.#up || this.#closed || this.#subscriber.status !== 'ready') return;
    // Beats sent before the subscription existed could not be heard: counting them would take
    // the bus down again at the next beat, purging L1 once more for nothing.
    this.#missed = 0;
    this.#up = true;
    this.#handlers.up();
  }

  #setDown(reason: string): void {
    if (!this.#up || this.#closed) return;
    this.#up = false;
    this.#handlers.down(reason);
  }
}
