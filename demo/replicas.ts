/**
 * `npm run demo:replicas`: Redis (DEMO.md's rule) and three shop replicas sharing it, each a
 * child process running `demo/main.ts`, on DEMO_BASE_PORT, +1, +2 (default 3001-3003; 0: three
 * free ports). Prints `replica <id>: http://127.0.0.1:<port>` per replica and, with an IPC
 * channel, sends `{ type: 'ready', urls }` once all three listen. Ctrl-C (SIGINT) or SIGTERM
 * stops the replicas, then the Redis it started, and exits 0.
 *
 * The other settings (DEMO_RATE_LIMIT, DEMO_RATE_WINDOW, DEMO_SLOW_MS) pass through to the
 * replicas; PORT, REDIS_URL and DEMO_REPLICA_ID are set per replica.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ListeningMessage } from './main.js';
import { chooseRedis } from './redis-choice.js';

const REPLICAS = 3;
const DEFAULT_BASE_PORT = 3001;
/** Start-up includes seeding 1,000 products: generous, but a stuck replica must not hang the launcher. */
const START_LIMIT_MS = 30_000;
/** Each replica closes within its own 10 s limit; this is the launcher's last resort. */
const STOP_LIMIT_MS = 12_000;
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** What a parent process receives over IPC once every replica listens. */
export interface ReadyMessage {
  type: 'ready';
  urls: string[];
}

interface Replica {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  listening?: ListeningMessage;
}

function basePort(): number {
  const raw = process.env['DEMO_BASE_PORT']?.trim();
  if (raw === undefined || raw === '') return DEFAULT_BASE_PORT;
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(port === 0 || (port >= 1 && port <= 65_533))) {
    console.error(`tiercache demo: DEMO_BASE_PORT: expected 0 (free ports) or a port up to 65533, got ${raw}`);
    process.exit(1);
  }
  return port;
}

async function main(): Promise<void> {
  const base = basePort();
  const redis = await chooseRedis();
  console.log(redis.url === undefined ? `${redis.note} The three replicas share nothing: each has its own products and cache.` : redis.note);

  const replicas: Replica[] = [];
  let stopping = false;
  const stop = async (reason: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      console.error(`tiercache demo: replicas still running after ${STOP_LIMIT_MS} ms; killing them`);
      for (const { child } of replicas) child.kill('SIGKILL');
    }, STOP_LIMIT_MS).unref();
    console.log(`tiercache demo: ${reason}, stopping the replicas`);
    // On a terminal's Ctrl-C they got SIGINT too; a second signal is harmless, and it is the
    // only one they get when the launcher alone is told to stop.
    for (const { child } of replicas) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.all(replicas.map((replica) => replica.exited));
    // Last: the replicas have closed their connections to it.
    await redis.server?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (process.connected) process.disconnect();
    process.exitCode = code;
  };
  const onSignal = (signal: NodeJS.Signals): void => void stop(signal, 0);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const listening: Promise<ListeningMessage>[] = [];
  for (let i = 0; i < REPLICAS; i++) {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(base === 0 ? 0 : base + i) };
    delete env['DEMO_REPLICA_ID']; // each takes its port as id
    if (redis.url === undefined) delete env['REDIS_URL'];
    else env['REDIS_URL'] = redis.url;
    const child = fork(MAIN, [], { env, stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const replica: Replica = { child, exited };
    replicas.push(replica);
    prefixLines(child, i + 1);
    listening.push(
      new Promise<ListeningMessage>((resolve, reject) => {
        child.on('message', (message: ListeningMessage) => {
          if (message.type !== 'listening') return;
          replica.listening = message;
          resolve(message);
        });
        child.once('exit', (code, signal) => reject(new Error(`replica ${i + 1} exited before listening (${signal ?? `code ${code}`})`)));
      }),
    );
    // A replica that dies on its own takes the others down: a demo with a missing replica misleads.
    void exited.then(() => {
      if (!stopping) void stop(`replica ${replica.listening?.replicaId ?? i + 1} exited (code ${child.exitCode ?? child.signalCode})`, 1);
    });
  }

  let timer: NodeJS.Timeout | undefined;
  try {
    const all = await Promise.race([
      Promise.all(listening),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the replicas did not all listen within ${START_LIMIT_MS} ms`)), START_LIMIT_MS))),
    ]);
    const urls = all.map(({ port }) => `http://127.0.0.1:${port}`);
    all.forEach(({ replicaId }, i) => console.log(`replica ${replicaId}: ${urls[i]}`));
    console.log(`stats page of all three: ${urls[0]}/  (Ctrl-C stops everything)`);
    if (process.send !== undefined) {
      const message: ReadyMessage = { type: 'ready', urls };
      process.send(message);
    }
  } catch (error) {
    if (!stopping) {
      console.error(`tiercache demo: ${(error as Error).message}`);
      await stop('start-up failed', 1);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Forwards a replica's output with a `[n] ` prefix, so three logs stay readable in one terminal. */
function prefixLines(child: ChildProcess, n: number): void {
  let rest = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) console.log(`  [${n}] ${line}`);
  });
  child.stdout?.on('end', () => {
    if (rest !== '') console.log(`  [${n}] ${rest}`);
  });
}

await main();
