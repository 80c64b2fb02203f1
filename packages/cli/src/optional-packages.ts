import { WritError } from '@writ/core';

/**
 * The error for an optional peer dependency of `@writ/cli` that is not installed (`WRIT_NOT_CONFIGURED`,
 * with the install command), or `undefined` when `error` is not one of `packages` missing. Commands load
 * their optional packages on demand, so the others install and load none of them.
 *
 * @example
 * ```ts
 * try { await import('@writ/postgres'); } catch (error) {
 *   throw missingOptionalPackage(error, { packages: ['@writ/postgres', 'pg'], needs: 'writ approvals reads the approvals in PostgreSQL', reason: 'postgres_dependencies_missing' }) ?? error;
 * }
 * ```
 */
export function missingOptionalPackage(
  error: unknown,
  options: { readonly packages: readonly string[]; readonly needs: string; readonly reason: string },
): WritError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return undefined;
  const named = /Cannot find (?:package|module) '([^']+)'/.exec((error as Error).message)?.[1];
  const missing = options.packages.find((name) => named === name || named?.startsWith(`${name}/`));
  if (missing === undefined) return undefined;
  const packages = [...options.packages];
  return new WritError(
    'WRIT_NOT_CONFIGURED',
    `${options.needs} and needs ${packages.join(', ')} installed beside @writ/cli ` +
      `(${missing} is missing): npm install ${packages.join(' ')}`,
    { cause: error, details: { reason: options.reason, missing, packages } },
  );
}
