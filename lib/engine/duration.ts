import { CacheConfigError } from '../errors.js';

/** Milliseconds as a number, or a string: `'250ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'` (decimals allowed). */
export type Duration = number | `${number}${DurationUnit}`;
/** The units of a duration string. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

const UNIT_MS: Record<DurationUnit, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Turns a duration into whole milliseconds, or throws a {@link CacheConfigError} naming `option`.
 * Negative, NaN and infinite numbers are refused: a TTL of `Infinity` is a bug, not a wish.
 */
export function parseDuration(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.floor(value);
    throw new CacheConfigError(`expected a non-negative finite number of milliseconds, got ${String(value)}`, { option });
  }
  if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    if (match !== null) return Math.floor(Number(match[1]) * UNIT_MS[match[2] as DurationUnit]);
  }
  throw new CacheConfigError(
    `expected milliseconds or a duration string such as '250ms', '30s', '5m', '1h', '1d', got ${describe(value)}`,
    { option },
  );
}

/** A short, safe description of a bad input for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return `symbol ${value.description ?? ''}`;
  return `${typeof value} ${(value as { toString(): string } | undefined)?.toString() ?? 'undefined'}`;
}
