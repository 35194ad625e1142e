/**
 * What replicas tell each other on `<namespace>:bus`: keys and tags, never values. Short field
 * names keep the messages small; `i` is the sender's instance id, so a replica ignores its own.
 */
export type BusMessage =
  /** Keys deleted or overwritten: drop them from L1. */
  | { i: string; t: 'keys'; k: string[] }
  /** Tags invalidated, with their new versions (same order). */
  | { i: string; t: 'tags'; g: string[]; v: string[] }
  /** The namespace was cleared: its new generation. */
  | { i: string; t: 'clear'; n: number }
  /** A lock holder stored the value of these keys: waiters may read it now. */
  | { i: string; t: 'fill'; k: string[] }
  /** Liveness: each replica hears its own heartbeat come back, or knows the bus is down. */
  | { i: string; t: 'beat' };

export function encodeBusMessage(message: BusMessage): string {
  return JSON.stringify(message);
}

/** Parses and checks a message; `undefined` for anything malformed (it is dropped and reported, never applied). */
export function decodeBusMessage(text: string): BusMessage | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (typeof m.i !== 'string' || m.i.length === 0) return undefined;
  switch (m.t) {
    case 'keys':
    case 'fill':
      return isStrings(m.k) ? (m as BusMessage) : undefined;
    case 'tags':
      return isStrings(m.g) && isStrings(m.v) && m.g.length === m.v.length ? (m as BusMessage) : undefined;
    case 'clear':
      return Number.isSafeInteger(m.n) ? (m as BusMessage) : undefined;
    case 'beat':
      return m as BusMessage;
    default:
      return undefined;
  }
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
