import 'reflect-metadata';

/**
 * The one place that touches `Reflect`. Each decorator records what it was given against the
 * function it returns (a WeakMap, which works in both decorator modes and needs no
 * `Symbol.metadata`), and in legacy mode also through reflect-metadata, where NestJS and its
 * tools look for it.
 */
/** Any function: a method, a wrapper, a class constructor. */
export type AnyFunction = (this: any, ...args: any[]) => any;

export type DecoratorKind = 'cached' | 'invalidates' | 'ratelimited' | 'http';

interface WrapperRecord {
  readonly kind: DecoratorKind;
  readonly value: unknown;
  /** The function this one wraps (the next decorator inward, or the method itself). */
  readonly inner: AnyFunction;
}

const records = new WeakMap<object, WrapperRecord>();

/** Registers `wrapper` as the `kind` decorator's wrapper of `inner`, carrying `value`. */
export function recordWrapper(wrapper: AnyFunction, inner: AnyFunction, kind: DecoratorKind, value: unknown): void {
  records.set(wrapper, { kind, value, inner });
}

/** Follows the chain of wrappers from `fn` inward and returns the value the `kind` decorator recorded. */
export function metadataOf(fn: unknown, kind: DecoratorKind): unknown {
  let current = fn;
  while (typeof current === 'function') {
    const record = records.get(current);
    if (record === undefined) return undefined;
    if (record.kind === kind) return record.value;
    current = record.inner;
  }
  return undefined;
}

/** The function `fn` wraps, if `fn` is a decorator's wrapper. */
export function innerOf(fn: object): AnyFunction | undefined {
  return records.get(fn)?.inner;
}

/** True when `wrapper` is `fn` or one of the functions `fn` wraps. */
export function wraps(fn: unknown, wrapper: AnyFunction): boolean {
  let current = fn;
  while (typeof current === 'function') {
    if (current === wrapper) return true;
    current = records.get(current)?.inner;
  }
  return false;
}

/** The decorated method `methodName` of a class (static or on its prototype) or of an instance. */
export function methodOf(classOrInstance: object, methodName: string | symbol): unknown {
  if (typeof classOrInstance === 'function') {
    const onPrototype = (classOrInstance.prototype as Record<string | symbol, unknown> | undefined)?.[methodName];
    return onPrototype ?? (classOrInstance as unknown as Record<string | symbol, unknown>)[methodName];
  }
  return (classOrInstance as Record<string | symbol, unknown>)[methodName];
}

/**
 * Legacy mode: the value under `tiercache:<kind>`, both on `target`/`propertyKey` (where
 * `Reflect.getMetadata(key, prototype, name)` looks) and on the wrapper function itself (where
 * NestJS guards and interceptors look: `reflector.get(key, context.getHandler())`).
 */
export function defineLegacyMetadata(kind: DecoratorKind, value: unknown, target: object, propertyKey: string | symbol, wrapper: AnyFunction): void {
  Reflect.defineMetadata(`tiercache:${kind}`, value, target, propertyKey);
  Reflect.defineMetadata(`tiercache:${kind}`, value, wrapper);
}

/**
 * Other legacy decorators (NestJS's `@Get()`, guards...) keep their metadata on the method
 * function itself; when we replace it with a wrapper, that metadata must move along.
 */
export function copyFunctionMetadata(from: AnyFunction, to: AnyFunction): void {
  for (const key of Reflect.getOwnMetadataKeys(from)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, from), to);
  }
}
