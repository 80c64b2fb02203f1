import { createHash } from 'node:crypto';
import { functionSchema, validateOptions } from '@writ/core/internal';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { tokenError } from './jwt.js';
import {
  TASK_TOKEN_WHAT,
  type VerifiedTaskToken,
  type VerifyTaskTokenOptions,
  verifyTaskToken,
} from './verify-task-token.js';

/**
 * Options of {@link createTaskTokenVerifier}: those of `verifyTaskToken` (fixed for every token the
 * verifier sees), plus the bounds of its cache.
 *
 * @example
 * ```ts
 * const options: TaskTokenVerifierOptions = {
 *   issuer: 'spiffe://caller.example',
 *   audience: 'https://orders.example.com/mcp',
 *   jwks,
 *   isRevoked: revocations.isRevoked,
 *   maxEntries: 10_000,
 * };
 * ```
 */
export interface TaskTokenVerifierOptions extends Omit<VerifyTaskTokenOptions, 'currentDate'> {
  /** Most tokens remembered at once; the oldest is forgotten first. @default 1024 */
  maxEntries?: number;
  /**
   * Longest a verified token is remembered, in seconds, even when its `exp` is later: how long a key
   * removed from `jwks` (or an issuer no longer trusted) may still accept a token verified before.
   * @default 300
   */
  maxAgeSec?: number;
  /** Milliseconds since the epoch. @default Date.now */
  clock?: () => number;
}

/**
 * A task-token verifier made by {@link createTaskTokenVerifier}: `verifyTaskToken` with its options
 * bound, verifying each distinct token's signature once.
 *
 * @example
 * ```ts
 * const verify: TaskTokenVerifierFn = createTaskTokenVerifier({ issuer, audience, jwks });
 * const inbound = await verify(request.headers['txn-token']);
 * ```
 */
export type TaskTokenVerifierFn = (token: unknown) => Promise<VerifiedTaskToken>;

/**
 * Defaults of {@link createTaskTokenVerifier}.
 *
 * @example
 * ```ts
 * const verify = createTaskTokenVerifier({ issuer, audience, jwks, maxAgeSec: TASK_TOKEN_VERIFIER_DEFAULTS.maxAgeSec / 5 });
 * ```
 */
export const TASK_TOKEN_VERIFIER_DEFAULTS = Object.freeze({
  /** @default 1024 */
  maxEntries: 1024,
  /** @default 300 */
  maxAgeSec: 300,
  /** @default 5 */
  clockToleranceSec: 5,
});

const optionsSchema = z.object({
  maxEntries: z.number().int().positive().optional(),
  maxAgeSec: z.number().min(0).optional(),
  clock: functionSchema<() => number>().optional(),
});

interface Entry {
  readonly verified: VerifiedTaskToken;
  /** Forgotten at this time (ms): the token's `exp` plus tolerance, or `maxAgeSec` after it was verified. */
  readonly until: number;
}

/**
 * A verifier for a tool server that sees the same caller token on many requests (one per tool call of
 * the caller's task): the first time a token is seen it is verified in full by `verifyTaskToken`
 * (signature, issuer, audience, `typ`, claims, revocation, required scope); afterwards the result is
 * reused, keyed by the SHA-256 digest of the token's bytes, until the token expires (or `maxAgeSec`).
 * What can change during a token's lifetime is still checked on every request: expiry against the
 * clock, and revocation through `isRevoked`. A token that fails is never remembered.
 *
 * @example
 * ```ts
 * import { createRevocationList, createTaskTokenVerifier } from '@writ/identity';
 * const revocations = createRevocationList();
 * const verify = createTaskTokenVerifier({ issuer, audience: 'https://orders.example.com/mcp', jwks,
 *   isRevoked: revocations.isRevoked });
 * instrumentServer(server, { writ, agent: 'orders-mcp', audience: 'https://orders.example.com/mcp',
 *   verifyTaskToken: (token) => verify(token) });
 * ```
 */
export function createTaskTokenVerifier(options: TaskTokenVerifierOptions): TaskTokenVerifierFn {
  const { maxEntries, maxAgeSec, clock, ...verifyOptions } = options;
  validateOptions(optionsSchema, { maxEntries, maxAgeSec, clock }, 'createTaskTokenVerifier');
  const now = clock ?? Date.now;
  const limit = maxEntries ?? TASK_TOKEN_VERIFIER_DEFAULTS.maxEntries;
  const maxAgeMs = (maxAgeSec ?? TASK_TOKEN_VERIFIER_DEFAULTS.maxAgeSec) * 1000;
  const toleranceMs =
    (verifyOptions.clockToleranceSec ?? TASK_TOKEN_VERIFIER_DEFAULTS.clockToleranceSec) * 1000;
  // the key set is built once, not per token
  const jwks =
    typeof verifyOptions.jwks === 'function'
      ? verifyOptions.jwks
      : createLocalJWKSet(verifyOptions.jwks as JSONWebKeySet);
  const bound = { ...verifyOptions, jwks };
  const cache = new Map<string, Entry>();

  return async (token) => {
    const at = now();
    if (typeof token !== 'string') return verifyTaskToken(token, { ...bound, currentDate: new Date(at) });
    const key = createHash('sha256').update(token, 'utf8').digest('base64url');
    const hit = cache.get(key);
    if (hit !== undefined && at < hit.until) {
      const { verified } = hit;
      if (at >= verified.expiresAt + toleranceMs) {
        cache.delete(key);
        throw tokenError('WRIT_TOKEN_EXPIRED', TASK_TOKEN_WHAT, 'expired', 'token has expired');
      }
      if (bound.isRevoked !== undefined && (await bound.isRevoked(verified.jti))) {
        throw tokenError(
          'WRIT_TOKEN_REVOKED',
          TASK_TOKEN_WHAT,
          'revoked',
          'token was revoked (its task has ended)',
          {
            jti: verified.jti,
          },
        );
      }
      return verified;
    }
    if (hit !== undefined) cache.delete(key);
    const verified = await verifyTaskToken(token, { ...bound, currentDate: new Date(at) });
    const until = Math.min(verified.expiresAt + toleranceMs, at + maxAgeMs);
    if (until > at) {
      if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
      cache.set(key, { verified, until });
    }
    return verified;
  };
}
