/**
 * The serializer between values and what L2 stores. The engine takes one as an option (see
 * `createCache({ codec })`), so users can plug their own; {@link jsonCodec} is the default.
 */
export interface Codec {
  /** A short name stored nowhere, for messages. */
  readonly name: string;
  /**
   * Encodes a value to a string, or throws `SerializationError` (from `lib/errors.ts`) naming
   * the path of the bad part (`value.items[2].fn`).
   */
  encode(value: unknown): string;
  /** Decodes what {@link Codec.encode} produced; throws `SerializationError` on malformed input. */
  decode(text: string): unknown;
}
