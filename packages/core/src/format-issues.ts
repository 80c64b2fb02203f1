/**
 * One rendering of validation issues (zod's and any Standard Schema's) for error messages and details:
 * `where: message`, where `where` is the dotted path under `root` (`options.timeouts.policyMs`,
 * `document.issuer`, `scope.0`), the root alone for an issue about the whole value, and `(root)` when
 * no root is named. Unknown keys (zod's `unrecognized_keys`) are listed by name.
 */

/**
 * The parts of an issue Writ reads; zod's issues and Standard Schema issues both fit.
 *
 * @example
 * ```ts
 * const issue: IssueLike = { message: 'Required', path: ['orderId'] };
 * ```
 */
export interface IssueLike {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
  readonly code?: string | undefined;
  readonly keys?: readonly string[] | undefined;
}

/**
 * Options of {@link formatIssues}.
 *
 * @example
 * ```ts
 * const options: FormatIssuesOptions = { root: 'options', limit: 20 };
 * ```
 */
export interface FormatIssuesOptions {
  /** What the paths are inside of (`options`, `document`, `request`). @default none: `(root)` for the whole value */
  readonly root?: string | undefined;
  /** At most this many issues are rendered. @default all */
  readonly limit?: number | undefined;
}

/**
 * Renders issues as `where: message` lines (see the module comment).
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 *
 * const result = z.strictObject({ timeoutMs: z.number() }).safeParse({ timeoutMs: 'soon', colour: 1 });
 * if (!result.success) formatIssues(result.error.issues, { root: 'options' });
 * // ['options.timeoutMs: Invalid input: expected number, received string', 'options: unknown option(s) "colour"']
 * ```
 */
export function formatIssues(issues: readonly IssueLike[], options: FormatIssuesOptions = {}): string[] {
  const { root, limit = issues.length } = options;
  return issues.slice(0, limit).map((issue) => {
    const path = (issue.path ?? [])
      .map((segment) => String(typeof segment === 'object' && segment !== null ? segment.key : segment))
      .join('.');
    const where = root === undefined ? path || '(root)' : path === '' ? root : `${root}.${path}`;
    const message =
      issue.code === 'unrecognized_keys' && issue.keys !== undefined
        ? `unknown ${root === 'options' ? 'option' : 'key'}(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.message;
    return `${where}: ${message}`;
  });
}
