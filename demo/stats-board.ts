import type { Redis } from 'ioredis';
import { REPLICAS_KEY, statsKey } from './redis-keys.js';
import type { StatsSnapshot } from './stats-snapshot.js';

/** How often each replica writes its snapshot, and how long one lives without a rewrite. */
export const PUBLISH_INTERVAL_MS = 1_000;
export const SNAPSHOT_TTL_MS = 3_000;

/**
 * The replicas' shared notice board: each writes its snapshot to Redis every second, under a key
 * that expires after three, and `all()` reads every live one. A replica that dies drops off by
 * itself within three seconds; one that stops cleanly removes itself at once.
 *
 * Live replicas are found through a small sorted set scored by expiry time, not KEYS (which
 * blocks Redis) or SCAN (which walks every cache entry too). Scores use each replica's clock:
 * the replicas of the demo share a machine, and a few ms of skew only shift an expiry.
 * Without Redis the board holds this replica only.
 */
export class StatsBoard {
  readonly #redis: Redis | undefined;
  readonly #snapshot: () => StatsSnapshot;
  #timer: NodeJS.Timeout | undefined;
  #replicaId: string | undefined;
  /** Whether the last write failed, so an outage is logged once, not every second. */
  #failing = false;
  /** The write under way, awaited by `close` so it cannot put this replica back on the board. */
  #writing: Promise<void> | undefined;

  constructor(redis: Redis | undefined, snapshot: () => StatsSnapshot) {
    this.#redis = redis;
    this.#snapshot = snapshot;
  }

  /** Starts publishing as `replicaId`: once now, then every second. */
  start(replicaId: string): void {
    if (this.#timer !== undefined || this.#redis === undefined) return;
    this.#replicaId = replicaId;
    const publish = (): void => {
      this.#writing ??= this.#publish().finally(() => (this.#writing = undefined));
    };
    publish();
    this.#timer = setInterval(publish, PUBLISH_INTERVAL_MS);
    // The HTTP server keeps the process alive; this timer alone must not.
    this.#timer.unref();
  }

  /** Every live replica's latest snapshot, this one's taken now, ordered by replica id. */
  async all(): Promise<StatsSnapshot[]> {
    const own = this.#snapshot();
    if (this.#redis === undefined) return [own];
    let others: StatsSnapshot[] = [];
    try {
      const now = Date.now();
      const [, ids] = await Promise.all([this.#redis.zremrangebyscore(REPLICAS_KEY, '-inf', now), this.#redis.zrangebyscore(REPLICAS_KEY, now, '+inf')]);
      const peers = ids.filter((id) => id !== own.replica.id);
      const json = peers.length === 0 ? [] : await this.#redis.mget(peers.map(statsKey));
      others = json.filter((text): text is string => text !== null).map((text) => JSON.parse(text) as StatsSnapshot);
    } catch {
      // Redis is down: this replica's own numbers are still worth showing.
    }
    return [own, ...others].sort((a, b) => a.replica.id.localeCompare(b.replica.id, 'en', { numeric: true }));
  }

  /** Stops publishing and takes this replica off the board. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#writing;
    const id = this.#replicaId;
    if (this.#redis === undefined || id === undefined) return;
    try {
      await this.#redis.multi().del(statsKey(id)).zrem(REPLICAS_KEY, id).exec();
    } catch {
      // Gone with Redis, or expiring within three seconds anyway.
    }
  }

  async #publish(): Promise<void> {
    const redis = this.#redis!;
    const snapshot = this.#snapshot();
    const id = snapshot.replica.id;
    const expiresAt = Date.now() + SNAPSHOT_TTL_MS;
    try {
      await redis
        .multi()
        .set(statsKey(id), JSON.stringify(snapshot), 'PX', SNAPSHOT_TTL_MS)
        .zadd(REPLICAS_KEY, expiresAt, id)
        // The set itself goes when the last replica stops writing.
        .pexpire(REPLICAS_KEY, SNAPSHOT_TTL_MS * 10)
        .exec();
      if (this.#failing) console.warn(`replica ${id}: publishing stats to Redis again`);
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) console.warn(`replica ${id}: cannot publish stats to Redis (${(error as Error).message}); retrying every second`);
      this.#failing = true;
    }
  }
}
