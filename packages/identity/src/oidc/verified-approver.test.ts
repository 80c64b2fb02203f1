import { sha256Hex } from '@writ/core/plugin';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENTS, loginWithAuthorizationCode, startOp, type TestOp } from './__support__/op.js';
import { createOidcRequesterVerifier } from './requester-verifier.js';
import { verifiedApprover } from './verified-approver.js';

// Genuine ID tokens from the OP's own authorization code flow (see loginWithAuthorizationCode).
let op: TestOp;
let idToken: string;
beforeAll(async () => {
  op = await startOp();
  ({ idToken } = await loginWithAuthorizationCode(op, { client: CLIENTS.webapp, accountId: 'bob' }));
});
afterAll(() => op.close());

describe('verifiedApprover', () => {
  it('an approver ID token verified by the OIDC verifier: verified, with issuer, subject and token id', async () => {
    const verifier = createOidcRequesterVerifier({ issuer: op.issuer, audience: CLIENTS.webapp.id });
    const who = await verifiedApprover(idToken, verifier);
    const claims = decodeJwt(idToken);
    expect(who).toEqual({
      approver: { kind: 'human', id: 'bob', issuer: op.issuer, assurance: 'verified' },
      // oidc-provider's ID tokens carry no jti: the token is named by its digest
      approverToken: { jti: sha256Hex(idToken), expiresAt: (claims.exp as number) * 1000 },
    });
    expect(claims.jti).toBeUndefined();
    expect(JSON.stringify(who)).not.toContain(idToken);
  });

  it('with a binding hash, only a token signed in for that approval (nonce) is accepted', async () => {
    const verifier = createOidcRequesterVerifier({ issuer: op.issuer, audience: CLIENTS.webapp.id });
    const bindingHash = `sha256:${'a'.repeat(64)}`;
    const { idToken: bound } = await loginWithAuthorizationCode(op, {
      client: CLIENTS.webapp,
      accountId: 'bob',
      nonce: bindingHash,
    });
    expect((await verifiedApprover(bound, verifier, { bindingHash })).approver.id).toBe('bob');
    await expect(verifiedApprover(idToken, verifier, { bindingHash })).rejects.toMatchObject({
      code: 'WRIT_TOKEN_INVALID',
      details: { reason: 'not_bound' },
    });
  });

  it('a token for another audience is refused with the verifier’s typed error', async () => {
    const verifier = createOidcRequesterVerifier({ issuer: op.issuer, audience: 'approvals-console' });
    await expect(verifiedApprover(idToken, verifier)).rejects.toMatchObject({
      code: 'WRIT_AUDIENCE_MISMATCH',
    });
  });

  it('uses the token’s own jti when it has one, and refuses a principal that is not verified', async () => {
    const fake = (assurance: 'verified' | 'asserted') => ({
      verifyRequester: async () => ({
        kind: 'human' as const,
        id: 'bob',
        issuer: 'https://login.example.com',
        assurance,
        claims: { jti: 'tok-1', exp: 2_000_000_000 },
      }),
    });
    expect((await verifiedApprover('t', fake('verified'))).approverToken).toEqual({
      jti: 'tok-1',
      expiresAt: 2_000_000_000_000,
    });
    await expect(verifiedApprover('t', fake('asserted'))).rejects.toMatchObject({
      code: 'WRIT_IDENTITY_INVALID',
    });
  });
});
