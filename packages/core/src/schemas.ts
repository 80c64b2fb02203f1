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
