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
 * Verifies an approver's OIDC ID token with the existing requester verifier
 * ({@link createOidcRequesterVerifier}: pinned algorithms, `iss`, `aud` and `exp` required, keys from the
 * issuer's JWKS) and returns the approver to record with the answer: `kind: 'human'`, `id` the token's
 * subject, the issuer, assurance `verified`, and the token's id (`jti`, or `sha256:<hex>` of the token
 * when it carries none: OIDC does not require `jti` in ID tokens). A token for another audience, expired,
 * or signed by a key the issuer does not publish is refused with the verifier's typed error
 * (`WRIT_AUDIENCE_MISMATCH`, `WRIT_TOKEN_EXPIRED`, `WRIT_TOKEN_INVALID`, …): answer nothing then.
 *
 * What this proves is who answered, not that they saw this call: the ID token names no binding hash. A
 * console or webhook should ask for a fresh sign-in (`maxTokenAgeSec` on the verifier) per answer; a
 * CIBA-issued token whose `binding_message` carries the binding hash binds both (see docs/deploying.md).
 *
 * @example
 * ```ts
 * import { createOidcRequesterVerifier, verifiedApprover } from '@writ/identity';
 *
 * const approvers = createOidcRequesterVerifier({ issuer: 'https://login.example.com', audience: 'approvals-console', maxTokenAgeSec: 300 });
 * // in the console's "approve" handler, with the signed-in approver's ID token:
 * const who = await verifiedApprover(idToken, approvers, { signal: request.signal });
 * const result = await store.approvals.answer(bindingHash, { approved: true, ...who, answeredAt: Date.now() });
 * ```
 */
export async function verifiedApprover(
  idToken: string,
  verifier: Pick<OidcRequesterVerifier, 'verifyRequester'>,
  options: Partial<CallOptions> = {},
): Promise<VerifiedApprover> {
  const principal = await verifier.verifyRequester(idToken, options);
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
  const jti = typeof claims.jti === 'string' && claims.jti.length > 0 ? claims.jti : sha256Hex(idToken);
  return Object.freeze({
    approver: toPrincipalRef({ ...principal, kind: 'human' }),
    approverToken: Object.freeze({ jti, expiresAt: exp * 1000 }),
  });
}
