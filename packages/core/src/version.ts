/**
 * Version of @writ/core (kept in step with package.json by a test).
 *
 * @example
 * ```ts
 * console.log(`@writ/core ${VERSION}`); // '@writ/core 0.1.0'
 * ```
 */
export const VERSION = '0.1.0';
