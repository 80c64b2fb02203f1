import { z } from 'zod';

/** Largest `maxResponseBytes` a remote engine accepts: 64 MiB. */
const MAX_RESPONSE_BYTES_LIMIT = 64 * 1024 * 1024;

function validHeaders(headers: Record<string, string>): boolean {
  try {
    new Headers(headers);
    return true;
  } catch {
    return false;
  }
}

/**
 * zod schema of a `headers` option of a remote policy engine (AuthZEN, OPA): a record of header names
 * and values that the Fetch API accepts. Values are PDP credentials; they never appear in errors.
 *
 * @internal
 * @example
 * ```ts
 * const schema = z.strictObject({ headers: pdpHeadersSchema.optional() });
 * validateOptions(schema, { headers: { 'bad header': 'x' } }, 'createOpaEngine'); // throws: options.headers: must be valid HTTP header names and values
 * ```
 */
export const pdpHeadersSchema = z
  .record(z.string(), z.string())
  .refine(validHeaders, { message: 'must be valid HTTP header names and values' });

/**
 * zod schema of a `maxResponseBytes` option of a remote policy engine: a positive integer of bytes, at
 * most 64 MiB.
 *
 * @internal
 * @example
 * ```ts
 * const schema = z.strictObject({ maxResponseBytes: maxResponseBytesSchema.optional() });
 * ```
 */
export const maxResponseBytesSchema = z.number().int().positive().max(MAX_RESPONSE_BYTES_LIMIT);
