import type { JWTPayload } from 'jose';

/**
 * `typ` of task tokens (Transaction Tokens draft).
 *
 * @example
 * ```ts
 * // accept task tokens only, not per-audience credentials minted from them
 * await verifyTaskToken(token, { issuer, audience, jwks, types: [TASK_TOKEN_TYP] });
 * ```
 */
export const TASK_TOKEN_TYP = 'txntoken+jwt';
/**
 * `typ` of per-audience credentials (RFC 9068 JWT access tokens).
 *
 * @example
 * ```ts
 * // a service that accepts only the audience-bound credentials Writ issues per tool
 * await verifyTaskToken(token, { issuer, audience: 'https://payments.example.com', jwks, types: [ACCESS_TOKEN_TYP] });
 * ```
 */
export const ACCESS_TOKEN_TYP = 'at+jwt';
/** Deepest `act` nesting accepted: a longer delegation chain is refused as malformed. */
const MAX_ACT_DEPTH = 32;

/**
 * Nested RFC 8693 actor claim: the current actor outermost.
 *
 * @example
 * ```ts
 * // billing-bot, delegated to by support-bot, is acting now
 * const act: ActClaim = {
 *   sub: 'spiffe://writ.local/agent/billing-bot',
 *   act: { sub: 'spiffe://writ.local/agent/support-bot' },
 * };
 * ```
 */
export interface ActClaim {
  readonly sub: string;
  readonly act?: ActClaim;
}

/**
 * The claims of a task token (or a per-audience credential minted from it).
 *
 * @example
 * ```ts
 * const verified = await verifyTaskToken(token, { issuer, audience, jwks });
 * const claims: Readonly<TaskTokenClaims> = verified.claims;
 * console.log(claims.txn, claims.scope.split(' '), claims.tctx.correlation_id, claims.act?.sub);
 * ```
 */
export interface TaskTokenClaims extends JWTPayload {
  iss: string;
  /** The human requester, or the first agent when the task is autonomous. */
  sub: string;
  aud: string | string[];
  /** Task id. */
  txn: string;
  /** Space-separated scope (RFC 8693 §4.2). */
  scope: string;
  iat: number;
  exp: number;
  jti: string;
  /** Nested actors, current outermost. Absent for an autonomous single agent. */
  act?: ActClaim;
  /** The workload that asked for the token. */
  req_wl: string;
  /**
   * The requester as the identity provider that verified them names them (RFC 9493 subject identifier,
   * format `iss_sub`; `sub` equals the token's `sub`). Absent for an autonomous task and for a requester
   * no issuer vouches for.
   */
  sub_id?: { format: 'iss_sub'; iss: string; sub: string };
  /**
   * Transaction context (Writ's names): `intent_digest` (`sha256:<hex>` of the intent), correlation id,
   * parent task, `req_assurance` (how the caller established the requester: `verified`, `asserted`,
   * `claimed`), `caller_log` (origin of the caller's evidence log) and `caller_span` (W3C span id of the
   * caller's call that obtained the credential).
   */
  tctx: {
    intent_digest?: string;
    correlation_id: string;
    parent_txn?: string;
    autonomous?: true;
    req_assurance?: 'verified' | 'asserted' | 'claimed';
    caller_log?: string;
    caller_span?: string;
  };
}

/**
 * The nested `act` claim for a list of actors given outermost (orchestrator) first: the last one, the
 * current actor, ends up outermost. `undefined` for no actors.
 *
 * @example
 * ```ts
 * nestActors(['support', 'billing']); // { sub: 'billing', act: { sub: 'support' } }
 * ```
 * @internal
 */
export function nestActors(actors: readonly string[]): ActClaim | undefined {
  let act: ActClaim | undefined;
  for (const sub of actors) act = act === undefined ? { sub } : { sub, act };
  return act;
}

/**
 * The subjects of a nested `act` claim, current actor first, or `undefined` when the claim is malformed
 * (not nested `{ sub, act? }` objects with non-empty `sub`, or deeper than 32). An absent claim is `[]`.
 *
 * @example
 * ```ts
 * readActors({ sub: 'billing', act: { sub: 'support' } }); // ['billing', 'support']
 * readActors({ sub: '' }); // undefined
 * ```
 * @internal
 */
export function readActors(act: unknown): string[] | undefined {
  const out: string[] = [];
  let node = act;
  while (node !== undefined) {
    if (out.length >= MAX_ACT_DEPTH || typeof node !== 'object' || node === null || Array.isArray(node))
      return undefined;
    const { sub, act: inner } = node as { sub?: unknown; act?: unknown };
    if (typeof sub !== 'string' || sub.length === 0) return undefined;
    out.push(sub);
    node = inner;
  }
  return out;
}
