import { CacheConfigError } from '../errors.js';
import { copyFunctionMetadata, defineLegacyMetadata, recordWrapper, wraps, type AnyFunction, type DecoratorKind } from './metadata.js';

/** What a decorator learns about the method it wraps, in either mode. */
export interface MethodSite {
  readonly methodName: string | symbol;
  readonly isStatic: boolean;
  /** The declaring class, known at once in legacy mode; in standard mode, at the first construction. */
  declaringClass: AnyFunction | undefined;
  /** Standard mode: called once the declaring class is known. */
  onClassKnown: ((declaringClass: AnyFunction) => void) | undefined;
}

/**
 * A method decorator usable both as a TC39 standard decorator and as a legacy
 * (`experimentalDecorators`) one: TypeScript picks the overload that matches the mode.
 */
export interface DualMethodDecorator<Args extends unknown[]> {
  // The method's parameters must fit the builders' (`key`, `tags`...), which may use fewer of them.
  <This, P extends [...Args, ...any[]], R>(
    value: (this: This, ...args: P) => R,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: P) => R>,
  ): (this: This, ...args: P) => R;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): void;
}

/**
 * Builds the decorator from `wrap`, which turns the method into its wrapper. Both modes end in
 * the same `wrap`; only how the method and its class are found differs.
 */
export function dualMethodDecorator<Args extends unknown[]>(
  decoratorName: string,
  kind: DecoratorKind,
  metadata: unknown,
  wrap: (method: AnyFunction, site: MethodSite) => AnyFunction,
): DualMethodDecorator<Args> {
  return function decorate(target: unknown, context: unknown, descriptor?: PropertyDescriptor): any {
    if (isStandardContext(context)) {
      if (context.kind !== 'method') throw new CacheConfigError(`${decoratorName} decorates methods, not a ${context.kind}`, { option: decoratorName });
      const site: MethodSite = { methodName: context.name, isStatic: context.static, declaringClass: undefined, onClassKnown: undefined };
      const wrapper = wrap(target as AnyFunction, site);
      recordWrapper(wrapper, target as AnyFunction, kind, metadata);
      context.addInitializer(function (this: unknown) {
        if (site.declaringClass !== undefined) return;
        site.declaringClass = findDeclaringClass(this, context.name, wrapper);
        site.onClassKnown?.(site.declaringClass);
      });
      return wrapper;
    }
    if (descriptor !== undefined && typeof descriptor.value === 'function' && (typeof context === 'string' || typeof context === 'symbol')) {
      const owner = target as object;
      const isStatic = typeof owner === 'function';
      const site: MethodSite = {
        methodName: context,
        isStatic,
        declaringClass: isStatic ? (owner as AnyFunction) : (owner.constructor as AnyFunction),
        onClassKnown: undefined,
      };
      const method = descriptor.value as AnyFunction;
      const wrapper = wrap(method, site);
      recordWrapper(wrapper, method, kind, metadata);
      copyFunctionMetadata(method, wrapper);
      defineLegacyMetadata(kind, metadata, owner, context, wrapper);
      descriptor.value = wrapper;
      return descriptor;
    }
    throw new CacheConfigError(`${decoratorName} decorates methods only`, { option: decoratorName });
  } as DualMethodDecorator<Args>;
}

function isStandardContext(value: unknown): value is ClassMemberDecoratorContext {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string' && 'name' in value;
}

/** The class on whose prototype (or, for a static method, on which) the wrapper sits. */
function findDeclaringClass(self: unknown, name: string | symbol, wrapper: AnyFunction): AnyFunction {
  let holder: unknown = self;
  let firstOwner: unknown;
  while (holder !== null && holder !== undefined) {
    const own = Object.getOwnPropertyDescriptor(holder, name);
    if (own !== undefined) {
      firstOwner ??= holder;
      if (wraps(own.value, wrapper)) return classOf(holder);
    }
    holder = Object.getPrototypeOf(holder);
  }
  return classOf(firstOwner ?? self);
}

function classOf(holder: unknown): AnyFunction {
  return typeof holder === 'function' ? (holder as AnyFunction) : (holder as { constructor: AnyFunction }).constructor;
}
