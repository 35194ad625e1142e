import { expect } from 'chai';
import { jsonCodec } from '../../lib/codec/json-codec.js';
import { SerializationError } from '../../lib/errors.js';

/** Encodes then decodes, as a value does on its way through L2. */
function roundTrip(value: unknown): unknown {
  return jsonCodec.decode(jsonCodec.encode(value));
}

/** The error `fn` throws, which must be a SerializationError. */
function serializationError(fn: () => unknown): SerializationError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(SerializationError);
    return error as SerializationError;
  }
  expect.fail('expected a SerializationError');
}

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}

  get length(): number {
    return Math.hypot(this.x, this.y);
  }
}

interface RoundTripCase {
  readonly name: string;
  readonly value: () => unknown;
  /** True when the output must be plain JSON (the `=` prefix, decoded without a walk). */
  readonly plain?: boolean;
  /** Checks deep equality cannot see: `-0`, the exact class of what came back. */
  readonly check?: (decoded: unknown) => void;
}

const ROUND_TRIPS: readonly RoundTripCase[] = [
  { name: 'a string', value: () => 'héllo "world"\n', plain: true },
  { name: 'an empty string', value: () => '', plain: true },
  { name: 'an integer', value: () => 42, plain: true },
  { name: 'a float', value: () => 1.5e-300, plain: true },
  { name: 'true', value: () => true, plain: true },
  { name: 'false', value: () => false, plain: true },
  { name: 'null', value: () => null, plain: true },
  { name: 'nested plain objects and arrays', value: () => ({ a: [1, { b: [null, 'x'] }], c: {} }), plain: true },
  { name: 'an empty array', value: () => [], plain: true },
  { name: 'undefined as the root value', value: () => undefined, check: (d) => expect(d).to.equal(undefined) },
  {
    name: 'undefined inside an object (the property kept)',
    value: () => ({ a: undefined, b: 1 }),
    check: (d) => expect(Object.keys(d as object)).to.deep.equal(['a', 'b']),
  },
  {
    name: 'undefined inside an array (no hole)',
    value: () => [undefined, 1, undefined],
    check: (d) => expect(Object.keys(d as object)).to.deep.equal(['0', '1', '2']),
  },
  { name: '-0', value: () => -0, check: (d) => expect(Object.is(d, -0)).to.equal(true) },
  { name: '-0 inside an array', value: () => [0, -0], check: (d) => expect(Object.is((d as number[])[1], -0)).to.equal(true) },
  { name: 'NaN', value: () => Number.NaN, check: (d) => expect(Number.isNaN(d)).to.equal(true) },
  { name: 'Infinity', value: () => Number.POSITIVE_INFINITY },
  { name: '-Infinity', value: () => Number.NEGATIVE_INFINITY },
  { name: 'a BigInt', value: () => 12345678901234567890n, check: (d) => expect(d).to.equal(12345678901234567890n) },
  { name: 'a negative BigInt', value: () => -1n },
  {
    name: 'a Date',
    value: () => new Date('2024-02-29T12:34:56.789Z'),
    check: (d) => {
      expect(d).to.be.instanceOf(Date);
      expect((d as Date).toISOString()).to.equal('2024-02-29T12:34:56.789Z');
    },
  },
  {
    name: 'an invalid Date',
    value: () => new Date(Number.NaN),
    check: (d) => {
      expect(d).to.be.instanceOf(Date);
      expect(Number.isNaN((d as Date).getTime())).to.equal(true);
    },
  },
  {
    name: 'a Map with keys of any type',
    value: () =>
      new Map<unknown, unknown>([
        ['a', 1],
        [2, 'two'],
        [{ k: 1 }, [1]],
        [undefined, undefined],
        [null, -0],
        [3n, new Date(0)],
      ]),
    check: (d) => {
      expect(d).to.be.instanceOf(Map);
      const entries = [...(d as Map<unknown, unknown>)];
      expect(entries.map(([k]) => k)).to.deep.equal(['a', 2, { k: 1 }, undefined, null, 3n]);
      expect(Object.is(entries[4]?.[1], -0)).to.equal(true);
    },
  },
  { name: 'an empty Map', value: () => new Map(), check: (d) => expect(d).to.be.instanceOf(Map) },
  {
    name: 'a Set',
    value: () => new Set<unknown>([1, 'a', undefined, { b: 2 }, new Set([1])]),
    check: (d) => {
      expect(d).to.be.instanceOf(Set);
      expect([...(d as Set<unknown>)][2]).to.equal(undefined);
    },
  },
  {
    name: 'a Buffer (as a Buffer)',
    value: () => Buffer.from([0, 1, 254, 255]),
    check: (d) => expect(Buffer.isBuffer(d)).to.equal(true),
  },
  {
    name: 'a Uint8Array (as a Uint8Array, not a Buffer)',
    value: () => new Uint8Array([0, 1, 254, 255]),
    check: (d) => {
      expect(d).to.be.instanceOf(Uint8Array);
      expect(Buffer.isBuffer(d)).to.equal(false);
      expect((d as Uint8Array).buffer.byteLength).to.equal(4);
    },
  },
  {
    name: 'a Uint8Array that views part of a larger buffer',
    value: () => new Uint8Array(new Uint8Array([9, 1, 2, 9]).buffer, 1, 2),
    check: (d) => expect([...(d as Uint8Array)]).to.deep.equal([1, 2]),
  },
  {
    name: 'a Float32Array with NaN and -0',
    value: () => new Float32Array([0.1, Number.NaN, -0, Number.POSITIVE_INFINITY]),
    check: (d) => {
      expect(d).to.be.instanceOf(Float32Array);
      expect(Object.is((d as Float32Array)[2], -0)).to.equal(true);
    },
  },
  { name: 'a Float64Array', value: () => new Float64Array([Math.PI, -1e308]), check: (d) => expect(d).to.be.instanceOf(Float64Array) },
  { name: 'an Int16Array', value: () => new Int16Array([-32768, 32767]), check: (d) => expect(d).to.be.instanceOf(Int16Array) },
  { name: 'a BigInt64Array', value: () => new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]), check: (d) => expect(d).to.be.instanceOf(BigInt64Array) },
  {
    name: 'special types nested in plain data',
    value: () => ({ items: [{ at: new Date(1), tags: new Set(['x']), raw: Buffer.from('hi') }], total: 10n, missing: undefined }),
  },
  { name: 'a user object with the marker key', value: () => ({ '~': 'd', v: 0 }) },
  { name: 'a user object that looks exactly like the undefined marker', value: () => ({ '~': 'u' }) },
  { name: 'a user object whose marker key holds undefined', value: () => ({ '~': undefined }) },
  { name: 'a user object with the marker key, nested and holding special values', value: () => [{ a: { '~': new Date(0), b: new Map([[1, { '~': 1 }]]) } }] },
  { name: 'a user object with the marker key as a Map key', value: () => new Map([[{ '~': 'M' }, 1]]) },
  {
    name: 'an own __proto__ key',
    value: () => JSON.parse('{"__proto__":{"x":1},"~":1}') as unknown,
    check: (d) => {
      expect(Object.getPrototypeOf(d)).to.equal(Object.prototype);
      expect(Object.hasOwn(d as object, '__proto__')).to.equal(true);
    },
  },
  {
    name: 'an object with a null prototype (as a plain object)',
    value: () => Object.assign(Object.create(null) as object, { a: 1 }),
    plain: true,
  },
];

describe('jsonCodec', () => {
  it('is named "json"', () => {
    expect(jsonCodec.name).to.equal('json');
  });

  describe('when a value is encoded then decoded', () => {
    for (const { name, value, plain, check } of ROUND_TRIPS) {
      it(`gives back ${name}`, () => {
        const text = jsonCodec.encode(value());
        expect(text[0], 'prefix').to.equal(plain === true ? '=' : '~');
        const decoded = jsonCodec.decode(text);
        // deep-eql: -0 differs from 0, NaN equals NaN, Maps and Sets compare by content.
        expect(decoded).to.deep.equal(value());
        check?.(decoded);
      });
    }
  });

  describe('when the value is plain JSON data', () => {
    it('is "=" followed by exactly what JSON.stringify gives', () => {
      const value = { id: 7, name: 'Ada', tags: ['a', 'b'], nested: { ok: true, none: null } };
      expect(jsonCodec.encode(value)).to.equal(`=${JSON.stringify(value)}`);
    });

    it('is decoded by JSON.parse alone: marker-like objects in it are left as they are', () => {
      // The encoder never writes a marker under "=", so decode does not look for one.
      expect(jsonCodec.decode('={"~":"d","v":0}')).to.deep.equal({ '~': 'd', v: 0 });
    });
  });

  describe('when a value holds a special type', () => {
    it('is "~" followed by JSON with markers', () => {
      expect(jsonCodec.encode({ at: new Date(0), n: undefined })).to.equal('~{"at":{"~":"d","v":0},"n":{"~":"u"}}');
    });

    it('escapes a user object that has the marker key', () => {
      expect(jsonCodec.encode({ '~': 'd', v: 0 })).to.equal('~{"~":"O","v":[["~","d"],["v",0]]}');
    });
  });

  describe('when the value is a class instance', () => {
    it('gives back a plain object of its own enumerable properties', () => {
      const decoded = roundTrip(new Point(3, 4));
      expect(decoded).to.deep.equal({ x: 3, y: 4 });
      expect(Object.getPrototypeOf(decoded)).to.equal(Object.prototype);
    });
  });

  describe('when an object has a toJSON method', () => {
    it('encodes what toJSON returns', () => {
      const money = { amount: 5n, toJSON: () => ({ cents: 500, at: new Date(0) }) };
      expect(roundTrip({ price: money })).to.deep.equal({ price: { cents: 500, at: new Date(0) } });
    });

    it('calls toJSON with the property name, as JSON.stringify does', () => {
      const seen: string[] = [];
      jsonCodec.encode({ a: { toJSON: (key: string) => seen.push(key) } });
      expect(seen).to.deep.equal(['a']);
    });

    it('keeps the property when toJSON returns undefined (JSON.stringify would drop it)', () => {
      const decoded = roundTrip({ a: { toJSON: () => undefined } });
      expect(Object.keys(decoded as object)).to.deep.equal(['a']);
    });

    it('keeps a consistent prefix when toJSON itself encodes something', () => {
      const nested = { toJSON: () => jsonCodec.encode('plain') };
      const decoded = roundTrip({ at: new Date(0), nested });
      expect(decoded).to.deep.equal({ at: new Date(0), nested: '="plain"' });
    });
  });

  describe('when an object has symbol-keyed properties', () => {
    it('skips them, as JSON.stringify does', () => {
      expect(roundTrip({ a: 1, [Symbol('s')]: 2 })).to.deep.equal({ a: 1 });
    });
  });

  describe('when one object is referenced twice without a cycle', () => {
    it('encodes it twice and gives back two equal objects', () => {
      const shared = { n: 1, at: new Date(0) };
      const decoded = roundTrip({ a: shared, b: [shared, new Map([[shared, shared]])] }) as { a: unknown; b: unknown[] };
      expect(decoded.a).to.deep.equal(shared);
      expect(decoded.b[0]).to.deep.equal(shared);
      expect(decoded.b[0]).to.not.equal(decoded.a);
    });
  });

  describe('when the value cannot be encoded', () => {
    const cyclic = (): unknown => {
      const node: { name: string; self?: unknown } = { name: 'n' };
      node.self = node;
      return node;
    };
    const refused: readonly { name: string; value: () => unknown; path: string; message: RegExp }[] = [
      { name: 'a function as the root', value: () => () => 1, path: 'value', message: /function/ },
      { name: 'a nested function', value: () => ({ items: [1, 2, { fn: () => 1 }] }), path: 'value.items[2].fn', message: /function/ },
      { name: 'a method of a plain object', value: () => ({ run() {} }), path: 'value.run', message: /function/ },
      { name: 'a symbol', value: () => ({ tags: ['a', Symbol('b')] }), path: 'value.tags[1]', message: /symbol/ },
      { name: 'a property whose name is not an identifier', value: () => ({ 'a b': Symbol('c') }), path: 'value["a b"]', message: /symbol/ },
      { name: 'a cycle through an object', value: () => ({ list: [cyclic()] }), path: 'value.list[0].self', message: /cycle/ },
      {
        name: 'a cycle through an array',
        value: () => {
          const list: unknown[] = [1];
          list.push(list);
          return list;
        },
        path: 'value[1]',
        message: /cycle/,
      },
      {
        name: 'a cycle through a Map',
        value: () => {
          const map = new Map<string, unknown>();
          map.set('me', map);
          return { map };
        },
        path: 'value.map<Map value 0>',
        message: /cycle/,
      },
      {
        name: 'a cycle through an escaped object',
        value: () => {
          const odd: Record<string, unknown> = { '~': 1 };
          odd['back'] = odd;
          return odd;
        },
        path: 'value.back',
        message: /cycle/,
      },
      { name: 'a symbol as a Map key', value: () => new Map([[Symbol('k'), 1]]), path: 'value<Map key 0>', message: /symbol/ },
      { name: 'a function in a Set', value: () => new Set([1, () => 2]), path: 'value<Set item 1>', message: /function/ },
      { name: 'a function in an escaped object', value: () => ({ '~': 1, fn: () => 1 }), path: 'value.fn', message: /function/ },
      { name: 'a DataView', value: () => ({ view: new DataView(new ArrayBuffer(2)) }), path: 'value.view', message: /DataView/ },
      { name: 'an ArrayBuffer', value: () => [new ArrayBuffer(2)], path: 'value[0]', message: /an ArrayBuffer/ },
      { name: 'a WeakMap', value: () => ({ cache: new WeakMap() }), path: 'value.cache', message: /WeakMap/ },
      { name: 'a Promise (a missing await)', value: () => ({ user: Promise.resolve(1) }), path: 'value.user', message: /Promise/ },
      { name: 'a RegExp', value: () => ({ pattern: /x/ }), path: 'value.pattern', message: /RegExp/ },
      { name: 'an Error', value: () => ({ error: new Error('e') }), path: 'value.error', message: /an Error/ },
      {
        name: 'a getter that throws',
        value: () => ({
          get broken(): never {
            throw new Error('boom');
          },
        }),
        path: 'value.broken',
        message: /boom/,
      },
    ];

    for (const { name, value, path, message } of refused) {
      it(`refuses ${name}, naming ${path}`, () => {
        const error = serializationError(() => jsonCodec.encode(value()));
        expect(error.code).to.equal('ERR_SERIALIZE');
        expect(error.path).to.equal(path);
        expect(error.message).to.match(message);
        expect(error.message).to.contain(` at ${path}`);
      });
    }

    it('refuses a value nested too deeply for the stack', () => {
      let deep: unknown[] = [];
      for (let i = 0; i < 100_000; i++) deep = [deep];
      const error = serializationError(() => jsonCodec.encode(deep));
      expect(error.code).to.equal('ERR_SERIALIZE');
      expect(error.message).to.match(/nested too deeply/);
    });

    it('keeps the error of a throwing getter as the cause', () => {
      const boom = new Error('boom');
      const error = serializationError(() =>
        jsonCodec.encode({
          get broken(): never {
            throw boom;
          },
        }),
      );
      expect(error.cause).to.equal(boom);
    });

    it('encodes plain data as plain again afterwards', () => {
      serializationError(() => jsonCodec.encode({ at: new Date(0), fn: () => 1 }));
      expect(jsonCodec.encode({ a: 1 })).to.equal('={"a":1}');
    });
  });

  describe('when decoding malformed input', () => {
    const malformed: readonly [string, string][] = [
      ['an empty string', ''],
      ['an unknown prefix', 'x{}'],
      ['a JSON text without a prefix', '{"a":1}'],
      ['a prefix alone', '='],
      ['broken JSON', '={"a":'],
      ['broken JSON with markers', '~[{"~":"u"'],
      ['an unknown marker', '~{"~":"q","v":1}'],
      ['a number marker with a finite value', '~{"~":"n","v":"12"}'],
      ['a BigInt marker that is not an integer', '~{"~":"b","v":"1.5"}'],
      ['a Date marker with a string', '~{"~":"d","v":"2024-01-01"}'],
      ['a Map marker whose entries are not pairs', '~{"~":"M","v":[[1]]}'],
      ['a Buffer marker without base64', '~{"~":"B","v":3}'],
      ['a typed array marker naming an unknown type', '~{"~":"T","t":"Array","v":[]}'],
      ['a typed array marker naming an Object.prototype property', '~{"~":"T","t":"constructor","v":[]}'],
      ['an escape marker with a non-string key', '~{"~":"O","v":[[1,2]]}'],
    ];
    for (const [name, text] of malformed) {
      it(`throws a SerializationError for ${name}`, () => {
        const error = serializationError(() => jsonCodec.decode(text));
        expect(error.code).to.equal('ERR_SERIALIZE');
        expect(error.message).to.match(/^cannot decode a json payload: /);
      });
    }
  });
});
