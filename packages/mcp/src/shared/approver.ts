import { type Principal, WritError } from '@writ/core';
import { raceAbort } from '@writ/core/internal';
import type { ApproverVerification, ApproverVerifier } from './options.js';

/**
 * Who answered an approval typed into the MCP client: the task's requester, as claimed. Nobody
 * authenticated the person at the client for this server, so the approver is recorded with assurance
 * `claimed`, never `verified` (a policy requiring a verified approver refuses it). `undefined` for an
 * autonomous task (no requester to claim). @internal
 */
export function claimedApprover(requester: Principal | undefined): Principal | undefined {
  if (requester === undefined) return undefined;
  return {
    kind: requester.kind,
    id: requester.id,
    ...(requester.issuer === undefined ? {} : { issuer: requester.issuer }),
    ...(requester.name === undefined ? {} : { name: requester.name }),
    assurance: 'claimed',
  };
}

/** What an approver token established: the verified approver, or why not. @internal */
export type ApproverCheck =
  | { readonly ok: true; readonly approver: Principal }
  | { readonly ok: false; readonly reason: string };

/**
 * Verifies an approver token with the server's `verifyApprover`, within the approval's time, and checks
 * what the verifier returned: a principal it vouches for (assurance `verified`) whose token is bound to
 * this approval (`claims.nonce` is the binding hash, so a token obtained for another approval, or a
 * plain sign-in token, cannot be replayed here). The approver is returned without its claims. @internal
 */
export async function verifyApproverToken(
  verify: ApproverVerifier,
  token: string,
  context: ApproverVerification & { readonly signal: AbortSignal },
): Promise<ApproverCheck> {
  const { signal, ...verification } = context;
  let principal: Principal;
  try {
    const deadline = AbortSignal.any([
      signal,
      AbortSignal.timeout(Math.max(1, context.expiresAt - Date.now())),
    ]);
    principal = await raceAbort(
      Promise.resolve(verify(token, verification)),
      deadline,
      'verifying the approver token',
    );
  } catch (error) {
    const code = WritError.isInstance(error) ? error.code : error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: `the approver token did not verify (${code}): ${message}` };
  }
  if (
    typeof principal !== 'object' ||
    principal === null ||
    typeof principal.id !== 'string' ||
    principal.id === ''
  ) {
    return { ok: false, reason: 'the approver verifier returned no approver' };
  }
  if (principal.assurance !== 'verified') {
    return {
      ok: false,
      reason: `the approver verifier did not vouch for ${principal.id} (assurance ${String(principal.assurance)})`,
    };
  }
  if (principal.claims?.nonce !== context.bindingHash) {
    return {
      ok: false,
      reason: `the approver token of ${principal.id} is not bound to this approval (its nonce is not the binding hash)`,
    };
  }
  return {
    ok: true,
    approver: {
      kind: principal.kind,
      id: principal.id,
      ...(principal.issuer === undefined ? {} : { issuer: principal.issuer }),
      ...(principal.name === undefined ? {} : { name: principal.name }),
      assurance: 'verified',
    },
  };
}
