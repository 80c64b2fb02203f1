// Test support: the WritError a promise rejects with (anything else, or a fulfilment, fails the test).
import { WritError } from '@writ/core';

export async function failure(promise: Promise<unknown>): Promise<WritError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e,
  );
  if (!WritError.isInstance(error)) throw error;
  return error;
}
