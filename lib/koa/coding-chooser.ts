import { negotiateEncoding } from '../http/accept-encoding.js';
import type { HeaderValue } from '../http/field-value.js';
import type { ContentCoding } from './representation.js';

/** The coding a request's Accept-Encoding selects among a server's codings: `identity` if none is acceptable. */
export type CodingChooser = (acceptEncoding: HeaderValue) => ContentCoding | 'identity';

/**
 * `negotiateEncoding` over a fixed list of codings, remembering the last field value it read: the
 * clients of one server send one or two spellings of Accept-Encoding (a browser's
 * `gzip, deflate, br, zstd`, a CDN's `gzip`), so a request mostly finds its answer by comparing
 * one short string, without parsing the field or hashing it into a map.
 */
export function codingChooser(encodings: readonly ContentCoding[]): CodingChooser {
  let lastValue: string | undefined;
  let lastCoding: ContentCoding | 'identity' = 'identity';
  return (acceptEncoding) => {
    if (typeof acceptEncoding === 'string' && acceptEncoding === lastValue) return lastCoding;
    const coding = (negotiateEncoding(acceptEncoding, encodings) ?? 'identity') as ContentCoding | 'identity';
    if (typeof acceptEncoding === 'string') {
      lastValue = acceptEncoding;
      lastCoding = coding;
    }
    return coding;
  };
}
