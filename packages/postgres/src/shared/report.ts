import { WritError } from '@writ/core';

/**
 * A failure talking to PostgreSQL as `WRIT_IDENTITY_UNAVAILABLE` (revocations and leases are credential
 * state); a WritError is kept as it is. Messages never carry connection strings.
 * @internal
 */
export function unavailable(message: string, cause: unknown, details?: Record<string, unknown>): WritError {
  if (WritError.isInstance(cause)) return cause;
  const why = cause instanceof Error ? cause.message : String(cause);
  return new WritError('WRIT_IDENTITY_UNAVAILABLE', `${message}: ${why}`, { cause, details });
}

/** A never-throwing reporter around an `onError` option. @internal */
export function reporter(onError: ((error: WritError) => void) | undefined): (error: WritError) => void {
  return (error) => {
    try {
      onError?.(error);
    } catch {
      // a reporting hook never breaks the caller
    }
  };
}
