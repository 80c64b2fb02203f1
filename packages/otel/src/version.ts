/**
 * Version of `@writ/otel` (kept in step with package.json by a test); the instrumentation scope version
 * of its spans.
 *
 * @example
 * ```ts
 * import { VERSION } from '@writ/otel';
 * console.log(`@writ/otel ${VERSION}`);
 * ```
 */
export const VERSION = '0.1.0';
