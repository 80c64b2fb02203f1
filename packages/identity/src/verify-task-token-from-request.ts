import { tokenError } from './jwt.js';
import { bearerToken } from './oidc/bearer-token.js';
import {
  TASK_TOKEN_WHAT,
  type VerifiedTaskToken,
  type VerifyTaskTokenOptions,
  verifyTaskToken,
} from './verify-task-token.js';

/**
 * Options of {@link verifyTaskTokenFromRequest}: those of {@link verifyTaskToken}, plus whether a bearer
 * token may stand in for the `Txn-Token` header.
 *
 * @example
 * ```ts
 * const options: VerifyTaskTokenFromRequestOptions = {
 *   issuer: 'spiffe://writ.local',
 *   audience: 'https://payments.example.com',
 *   jwks,
 *   allowBearer: true, // callers that can only set Authorization
 * };
 * const verified = await verifyTaskTokenFromRequest(request, options);
 * ```
 */
export interface VerifyTaskTokenFromRequestOptions extends VerifyTaskTokenOptions {
  /** Also accept `Authorization: Bearer <token>` when `Txn-Token` is absent. @default false */
  allowBearer?: boolean;
}

/**
 * A Fetch `Request`, or anything with Node-style `headers`.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http';
 *
 * const fromNode = (req: IncomingMessage): RequestLike => req;
 * const fromFetch: RequestLike = new Request('https://payments.example.com/refunds', {
 *   headers: { 'txn-token': token },
 * });
 * ```
 */
export type RequestLike = { headers: Headers | Record<string, string | string[] | undefined> };

/**
 * Framework-neutral request helper: reads the `Txn-Token` header (or, when allowed, a bearer token) from
 * a Fetch `Request` or a Node `IncomingMessage`-like object and verifies it. A missing token is
 * `WRIT_TOKEN_INVALID` (`reason: 'missing'`).
 *
 * @example
 * ```ts
 * app.use(async (req, res, next) => {
 *   req.task = await verifyTaskTokenFromRequest(req, { issuer, audience: 'https://payments.example.com', jwks });
 *   next();
 * });
 * ```
 */
export async function verifyTaskTokenFromRequest(
  request: RequestLike,
  options: VerifyTaskTokenFromRequestOptions,
): Promise<VerifiedTaskToken> {
  const { allowBearer, ...verifyOptions } = options;
  const read = (name: string): string | undefined => {
    const headers = request.headers;
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
    const record = headers as Record<string, string | string[] | undefined>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    const value = key === undefined ? undefined : record[key];
    if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
    return value;
  };
  let token = read('txn-token');
  if (token === undefined && allowBearer === true) token = bearerToken(request, { optional: true });
  if (token === undefined)
    throw tokenError('WRIT_TOKEN_INVALID', TASK_TOKEN_WHAT, 'missing', 'the request carries no task token');
  return verifyTaskToken(token.trim(), verifyOptions);
}
