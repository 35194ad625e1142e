import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, deflate, gzip, type BrotliOptions, type ZlibOptions } from 'node:zlib';
import type { Entry } from '../engine/entry.js';
import { bodyEtag, encodedEtag } from '../http/etag.js';

/** The content codings `httpCache` can apply itself. */
export type ContentCoding = 'br' | 'gzip' | 'deflate';

/** Work done to build representations, for `httpCache(...).stats()`: a 304 for an L1 hit adds none. */
export interface RepresentationCounters {
  /** Bodies turned into bytes (`JSON.stringify` of a result, or a string encoded as UTF-8). */
  serialized: number;
  /** Bodies hashed into an ETag. */
  hashed: number;
  /** Bodies compressed into a content coding. */
  compressed: number;
}

const brotliAsync = promisify(brotliCompress) as (body: Buffer, options: BrotliOptions) => Promise<Buffer>;
const gzipAsync = promisify(gzip) as (body: Buffer, options: ZlibOptions) => Promise<Buffer>;
const deflateAsync = promisify(deflate) as (body: Buffer, options: ZlibOptions) => Promise<Buffer>;

const compressors: Record<ContentCoding, (body: Buffer) => Promise<Buffer>> = {
  // Brotli at quality 5: compressed once per entry and reused, so a little more effort than
  // koa-compress's per-response 4 pays off; 11 (the default) costs tens of ms on a 10 KiB body.
  br: (body) => brotliAsync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }),
  gzip: (body) => gzipAsync(body, {}),
  deflate: (body) => deflateAsync(body, {}),
};

/**
 * One response body as bytes with its strong ETag, and its encoded forms made on demand. For a
 * cached result it is built once per cache entry and kept beside it, so a 200 reuses the bytes
 * and a 304 needs neither serialisation nor a hash.
 */
export class Representation {
  /** The identity body. */
  readonly body: Buffer;
  /** The strong ETag of `body` (RFC 9110 8.8.3): a digest of its bytes, the same on every replica. */
  readonly etag: string;
  /** The Content-Type Koa would send for the body the handler set. */
  readonly type: string;
  readonly #encoded = new Map<ContentCoding, Promise<Buffer>>();
  #weak: string | undefined;
  readonly #codedTags = new Map<string, string>();
  /** The encoded forms already made, so a response can take one without waiting a tick. */
  readonly #ready = new Map<ContentCoding, Buffer>();
  readonly #counters: RepresentationCounters;

  constructor(body: Buffer, type: string, counters: RepresentationCounters) {
    this.body = body;
    this.type = type;
    this.#counters = counters;
    counters.hashed++;
    this.etag = bodyEtag(body);
  }

  /** The ETag to send: the strong one, its weak form, or that of the encoded form (suffixed). Built once each. */
  etagFor(mode: 'strong' | 'weak', coding: string): string {
    if (mode === 'weak') return (this.#weak ??= `W/${this.etag}`);
    if (coding === 'identity') return this.etag;
    let tag = this.#codedTags.get(coding);
    if (tag === undefined) this.#codedTags.set(coding, (tag = encodedEtag(this.etag, coding)));
    return tag;
  }

  /** The body under `coding` if it has been compressed already, else `undefined`. */
  encodedNow(coding: ContentCoding): Buffer | undefined {
    return this.#ready.get(coding);
  }

  /** The body under `coding`, compressed once (in zlib's thread pool) and then reused. */
  encoded(coding: ContentCoding): Promise<Buffer> {
    let pending = this.#encoded.get(coding);
    if (pending === undefined) {
      this.#counters.compressed++;
      pending = compressors[coding](this.body);
      // A failed compression is not kept: the next request tries again.
      pending.then(
        (bytes) => void this.#ready.set(coding, bytes),
        () => this.#encoded.delete(coding),
      );
      this.#encoded.set(coding, pending);
    }
    return pending;
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The representation of a response body as Koa would send it: an object as its JSON text, a
 * string as UTF-8, a Buffer as it is; `undefined` for a stream or anything else Koa pipes or
 * cannot send. When `entry` is the cache entry whose value the body is, the representation is
 * built once and kept in the entry's `http` slot, so later responses reuse it.
 *
 * @param type the Content-Type already on the response, if the handler set one.
 */
export function representationOf(body: unknown, type: string | undefined, counters: RepresentationCounters, entry?: Entry): Representation | undefined {
  const reusable = entry !== undefined && entry.value === body;
  if (reusable && entry.http instanceof Representation) return entry.http;
  const representation = build(body, type, counters);
  // Kept only beside a cache entry, whose value the cache never changes: any other object may be
  // mutated by the application between two requests.
  if (reusable && representation !== undefined) entry.http = representation;
  return representation;
}

function build(body: unknown, type: string | undefined, counters: RepresentationCounters): Representation | undefined {
  if (body === null || body === undefined) return undefined;
  if (Buffer.isBuffer(body)) return new Representation(body, type ?? 'application/octet-stream', counters);
  if (typeof body === 'string') {
    counters.serialized++;
    return new Representation(Buffer.from(body, 'utf8'), type ?? (body.trimStart().startsWith('<') ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8'), counters);
  }
  if (typeof body !== 'object' || typeof (body as { pipe?: unknown }).pipe === 'function' || body instanceof Uint8Array) return undefined;
  counters.serialized++;
  const text = JSON.stringify(body) as string | undefined;
  if (text === undefined) return undefined;
  return new Representation(Buffer.from(text, 'utf8'), JSON_TYPE, counters);
}
