// Test support: what option validation says.
import { WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import type { z } from 'zod';

/** The `WRIT_OPTIONS_INVALID` message `validateOptions` gives for `options` under `fn`, or `'valid'`. */
export function optionsProblem(schema: z.ZodType, options: unknown, fn: string): string {
  try {
    validateOptions(schema, options, fn);
  } catch (error) {
    if (WritError.isInstance(error, 'WRIT_OPTIONS_INVALID')) return error.message;
    throw error;
  }
  return 'valid';
}
