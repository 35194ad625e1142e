import type { Entry } from './entry.js';

/** Shapes (key lists) remembered per method: calls rarely pass objects of more than a few. */
const MAX_SHAPES = 4;
/** Objects with more keys take the encoded-key path. */
const MAX_KEYS = 8;

/** One key list, as `Object.keys` gives it, with its keys in the order the canonical encoding sorts them. */
interface Shape {
  readonly keys: readonly string[];
  readonly sorted: readonly string[];
  readonly root: Map<unknown, unknown>;
}

/**
 * A second index of a `@Cached` method's entries for calls whose one argument is a flat plain
 * object (`{ id: 7, kind: 'book' }`): the entry is found by the object's values, one Map level
 * per key in sorted order, with no key string built or hashed. The encoded key (and its index)
 * stays the source of truth: an entry is put here only after that index found it for an object of
 * the same shape and values, whose canonical encoding is a function of exactly those (the keys
 * sorted; values compared as a Map compares them, under which `-0` is `0` and `NaN` is `NaN`, as
 * in the encoding). So this index can only miss, never disagree.
 *
 * An entry leaving L1 leaves this index too (`Entry.unlink` walks its path back, dropping the
 * maps it empties), and an entry that is no longer linked is never returned.
 */
export class ShapeIndex {
  readonly #shapes: Shape[] = [];

  /** The entry of a call with `arg`, if `arg` is a flat plain object already seen with these values. */
  get(arg: object): Entry | undefined {
    const proto: unknown = Object.getPrototypeOf(arg);
    if (proto !== Object.prototype && proto !== null) return undefined;
    const shape = this.#shapeOf(Object.keys(arg), false);
    if (shape === undefined) return undefined;
    let node: unknown = shape.root;
    const sorted = shape.sorted;
    for (let i = 0; i < sorted.length; i++) {
      const value = (arg as Record<string, unknown>)[sorted[i]!];
      if (!isFlat(value)) return undefined;
      node = (node as Map<unknown, unknown>).get(value);
      if (node === undefined) return undefined;
    }
    const entry = node as Entry;
    return entry.index !== undefined ? entry : undefined;
  }

  /**
   * Files `entry` under `arg`'s shape and values, for a call the encoded-key index has just
   * resolved to `entry`. Anything but a flat plain object with at most 8 keys is left out, as is
   * an entry already filed (under another method of the same name, say).
   */
  set(arg: object, entry: Entry): void {
    if (entry.shapePath !== undefined || entry.index === undefined) return;
    const proto: unknown = Object.getPrototypeOf(arg);
    if (proto !== Object.prototype && proto !== null) return;
    const keys = Object.keys(arg);
    // Checked before a shape is made for them, so objects that can never be filed take no slot.
    for (let i = 0; i < keys.length; i++) if (!isFlat((arg as Record<string, unknown>)[keys[i]!])) return;
    const shape = this.#shapeOf(keys, true);
    if (shape === undefined) return;
    const sorted = shape.sorted;
    const values: unknown[] = [];
    for (let i = 0; i < sorted.length; i++) values.push((arg as Record<string, unknown>)[sorted[i]!]);
    // path: [map 0, value 0, map 1, value 1, ...]: the maps from the root down and the value taken in each.
    const path: unknown[] = [];
    let node = shape.root;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      path.push(node, value);
      if (i === values.length - 1) break;
      let next = node.get(value) as Map<unknown, unknown> | undefined;
      if (next === undefined) node.set(value, (next = new Map()));
      node = next;
    }
    const previous = node.get(values[values.length - 1]) as Entry | undefined;
    if (previous !== undefined && previous !== entry) previous.shapePath = undefined;
    node.set(values[values.length - 1], entry);
    entry.shapePath = path;
  }

  /** How many entries are filed, and how many maps hold them: for tests of the clean-up. */
  census(): { entries: number; maps: number } {
    const count = { entries: 0, maps: 0 };
    const walk = (node: Map<unknown, unknown>, depth: number): void => {
      count.maps++;
      for (const child of node.values()) {
        if (depth === 1) count.entries++;
        else walk(child as Map<unknown, unknown>, depth - 1);
      }
    };
    for (const shape of this.#shapes) walk(shape.root, shape.sorted.length);
    return count;
  }

  #shapeOf(keys: string[], create: boolean): Shape | undefined {
    const shapes = this.#shapes;
    for (let s = 0; s < shapes.length; s++) {
      const shape = shapes[s]!;
      const known = shape.keys;
      if (known.length !== keys.length) continue;
      let same = true;
      for (let i = 0; i < keys.length; i++) {
        if (known[i] !== keys[i]) {
          same = false;
          break;
        }
      }
      if (same) return shape;
    }
    if (!create || keys.length === 0 || keys.length > MAX_KEYS || shapes.length >= MAX_SHAPES) return undefined;
    // Sorted as the canonical encoding sorts them: UTF-16 code units, `<` on strings.
    const shape: Shape = { keys, sorted: [...keys].sort(), root: new Map() };
    shapes.push(shape);
    return shape;
  }
}

/** Values a Map compares as the encoding does: primitives. Objects would be compared by identity. */
function isFlat(value: unknown): boolean {
  const type = typeof value;
  return type === 'number' || type === 'string' || type === 'boolean' || type === 'undefined' || type === 'bigint' || value === null;
}

/** Drops `entry` from the shape index it was filed in, and the maps that leaves empty. @internal */
export function unfile(entry: Entry): void {
  const path = entry.shapePath;
  if (path === undefined) return;
  entry.shapePath = undefined;
  let i = path.length - 2;
  const leaf = path[i] as Map<unknown, unknown>;
  if (leaf.get(path[i + 1]) !== entry) return;
  leaf.delete(path[i + 1]);
  for (i -= 2; i >= 0; i -= 2) {
    if ((path[i + 2] as Map<unknown, unknown>).size > 0) return;
    (path[i] as Map<unknown, unknown>).delete(path[i + 1]);
  }
}
