import { WritError } from '@writ/core';

/**
 * A failure to keep the evidence, as `WRIT_AUDIT_UNAVAILABLE` (`<message>: <the cause's message>`, the
 * cause kept): what the pipeline needs to refuse the call instead of running the tool. A cause that
 * already is `WRIT_AUDIT_UNAVAILABLE` is returned as it is.
 *
 * @example
 * ```ts
 * storage.sync().catch((error: unknown) => report(auditUnavailable('syncing batched records failed', error)));
 * ```
 * @internal
 */
export function auditUnavailable(
  message: string,
  cause: unknown,
  details?: Record<string, unknown>,
): WritError {
  if (WritError.isInstance(cause, 'WRIT_AUDIT_UNAVAILABLE')) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new WritError('WRIT_AUDIT_UNAVAILABLE', `${message}: ${reason}`, { cause, details });
}
