import type { ProductInput } from './product.js';

/** A request body the shop refuses; the message names the field. Answered 400. */
export class InvalidBodyError extends Error {
  override readonly name = 'InvalidBodyError';
  readonly status = 400;
  /** Shown to the client (Koa's convention for errors with a status). */
  readonly expose = true;
}

const FIELDS = ['name', 'price', 'category'] as const;
const MAX_TEXT = 200;

type Fields = { -readonly [K in keyof ProductInput]?: ProductInput[K] };

/** The body of `POST /products`: every field, nothing else. */
export function parseProductInput(body: unknown): ProductInput {
  const fields = checkedFields(body);
  for (const field of FIELDS) if (!(field in fields)) throw new InvalidBodyError(`"${field}" is required`);
  return fields as ProductInput;
}

/** The body of `PUT /products/:id`: the fields to change, at least one, nothing else. */
export function parseProductPatch(body: unknown): Partial<ProductInput> {
  const fields = checkedFields(body);
  if (Object.keys(fields).length === 0) throw new InvalidBodyError(`expected at least one of ${FIELDS.map((f) => `"${f}"`).join(', ')}`);
  return fields;
}

/** The known fields of a JSON object, each checked; an unknown field is refused, not ignored. */
function checkedFields(body: unknown): Fields {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidBodyError(`expected a JSON object, got ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body}`);
  }
  const fields: Fields = {};
  for (const [field, value] of Object.entries(body)) {
    switch (field) {
      case 'name':
      case 'category':
        fields[field] = text(field, value);
        break;
      case 'price':
        fields.price = price(value);
        break;
      default:
        throw new InvalidBodyError(`unknown field "${field}" (allowed: ${FIELDS.join(', ')})`);
    }
  }
  return fields;
}

function text(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidBodyError(`"${field}" must be a non-empty string`);
  if (value.length > MAX_TEXT) throw new InvalidBodyError(`"${field}" must be at most ${MAX_TEXT} characters`);
  return value.trim();
}

function price(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new InvalidBodyError('"price" must be a finite number >= 0');
  return value;
}
