import { z } from 'zod';

/**
 * zod schema of an option that must be a function (`execute`, `clock`, `onError`, hooks). Only the type
 * is checked: zod cannot see a function's signature.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 *
 * const options = z.strictObject({ clock: functionSchema<() => number>('must be a clock').optional() });
 * ```
 */
export function functionSchema<T = (...args: never[]) => unknown>(
  message = 'must be a function',
): z.ZodType<T> {
  return z.custom<T>((v) => typeof v === 'function', { message });
}

/**
 * A schema (or any object) built on first use instead of when its module is evaluated, so that
 * `import 'writ'` builds no zod schema: the value stands for what `build` returns (same methods, same
 * parse results and messages) and `build` runs once, the first time anything reads it.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 *
 * export const timeoutSchema = lazySchema(() => z.number().int().positive());
 * timeoutSchema.parse(1000); // the schema is built here
 * ```
 */
export function lazySchema<T extends object>(build: () => T): T {
  let built: T | undefined;
  const real = (): T => {
    built ??= build();
    return built;
  };
  return new Proxy({} as T, {
    get: (_, key) => Reflect.get(real(), key),
    set: (_, key, value) => Reflect.set(real(), key, value),
    has: (_, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    getOwnPropertyDescriptor: (_, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      // the empty target holds nothing: a proxy may only report configurable properties it lacks
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
    defineProperty: (_, key, descriptor) => Reflect.defineProperty(real(), key, descriptor),
    deleteProperty: (_, key) => Reflect.deleteProperty(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}
