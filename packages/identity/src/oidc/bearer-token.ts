import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import { DEFAULT_MAX_TOKEN_BYTES, tokenError } from '../jwt.js';

/**
 * Node-style headers: lower- or mixed-case names, repeated headers as arrays.
 *
 * @example
 * ```ts
 * const headers: HeaderRecord = req.headers; // a Node IncomingMessage's headers
 * ```
 */
export type HeaderRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Where {@link bearerToken} reads the `Authorization` header from: a Fetch `Request` or `Headers`, a Node
 * `IncomingMessage` (or anything with Node-style `headers`), or a plain header record.
 *
 * @example
 * ```ts
 * const sources: BearerTokenSource[] = [request, request.headers, req, req.headers];
 * ```
 */
export type BearerTokenSource =
  | { get(name: string): string | null }
  | { readonly headers: { get(name: string): string | null } | HeaderRecord }
  | HeaderRecord;

/**
 * Options of {@link bearerToken}.
 *
 * @example
 * ```ts
 * const token = bearerToken(request, { optional: true } satisfies BearerTokenOptions); // undefined when absent
 * ```
 */
export interface BearerTokenOptions {
  /** Return `undefined` instead of throwing when there is no `Authorization` header. @default false */
  optional?: boolean | undefined;
  /** Longer tokens are refused. @default DEFAULT_MAX_TOKEN_BYTES */
  maxBytes?: number | undefined;
}

const optionsSchema = z.strictObject({
  optional: z.boolean().optional(),
  maxBytes: z.number().int().positive().max(1_048_576).optional(),
});

/** `credentials = "Bearer" 1*SP b64token` (RFC 6750 §2.1); the scheme is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;
const WHAT = 'bearer token';

/**
 * Reads the one bearer token of an `Authorization: Bearer <token>` header, framework-neutrally. The
 * scheme is matched case-insensitively; several `Authorization` headers, another scheme, several
 * tokens or characters outside RFC 6750's `b64token` are refused (`WRIT_TOKEN_INVALID`, `details.reason`
 * `multiple` / `malformed` / `oversized`), as is a missing header (`missing`) unless `optional`. The
 * token is returned as is: verify it next.
 *
 * @example
 * ```ts
 * // Fetch-style (Hono, Next.js route handlers, Deno, Bun) or Node (Express, Fastify's raw request)
 * const token = bearerToken(request);
 * const requester = await verifier.verifyRequester(token, { signal: request.signal });
 * ```
 */
export function bearerToken(
  source: BearerTokenSource,
  options?: BearerTokenOptions & { optional?: false },
): string;
export function bearerToken(
  source: BearerTokenSource,
  options: BearerTokenOptions & { optional: true },
): string | undefined;
export function bearerToken(source: BearerTokenSource, options: BearerTokenOptions = {}): string | undefined {
  const parsed = validateOptions(optionsSchema, options, 'bearerToken');
  const values = authorizationValues(source);
  if (values.length === 0) {
    if (parsed.optional === true) return undefined;
    throw tokenError('WRIT_TOKEN_INVALID', WHAT, 'missing', 'the request carries no Authorization header');
  }
  if (values.length > 1) {
    throw tokenError(
      'WRIT_TOKEN_INVALID',
      WHAT,
      'multiple',
      'the request carries several Authorization headers',
    );
  }
  const value = (values[0] as string).trim();
  const max = parsed.maxBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  if (value.length > max + 16) {
    throw tokenError('WRIT_TOKEN_INVALID', WHAT, 'oversized', `the token is larger than ${max} bytes`);
  }
  const match = BEARER.exec(value);
  if (match === null) {
    throw tokenError(
      'WRIT_TOKEN_INVALID',
      WHAT,
      'malformed',
      'the Authorization header is not "Bearer" followed by one token',
    );
  }
  const token = match[1] as string;
  if (token.length > max) {
    throw tokenError('WRIT_TOKEN_INVALID', WHAT, 'oversized', `the token is larger than ${max} bytes`);
  }
  return token;
}

function authorizationValues(source: BearerTokenSource): readonly string[] {
  if (typeof source !== 'object' || source === null) return [];
  if (hasGet(source)) return fromHeaders(source);
  const headers = (source as { headers?: unknown }).headers;
  if (typeof headers === 'object' && headers !== null) {
    return hasGet(headers) ? fromHeaders(headers) : fromRecord(headers as HeaderRecord);
  }
  return fromRecord(source as HeaderRecord);
}

function hasGet(value: object): value is { get(name: string): string | null } {
  return typeof (value as { get?: unknown }).get === 'function';
}

function fromHeaders(headers: { get(name: string): string | null }): readonly string[] {
  const value = headers.get('authorization');
  return value === null ? [] : [value];
}

function fromRecord(record: HeaderRecord): readonly string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(record)) {
    if (name.toLowerCase() !== 'authorization' || value === undefined) continue;
    if (typeof value === 'string') out.push(value);
    else out.push(...value.filter((v): v is string => typeof v === 'string'));
  }
  return out;
}
