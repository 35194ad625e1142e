import { SerializationError } from '../errors.js';

/**
 * The form of an entry in L2: one line of JSON metadata, a newline, then the codec's payload.
 * Keeping the payload outside the metadata JSON means it is never escaped twice, and a reader
 * can parse the few metadata fields before it decides whether the value is worth decoding.
 */
export interface EnvelopeHeader {
  /** Format version of the envelope. */
  v: 1;
  /** Created at (epoch ms). */
  c: number;
  /** Fresh until (epoch ms). */
  f: number;
  /** Stale (servable within grace) until (epoch ms). */
  s: number;
  /** The method's duration, for early refresh. */
  d: number;
  /** Tags. */
  t?: readonly string[];
  /** Tag versions as read before the method ran (same order as `t`). */
  tv?: readonly number[];
  /** ETag and Last-Modified validators set by the method. */
  e?: string;
  m?: number;
}

export function writeEnvelope(header: EnvelopeHeader, payload: string): string {
  return `${JSON.stringify(header)}\n${payload}`;
}

/** Splits a stored envelope; throws SerializationError on anything this version did not write. */
export function readEnvelope(text: string, key: string): { header: EnvelopeHeader; payload: string } {
  const newline = text.indexOf('\n');
  if (newline > 0) {
    let header: unknown;
    try {
      header = JSON.parse(text.slice(0, newline));
    } catch {
      header = undefined;
    }
    if (isHeader(header)) return { header, payload: text.slice(newline + 1) };
  }
  throw new SerializationError('the stored entry is not a tiercache envelope', { key });
}

function isHeader(value: unknown): value is EnvelopeHeader {
  const h = value as EnvelopeHeader | null;
  return typeof h === 'object' && h !== null && h.v === 1 && typeof h.c === 'number' && typeof h.f === 'number' && typeof h.s === 'number' && typeof h.d === 'number';
}
