/**
 * Version of `@writ/cli` (kept in step with package.json by a test), printed by `writ --version`.
 *
 * @example
 * ```ts
 * import { VERSION } from '@writ/cli';
 * console.log(`writ ${VERSION}`);
 * ```
 */
export const VERSION = '0.1.0';
