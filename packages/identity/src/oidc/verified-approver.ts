import { WritError } from '@writ/core';
import {
  type ApproverToken,
  type CallOptions,
  type PrincipalRef,
  sha256Hex,
  toPrincipalRef,
} from '@writ/core/plugin';
import type { OidcRequesterVerifier } from './requester-verifier.js';

/**
 * An approver whose identity an OpenID Provider vouched for: what `ApprovalStore.answer` records as who
 * answered (`approver`, assurance `verified`, with the issuer and the token's `sub`), and the token that
 * proved it (`approverToken`: its `jti` and expiry, never the token). Spread it into the answer.
 *
 * @example
 * ```ts
 * const who: VerifiedApprover = await verifiedApprover(idToken, approvers);
 * await approvals.answer(bindingHash, { approved: true, ...who, answeredAt: Date.now() });
 * ```
 */
export interface VerifiedApprover {
  readonly approver: PrincipalRef;
  readonly approverToken: ApproverToken;
}

/**
 * Options of {@link verifiedApprover}: the call's `signal`, and the approval the token must be bound to.
 *
 * @example
 * ```ts
 * const options: VerifiedApproverOptions = { bindingHash, signal: request.signal };
 * ```
 */
export interface VerifiedApproverOptions extends Partial<CallOptions> {
  /**
   * The binding hash of the approval answered: the token's `nonce` must be exactly this (the approver
   * signed in for this approval; a token obtained for another one, or a plain sign-in, is refused).
   * Leave it out only to accept any fresh ID token of the approver. @default no binding checked
   */
  readonly bindingHash?: string | undefined;
}

/**
 * Verifies an approver's OIDC ID token with the existing requester verifier
 * ({@link createOidcRequesterVerifier}: pinned algorithms, `iss`, `aud` and `exp` required, keys from the
 * issuer's JWKS) and returns the approver to record with the answer: `kind: 'human'`, `id` the token's
 * subject, the issuer, assurance `verified`, and the token's id (`jti`, or `sha256:<hex>` of the token
 * when it carries none: OIDC does not require `jti` in ID tokens). A token for another audience, expired,
 * or signed by a key the issuer does not publish is refused with the verifier's typed error
 * (`WRIT_AUDIENCE_MISMATCH`, `WRIT_TOKEN_EXPIRED`, `WRIT_TOKEN_INVALID`, …): answer nothing then.
 *
 * With `bindingHash`, the token must also be bound to that approval: its `nonce` is the binding hash
 * (the approver signed in for this approval, as `@writ/mcp`'s approver tokens are), else
 * `WRIT_TOKEN_INVALID` with `details.reason` `not_bound`. Without it, the token proves who answered, not
 * that they saw this call: ask for a fresh sign-in per answer (`maxTokenAgeSec` on the verifier).
 *
 * @example
 * ```ts
 * import { createOidcRequesterVerifier, verifiedApprover } from '@writ/identity';
 *
 * const approvers = createOidcRequesterVerifier({ issuer: 'https://login.example.com', audience: 'approvals-console', maxTokenAgeSec: 300 });
 * // in the console's "approve" handler, with the approver's ID token (signed in with nonce = bindingHash):
 * const who = await verifiedApprover(idToken, approvers, { bindingHash, signal: request.signal });
 * const result = await store.approvals.answer(bindingHash, { approved: true, ...who, answeredAt: Date.now() });
 * if (result.status !== 'answered') throw new Error(`not recorded: ${result.status}`);
 * ```
 */
export async function verifiedApprover(
  idToken: string,
  verifier: Pick<OidcRequesterVerifier, 'verifyRequester'>,
  options: VerifiedApproverOptions = {},
): Promise<VerifiedApprover> {
  const { bindingHash, ...callOptions } = options;
  const principal = await verifier.verifyRequester(idToken, callOptions);
  if (principal.assurance !== 'verified') {
    throw new WritError(
      'WRIT_IDENTITY_INVALID',
      `the approver ${principal.id} was not verified (assurance ${principal.assurance})`,
      { details: { reason: 'approver_not_verified' } },
    );
  }
  const claims = principal.claims ?? {};
  const exp = claims.exp;
  if (typeof exp !== 'number') {
    throw new WritError('WRIT_TOKEN_INVALID', 'approver token: claim "exp" is missing', {
      details: { token: 'approver token', reason: 'missing_claim', claim: 'exp' },
    });
  }
  if (bindingHash !== undefined && claims.nonce !== bindingHash) {
    throw new WritError(
      'WRIT_TOKEN_INVALID',
      `approver token: it is not bound to approval ${bindingHash} (its nonce is not the binding hash: a token obtained for another approval, or a plain sign-in)`,
      { details: { token: 'approver token', reason: 'not_bound' } },
    );
  }
  const jti = typeof claims.jti === 'string' && claims.jti.length > 0 ? claims.jti : sha256Hex(idToken);
  return Object.freeze({
    approver: toPrincipalRef({ ...principal, kind: 'human' }),
    approverToken: Object.freeze({ jti, expiresAt: exp * 1000 }),
  });
}
