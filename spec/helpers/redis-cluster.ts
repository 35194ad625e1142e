import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { killOnExit, terminate } from './child-process.js';
import { waitFor } from './events.js';
import { freePort } from './free-port.js';
import { callerOrigin, trackLeftover } from './leftovers.js';
import { launchOnFreePort } from './redis-process.js';

/** Options of {@link startCluster}. */
export interface StartClusterOptions {
  /** Extra `redis-server` arguments for every node, such as `['--maxmemory', '10mb']`. */
  args?: readonly string[];
  /**
   * How long the whole start may take: the three servers, `redis-cli --cluster create`, and
   * every node reporting `cluster_state:ok`.
   * @defaultValue 20000
   */
  readyTimeoutMs?: number;
}

/** Where one master listens. */
export interface ClusterNode {
  readonly host: string;
  readonly port: number;
}

/** A private three-master Redis Cluster on 127.0.0.1, without replicas or persistence. */
export interface RedisCluster {
  /** The three masters, each owning about a third of the 16384 slots. */
  readonly nodes: readonly ClusterNode[];
  /**
   * A new ioredis `Cluster` client seeded with every node, disconnected by
   * {@link RedisCluster.stop}. Pass `{ shardedSubscribers: true }` to use SSUBSCRIBE: without it,
   * ioredis 5 does not route sharded subscriptions to the node owning the channel's slot, nor
   * re-emit their `'smessage'` events.
   */
  client(options?: ClusterOptions): Cluster;
  /**
   * Disconnects the clients made by {@link RedisCluster.client}, shuts the three servers down
   * with SIGTERM (SIGKILL if they linger) and removes their directories. Idempotent.
   */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const MASTERS = 3;
const SLOTS = 16384;
/** The cluster bus listens on the client port + 10000, so a client port must stay below this. */
const MAX_CLIENT_PORT = 65535 - 10000;
const NODE_ARGS = [
  '--cluster-enabled', 'yes',
  '--cluster-config-file', 'nodes.conf',
  '--cluster-node-timeout', '2000',
] as const;

/**
 * Launches three `redis-server` processes in cluster mode on free ports (each in its own
 * temporary directory), joins them with `redis-cli --cluster create` as three masters, and
 * resolves once every node reports `cluster_state:ok` with all 16384 slots assigned.
 *
 * Prefer {@link useCluster} in a suite: it stops the cluster even when a test fails.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<RedisCluster> {
  const { args = [], readyTimeoutMs = 20_000 } = options;
  const origin = callerOrigin();
  const deadline = Date.now() + readyTimeoutMs;
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const teardown = async (): Promise<void> => {
    await Promise.all(children.map((child) => terminate(child, 'SIGTERM')));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };

  let ports: number[];
  try {
    const launched = await Promise.allSettled(
      Array.from({ length: MASTERS }, () => {
        const dir = mkdtempSync(join(tmpdir(), 'tiercache-cluster-'));
        dirs.push(dir);
        return launchOnFreePort(dir, [...NODE_ARGS, ...args], readyTimeoutMs, clusterPort);
      }),
    );
    for (const result of launched) if (result.status === 'fulfilled') children.push(result.value.child);
    for (const result of launched) if (result.status === 'rejected') throw result.reason;
    ports = launched.map((result) => (result as PromiseFulfilledResult<{ port: number }>).value.port);

    await createCluster(ports, deadline);
    await Promise.all(ports.map((port) => clusterReady(port, deadline)));
  } catch (error) {
    await teardown();
    throw error;
  }

  const nodes = ports.map((port) => ({ host: HOST, port }));
  const label = ports.map((port) => `${HOST}:${port}`).join(',');
  const clients = new Set<Cluster>();
  let stopping: Promise<void> | undefined;
  const cluster: RedisCluster = {
    nodes,
    client(clientOptions = {}) {
      if (stopping !== undefined) throw new Error(`the cluster ${label} was stopped; it has no clients to give`);
      const client = new Cluster(
        nodes.map((node) => ({ ...node })),
        clientOptions,
      );
      // As for a single server: a fault test expects errors, and tests that care listen themselves.
      client.on('error', () => {});
      clients.add(client);
      return client;
    },
    stop() {
      stopping ??= (async () => {
        for (const client of clients) client.disconnect();
        clients.clear();
        await teardown();
        forget();
      })();
      return stopping;
    },
  };
  const forget = trackLeftover(`cluster ${label}`, origin, () => cluster.stop());
  return cluster;
}

/**
 * Starts a private cluster in `before` and stops it in `after`, for the enclosing `describe`.
 * Returns a getter, since the cluster exists only once `before` has run. Give the `before` hook
 * room: a start takes a few seconds, mostly `redis-cli` waiting for the nodes to agree.
 */
export function useCluster(options: StartClusterOptions = {}): () => RedisCluster {
  let cluster: RedisCluster | undefined;
  before(async function () {
    this.timeout((options.readyTimeoutMs ?? 20_000) + 5000);
    cluster = await startCluster(options);
  });
  after(async () => {
    await cluster?.stop();
  });
  return () => {
    if (cluster === undefined) throw new Error('useCluster(): the cluster is only available once `before` has run');
    return cluster;
  };
}

/** A free port whose cluster bus port (+10000) exists and is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort(HOST);
    if (port <= MAX_CLIENT_PORT && (await isFree(port + 10_000))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** Assigns the slots and makes the nodes meet; redis-cli waits until their configs agree. */
async function createCluster(ports: readonly number[], deadline: number): Promise<void> {
  const argv = ['--cluster', 'create', ...ports.map((port) => `${HOST}:${port}`), '--cluster-replicas', '0', '--cluster-yes'];
  const run = promisify(execFile)('redis-cli', argv, { timeout: Math.max(1, deadline - Date.now()), killSignal: 'SIGKILL' });
  killOnExit(run.child);
  try {
    await run;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`redis-cli --cluster create failed: ${(error as Error).message}\n--- output ---\n${stdout}${stderr}`, { cause: error });
  }
}

/** Waits until the node on `port` sees the whole cluster: state ok, every slot assigned. */
async function clusterReady(port: number, deadline: number): Promise<void> {
  const node = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0 });
  node.on('error', () => {});
  try {
    await waitFor(
      async () => {
        const info = String(await node.call('CLUSTER', 'INFO'));
        return info.includes('cluster_state:ok') && info.includes(`cluster_slots_assigned:${SLOTS}`) && info.includes(`cluster_known_nodes:${MASTERS}`);
      },
      { timeoutMs: Math.max(1, deadline - Date.now()), intervalMs: 20, what: `cluster_state:ok on ${HOST}:${port}` },
    );
  } finally {
    node.disconnect();
  }
}
