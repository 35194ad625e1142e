import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { CacheKeyError } from '../../lib/errors.js';
import { ARG_HASH_THRESHOLD, encodeArgs, isPrimitiveKey } from '../../lib/keys/canonical-key.js';

/** The error `fn` throws, which must be a CacheKeyError. */
function keyError(fn: () => unknown): CacheKeyError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(CacheKeyError);
    return error as CacheKeyError;
  }
  expect.fail('expected a CacheKeyError');
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}

class Filter {
  constructor(
    public q: string,
    public limit: number,
  ) {}

  get shout(): string {
    return this.q.toUpperCase();
  }

  describe(): string {
    return this.q;
  }
}

// [what, arguments, exact key]
const CASES: readonly [string, unknown[], string][] = [
  ['no arguments', [], ''],
  ['an integer', [1], '1'],
  ['a float', [1.5], '1.5'],
  ['a negative number', [-3], '-3'],
  ['a large number, as JS prints it', [1e21], '1e+21'],
  ['-0, as 0', [-0], '0'],
  ['NaN', [Number.NaN], 'NaN'],
  ['Infinity', [Number.POSITIVE_INFINITY], 'Infinity'],
  ['-Infinity', [Number.NEGATIVE_INFINITY], '-Infinity'],
  ['booleans', [true, false], 'true,false'],
  ['null', [null], 'null'],
  ['undefined', [undefined], 'undefined'],
  ['a BigInt', [12n], '12n'],
  ['a negative BigInt', [-12n], '-12n'],
  ['several arguments', [1, 'a', null], '1,a,null'],
  ['a simple string, bare', ['books'], 'books'],
  ['a simple string with the allowed punctuation, bare', ['user_1.name@x-y/z'], 'user_1.name@x-y/z'],
  ['a string that looks like a number, quoted', ['1'], '"1"'],
  ['a string starting with a digit, quoted', ['1abc'], '"1abc"'],
  ['a string with a comma, quoted', ['a,b'], '"a,b"'],
  ['a string with a space, quoted', ['a b'], '"a b"'],
  ['a string with a quote, escaped', ['say "hi"'], '"say \\"hi\\""'],
  ['a string with a non-ASCII letter, quoted', ['é'], '"é"'],
  ['an empty string, quoted', [''], '""'],
  ['the string "true", quoted', ['true'], '"true"'],
  ['the string "false", quoted', ['false'], '"false"'],
  ['the string "null", quoted', ['null'], '"null"'],
  ['the string "undefined", quoted', ['undefined'], '"undefined"'],
  ['the string "NaN", quoted', ['NaN'], '"NaN"'],
  ['the string "Infinity", quoted', ['Infinity'], '"Infinity"'],
  ['a string starting with a dash, quoted', ['-1'], '"-1"'],
  ['a string starting with #, quoted', ['#abc'], '"#abc"'],
  ['a plain object, keys sorted', [{ b: 'x', a: 1 }], '{a:1,b:x}'],
  ['an object, keys in code-unit order', [{ b: 1, B: 2, _: 3, a: 4 }], '{B:2,_:3,a:4,b:1}'],
  ['an object with a key that is not simple', [{ 'a b': 1, '1': 2 }], '{"1":2,"a b":1}'],
  ['an object with an undefined property, left out', [{ a: 1, b: undefined }], '{a:1}'],
  ['an empty object', [{}], '{}'],
  ['an object with a null prototype', [Object.assign(Object.create(null) as object, { z: 1, y: 2 })], '{y:2,z:1}'],
  ['a class instance, by its own enumerable properties', [new Filter('x y', 10)], '{limit:10,q:"x y"}'],
  ['an object without its symbol-keyed properties', [{ a: 1, [Symbol('s')]: 2 }], '{a:1}'],
  ['nested objects', [{ category: 'books', page: 3, sort: { by: 'price', dir: 'asc' } }], '{category:books,page:3,sort:{by:price,dir:asc}}'],
  ['an array', [[1, 2]], '[1,2]'],
  ['an array holding undefined', [[1, undefined, 'a b']], '[1,undefined,"a b"]'],
  ['an empty array', [[]], '[]'],
  ['a Date', [new Date('2024-02-29T12:00:00.000Z')], 'D(2024-02-29T12:00:00.000Z)'],
  ['an invalid Date', [new Date(Number.NaN)], 'D(Invalid)'],
  [
    'a Map, entries sorted by encoded key',
    [
      new Map<unknown, unknown>([
        ['b', 1],
        [2, 'x'],
        ['a', [1]],
      ]),
    ],
    'Map{2=>x,a=>[1],b=>1}',
  ],
  ['a Map with object keys', [new Map([[{ id: 2 }, 'two']])], 'Map{{id:2}=>two}'],
  ['an empty Map', [new Map()], 'Map{}'],
  ['a Set, sorted by encoded item', [new Set(['b', 3, 'a'])], 'Set[3,a,b]'],
  ['an empty Set', [new Set()], 'Set[]'],
  ['a Buffer', [Buffer.from([0xfb, 0xff, 0x00])], 'B(-_8A)'],
  ['a Uint8Array, like the Buffer of the same bytes', [new Uint8Array([0xfb, 0xff, 0x00])], 'B(-_8A)'],
  ['a Uint8Array viewing part of a larger buffer', [new Uint8Array(new Uint8Array([9, 0xfb, 0xff, 0x00, 9]).buffer, 1, 3)], 'B(-_8A)'],
  ['a shared (not cyclic) reference, twice', [((shared) => ({ a: shared, b: [shared] }))({ n: 1 })], '{a:{n:1},b:[{n:1}]}'],
];

describe('encodeArgs', () => {
  describe('when given each kind of argument', () => {
    for (const [name, args, key] of CASES) {
      it(`encodes ${name} as ${JSON.stringify(key)}`, () => {
        expect(encodeArgs(args)).to.equal(key);
      });
    }
  });

  describe('when given an arguments object', () => {
    it('encodes it like an array of the same arguments', () => {
      function collect(..._args: unknown[]): string {
        return encodeArgs(arguments);
      }
      expect(collect(1, 'a b')).to.equal('1,"a b"');
    });
  });

  describe('when two objects differ only in key order', () => {
    it('gives them the same key, at every depth', () => {
      const one = { a: 1, b: { c: 2, d: [{ e: 3, f: 4 }] } };
      const two = { b: { d: [{ f: 4, e: 3 }], c: 2 }, a: 1 };
      expect(encodeArgs([one])).to.equal(encodeArgs([two]));
    });

    it('gives Maps and Sets built in a different order the same key', () => {
      expect(encodeArgs([new Map([['x', 1], ['y', 2]])])).to.equal(encodeArgs([new Map([['y', 2], ['x', 1]])]));
      expect(encodeArgs([new Set([1, 2, 3])])).to.equal(encodeArgs([new Set([3, 1, 2])]));
    });

    it('orders Map entries whose keys encode alike by their values', () => {
      const a = new Map([[{ id: 1 }, 'a'], [{ id: 1 }, 'b']]);
      const b = new Map([[{ id: 1 }, 'b'], [{ id: 1 }, 'a']]);
      expect(encodeArgs([a])).to.equal('Map{{id:1}=>a,{id:1}=>b}');
      expect(encodeArgs([b])).to.equal(encodeArgs([a]));
    });

    it('sorts more keys than the insertion sort handles too', () => {
      const keys = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      const forward = Object.fromEntries(keys.map((k) => [k, 1]));
      const backward = Object.fromEntries([...keys].reverse().map((k) => [k, 1]));
      expect(encodeArgs([backward])).to.equal(encodeArgs([forward]));
    });
  });

  describe('when arguments could be confused', () => {
    const distinct: readonly [string, unknown[], unknown[]][] = [
      ["'1' and 1", ['1'], [1]],
      ["'true' and true", ['true'], [true]],
      ["'null' and null", ['null'], [null]],
      ["'undefined' and undefined", ['undefined'], [undefined]],
      ["'12n' and 12n", ['12n'], [12n]],
      ["'a,b' and 'a', 'b'", ['a,b'], ['a', 'b']],
      ['[1, 2] and 1, 2', [[1, 2]], [1, 2]],
      ["{ a: 'b,c:d' } and { a: 'b', c: 'd' }", [{ a: 'b,c:d' }], [{ a: 'b', c: 'd' }]],
      ['an empty string and no argument', [''], []],
      ['undefined and no argument', [undefined], []],
      ['[undefined] and []', [[undefined]], [[]]],
      ['a Set and an array', [new Set([1])], [[1]]],
    ];
    for (const [name, a, b] of distinct) {
      it(`keeps ${name} apart`, () => {
        expect(encodeArgs(a)).to.not.equal(encodeArgs(b));
      });
    }

    it('gives -0 and 0 the same key, as a Map keyed by the raw argument does', () => {
      expect(encodeArgs([-0])).to.equal(encodeArgs([0]));
      expect(encodeArgs([{ x: -0 }])).to.equal(encodeArgs([{ x: 0 }]));
      expect(new Map([[0, 'zero']]).get(-0)).to.equal('zero');
    });
  });

  describe('when an argument encodes longer than the threshold', () => {
    it('is 64 characters', () => {
      expect(ARG_HASH_THRESHOLD).to.equal(64);
    });

    it('keeps an argument of exactly the threshold as it is', () => {
      const arg = 'x'.repeat(ARG_HASH_THRESHOLD);
      expect(encodeArgs([arg])).to.equal(arg);
    });

    it('replaces a longer one by # and the SHA-256 of its encoding in base64url', () => {
      const arg = 'x'.repeat(ARG_HASH_THRESHOLD + 1);
      const key = encodeArgs([arg]);
      expect(key).to.equal(`#${sha256(arg)}`);
      expect(key).to.have.length(44);
    });

    it('hashes the canonical encoding, so key order still does not matter', () => {
      const long = { description: 'a fairly long text', tags: ['one', 'two', 'three'], page: 12, size: 50 };
      const encoded = '{description:"a fairly long text",page:12,size:50,tags:[one,two,three]}';
      expect(encoded.length).to.be.greaterThan(ARG_HASH_THRESHOLD);
      expect(encodeArgs([long])).to.equal(`#${sha256(encoded)}`);
      expect(encodeArgs([{ size: 50, page: 12, tags: ['one', 'two', 'three'], description: 'a fairly long text' }])).to.equal(
        encodeArgs([long]),
      );
    });

    it('hashes each long argument on its own and leaves short ones readable', () => {
      const long = 'y'.repeat(100);
      expect(encodeArgs([1, long, 'b'])).to.equal(`1,#${sha256(long)},b`);
    });

    it('measures the encoding, not the raw value: a quoted string counts its quotes', () => {
      const spaced = ' '.repeat(ARG_HASH_THRESHOLD - 1);
      expect(encodeArgs([spaced])).to.equal(`#${sha256(`"${spaced}"`)}`);
    });
  });

  describe('when an argument cannot be encoded', () => {
    const cyclic = (): unknown => {
      const node: { children: unknown[] } = { children: [] };
      node.children.push(node);
      return node;
    };
    const refused: readonly { name: string; args: () => unknown[]; path: string; message: RegExp }[] = [
      { name: 'a function', args: () => [() => 1], path: 'args[0]', message: /function/ },
      { name: 'a nested function', args: () => [1, { filter: { fn: () => true } }], path: 'args[1].filter.fn', message: /function/ },
      { name: 'a symbol', args: () => ['a', Symbol('b')], path: 'args[1]', message: /symbol/ },
      { name: 'a symbol in an array', args: () => [[1, Symbol('b')]], path: 'args[0][1]', message: /symbol/ },
      { name: 'a function under a key that is not simple', args: () => [{ 'a b': () => 1 }], path: 'args[0]["a b"]', message: /function/ },
      { name: 'a cycle', args: () => [cyclic()], path: 'args[0].children[0]', message: /cycle/ },
      {
        name: 'a cycle through a Map',
        args: () => {
          const map = new Map<string, unknown>();
          map.set('me', map);
          return [map];
        },
        path: 'args[0]<Map value 0>',
        message: /cycle/,
      },
      { name: 'a function as a Map key', args: () => [new Map([[() => 1, 1]])], path: 'args[0]<Map key 0>', message: /function/ },
      { name: 'a symbol in a Set', args: () => [new Set([1, Symbol('s')])], path: 'args[0]<Set item 1>', message: /symbol/ },
      { name: 'a WeakMap', args: () => [new WeakMap()], path: 'args[0]', message: /a WeakMap/ },
      { name: 'a WeakSet', args: () => [{ seen: new WeakSet() }], path: 'args[0].seen', message: /a WeakSet/ },
      { name: 'a Promise', args: () => [Promise.resolve(1)], path: 'args[0]', message: /a Promise/ },
      { name: 'a RegExp', args: () => [/x/g], path: 'args[0]', message: /a RegExp/ },
      { name: 'an Error', args: () => [new Error('e')], path: 'args[0]', message: /an Error/ },
      { name: 'a typed array other than Uint8Array', args: () => [new Float32Array(2)], path: 'args[0]', message: /a Float32Array/ },
      { name: 'an ArrayBuffer', args: () => [new ArrayBuffer(2)], path: 'args[0]', message: /an ArrayBuffer/ },
      { name: 'a boxed primitive', args: () => [Object(1) as unknown], path: 'args[0]', message: /a Number/ },
      {
        name: 'a getter that throws',
        args: () => [
          {
            get broken(): never {
              throw new Error('boom');
            },
          },
        ],
        path: 'args[0].broken',
        message: /boom/,
      },
    ];

    for (const { name, args, path, message } of refused) {
      it(`refuses ${name}, naming ${path}`, () => {
        const error = keyError(() => encodeArgs(args()));
        expect(error.code).to.equal('ERR_KEY');
        expect(error.path).to.equal(path);
        expect(error.message).to.match(message);
        expect(error.message).to.contain(` at ${path}`);
      });
    }

    it('refuses an argument nested too deeply for the stack, naming the argument', () => {
      let deep: unknown[] = [];
      for (let i = 0; i < 100_000; i++) deep = [deep];
      const error = keyError(() => encodeArgs([1, deep]));
      expect(error.code).to.equal('ERR_KEY');
      expect(error.path).to.equal('args[1]');
      expect(error.message).to.match(/nested too deeply/);
    });

    it('keeps the error of a throwing getter as the cause', () => {
      const boom = new Error('boom');
      const error = keyError(() =>
        encodeArgs([
          {
            get broken(): never {
              throw boom;
            },
          },
        ]),
      );
      expect(error.cause).to.equal(boom);
    });

    it('is not fooled by a class instance that has methods on its prototype only', () => {
      expect(encodeArgs([new Filter('q', 1)])).to.equal('{limit:1,q:q}');
      expect(Filter.prototype.describe).to.be.a('function');
    });
  });
});

describe('isPrimitiveKey', () => {
  const cases: readonly [string, unknown, boolean][] = [
    ['a string', 'a', true],
    ['a number', 1, true],
    ['NaN', Number.NaN, true],
    ['a boolean', false, true],
    ['a BigInt', 1n, true],
    ['undefined', undefined, true],
    ['null', null, true],
    ['a symbol', Symbol('s'), false],
    ['an object', {}, false],
    ['an array', [], false],
    ['a Date', new Date(0), false],
    ['a function', () => 1, false],
  ];
  for (const [name, value, expected] of cases) {
    it(`is ${String(expected)} for ${name}`, () => {
      expect(isPrimitiveKey(value)).to.equal(expected);
    });
  }
});
