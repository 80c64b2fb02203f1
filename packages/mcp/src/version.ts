/**
 * Version of `@writ/mcp` (kept in step with package.json by a test); the instrumentation scope version
 * of its CLIENT spans.
 *
 * @example
 * ```ts
 * import { VERSION } from '@writ/mcp';
 * console.log(`@writ/mcp ${VERSION}`);
 * ```
 */
export const VERSION = '0.1.0';
