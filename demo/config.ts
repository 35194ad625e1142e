import { parseDuration, type Duration } from '../lib/index.js';

/** The settings of one shop replica (DEMO.md "Starting it"), after checking. */
export interface ShopSettings {
  /** Requests per window for `GET /search`, per client, shared by every replica. */
  readonly rateLimit: number;
  /** The window of that limit, as given (`'60s'`, or milliseconds). */
  readonly rateWindow: Duration;
  /** How long the simulated database takes per query, in milliseconds. */
  readonly slowMs: number;
}

/** What `demo/main.ts` reads from the environment. */
export interface ReplicaSettings extends ShopSettings {
  /** `PORT`: 0 asks the kernel for a free port. */
  readonly port: number;
  /** `DEMO_REPLICA_ID`; `undefined`: the port, once listening. */
  readonly replicaId: string | undefined;
}

/** DEMO.md's defaults. */
export const DEFAULT_SHOP_SETTINGS: ShopSettings = Object.freeze({ rateLimit: 60, rateWindow: '60s', slowMs: 50 });
/** `PORT` when unset, as DEMO.md says. */
export const DEFAULT_PORT = 3000;

/** A setting the demo cannot run with; the message names the variable or option. */
export class DemoConfigError extends Error {
  override readonly name = 'DemoConfigError';
}

/** Replica ids go into Redis keys and the stats page's DOM: keep them plain. */
const REPLICA_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** Checks raw settings (from options or the environment) once, each error naming its source. */
export function resolveShopSettings(raw: { rateLimit?: number; rateWindow?: Duration; slowMs?: number }, names = OPTION_NAMES): ShopSettings {
  const { rateLimit = DEFAULT_SHOP_SETTINGS.rateLimit, rateWindow = DEFAULT_SHOP_SETTINGS.rateWindow, slowMs = DEFAULT_SHOP_SETTINGS.slowMs } = raw;
  if (!Number.isInteger(rateLimit) || rateLimit < 1) throw new DemoConfigError(`${names.rateLimit}: expected a positive whole number, got ${String(rateLimit)}`);
  if (!(durationMs(rateWindow) > 0)) throw new DemoConfigError(`${names.rateWindow}: expected a duration above zero such as 60s, 5m or 1000 (ms), got ${String(rateWindow)}`);
  if (!Number.isFinite(slowMs) || slowMs < 0) throw new DemoConfigError(`${names.slowMs}: expected milliseconds >= 0, got ${String(slowMs)}`);
  return { rateLimit, rateWindow, slowMs };
}

/** Milliseconds of a duration, NaN for anything `parseDuration` refuses. */
function durationMs(value: unknown): number {
  try {
    return parseDuration(value, 'window');
  } catch {
    return Number.NaN;
  }
}

/** Checks a replica id given by option or environment. */
export function checkReplicaId(id: string, name: string): string {
  if (!REPLICA_ID.test(id)) throw new DemoConfigError(`${name}: expected 1 to 64 letters, digits, '_', '.' or '-', got ${JSON.stringify(id)}`);
  return id;
}

const OPTION_NAMES = { rateLimit: 'rateLimit', rateWindow: 'rateWindow', slowMs: 'slowMs' };
const ENV_NAMES = { rateLimit: 'DEMO_RATE_LIMIT', rateWindow: 'DEMO_RATE_WINDOW', slowMs: 'DEMO_SLOW_MS' };

/**
 * Reads PORT, DEMO_RATE_LIMIT, DEMO_RATE_WINDOW, DEMO_SLOW_MS and DEMO_REPLICA_ID (REDIS_URL is
 * read by `chooseRedis`). Unset or empty means the default.
 */
export function replicaSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): ReplicaSettings {
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const number = (name: string): number | undefined => {
    const value = text(name);
    if (value === undefined) return undefined;
    // Number('') and Number(' ') are 0: only digits (and a decimal point) count.
    if (!/^\d+(\.\d+)?$/.test(value)) throw new DemoConfigError(`${name}: expected a number, got ${JSON.stringify(value)}`);
    return Number(value);
  };
  const port = number('PORT') ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new DemoConfigError(`PORT: expected a port number from 0 to 65535, got ${text('PORT') ?? ''}`);
  const window = text('DEMO_RATE_WINDOW');
  // A bare number is milliseconds, as everywhere in tiercache.
  const rateWindow = window !== undefined && /^\d+$/.test(window) ? Number(window) : window;
  const raw: { rateLimit?: number; rateWindow?: Duration; slowMs?: number } = {};
  const rateLimit = number('DEMO_RATE_LIMIT');
  const slowMs = number('DEMO_SLOW_MS');
  if (rateLimit !== undefined) raw.rateLimit = rateLimit;
  if (rateWindow !== undefined) raw.rateWindow = rateWindow as Duration;
  if (slowMs !== undefined) raw.slowMs = slowMs;
  const id = text('DEMO_REPLICA_ID');
  return { ...resolveShopSettings(raw, ENV_NAMES), port, replicaId: id === undefined ? undefined : checkReplicaId(id, 'DEMO_REPLICA_ID') };
}
