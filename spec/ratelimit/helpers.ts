import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { CacheConfigError, RateLimitError, type CacheEngine, type RateLimitState } from '../../lib/index.js';
import type { RateLimitAlgorithm } from '../../lib/ratelimit/algorithms.js';
import { escapeKeyPart } from '../../lib/ratelimit/rate-limiter.js';

/**
 * Shared by the specs of spec/ratelimit and spec/decorators/rate-limited.spec.ts.
 */

/** Wall-clock milliseconds with sub-millisecond precision: the clock Redis's TIME reads too (same machine). */
export const wallNow = (): number => performance.timeOrigin + performance.now();
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** What one check decided, whichever way it was reported (a resolved state or a RateLimitError). */
export interface Outcome {
  allowed: boolean;
  remaining: number;
  retryAfterMs: number;
  resetMs: number;
}

/** Runs a consume (which throws RateLimitError when refused) or a peek, and reports the outcome. */
export async function outcomeOf(check: Promise<RateLimitState>): Promise<Outcome> {
  try {
    const state = await check;
    return { allowed: state.allowed, remaining: state.remaining, retryAfterMs: state.retryAfterMs, resetMs: state.resetMs };
  } catch (error) {
    if (!(error instanceof RateLimitError)) throw error;
    return { allowed: false, remaining: error.remaining, retryAfterMs: error.retryAfterMs, resetMs: error.resetMs };
  }
}

/** Calls `fn` and returns what it threw, failing the test if it threw nothing. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return expect.fail('expected an error, but nothing was thrown');
}

/** Awaits `promise` and returns its rejection, failing the test if it resolved. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  return expect.fail('expected a rejection, but the promise resolved');
}

/** The error is a CacheConfigError for `option`, and says so first in its message. */
export function expectConfigError(error: unknown, option: string): void {
  expect(error).to.be.instanceOf(CacheConfigError);
  const e = error as CacheConfigError;
  expect(e.code).to.equal('ERR_CONFIG');
  expect(e.option).to.equal(option);
  expect(e.message.startsWith(`${option}: `), `message ${JSON.stringify(e.message)} should start with "${option}: "`).to.equal(true);
}

/**
 * The offset of Redis's clock (TIME) from this process's wall clock, in ms: redis ≈ local + offset.
 * Both read the same kernel clock, so it is about 0; measured anyway, at the middle of the round trip.
 */
export async function redisClockOffset(client: Redis): Promise<number> {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 5; i++) {
    const sent = wallNow();
    const [seconds, micros] = await client.time();
    const received = wallNow();
    const redisMs = Number(seconds) * 1000 + Number(micros) / 1000;
    if (received - sent < best.rtt) best = { rtt: received - sent, offset: redisMs - (sent + received) / 2 };
  }
  return best.offset;
}

/** The Redis key of a bucket, as the limiter builds it. */
export function bucketKey(namespace: string, bucketName: string, key: string, algorithm: RateLimitAlgorithm): string {
  return `${namespace}:rl:{${escapeKeyPart(bucketName)}:${escapeKeyPart(key)}}:${algorithm}`;
}

/** Engines report Redis failures as 'error' events; a fault test expects them, so every engine gets a sink. */
export function quiet(engine: CacheEngine): CacheEngine {
  engine.on('error', () => {});
  return engine;
}

/**
 * A window length of at least `min` ms (a multiple of 1 s) in which `now` falls in the middle
 * half of its aligned window: a test on a fixed or sliding window then crosses no boundary for
 * a quarter of a window, without waiting for one.
 */
export function midWindow(now: number, min: number): number {
  for (let w = min; w < min * 2; w += 1000) {
    const fraction = (now % w) / w;
    if (fraction > 0.25 && fraction < 0.75) return w;
  }
  throw new Error(`no window between ${min} and ${2 * min} ms puts ${now} mid-window`);
}

/** A MONITOR connection: the commands Redis runs, in the order it runs them, with Redis's time. */
export interface Monitor {
  /** Every command seen so far: Redis's time in ms, and the arguments (as Redis quotes them, unescaped only for plain strings). */
  readonly commands: { time: number; args: string[] }[];
  stop(): void;
}

/**
 * Opens a MONITOR on the Redis at `port` over a plain socket, and resolves once Redis has
 * confirmed it. (ioredis's monitor() can mistake the first monitored lines for the reply to a
 * command of its own under load, and then throws "Command queue state error".)
 */
export function monitor(port: number): Promise<Monitor> {
  return new Promise((resolve, reject) => {
    const commands: { time: number; args: string[] }[] = [];
    const socket = connect(port, '127.0.0.1');
    let buffered = '';
    let confirmed = false;
    const stop = (): void => {
      socket.destroy();
    };
    socket.setEncoding('utf8');
    socket.on('error', (error) => {
      if (!confirmed) reject(error);
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (!confirmed) {
          if (line !== '+OK') {
            reject(new Error(`MONITOR answered ${line}`));
            stop();
            return;
          }
          confirmed = true;
          resolve({ commands, stop });
          continue;
        }
        // +1700000000.123456 [0 127.0.0.1:5555] "evalsha" "ab12..." "1" "key" ...
        const match = /^\+(\d+\.\d+) \[[^\]]*\] (.*)$/.exec(line);
        if (match === null) continue;
        const args = [...match[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!);
        commands.push({ time: Number(match[1]) * 1000, args });
      }
    });
    socket.write('MONITOR\r\n');
  });
}
