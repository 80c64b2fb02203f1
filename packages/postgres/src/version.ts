/**
 * The version of `@writ/postgres`.
 *
 * @example
 * ```ts
 * console.log(`@writ/postgres ${VERSION}`);
 * ```
 */
export const VERSION = '0.1.0';
