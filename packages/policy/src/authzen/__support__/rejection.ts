// Test support: the WritError a promise rejects with (the test fails if it resolves or rejects otherwise).
import { WritError } from '@writ/core';
import { expect } from 'vitest';

/** Awaits `promise`, expecting a `WritError` rejection, and returns it. */
export async function rejection(promise: Promise<unknown>): Promise<WritError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(WritError.isInstance(error)).toBe(true);
  return error as WritError;
}
