import type { Principal } from '@writ/core';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { claimedApprover, verifyApproverToken } from './approver.js';

const HASH = `sha256:${'b'.repeat(64)}`;
const context = () => ({
  tool: 'refund_order',
  bindingHash: HASH,
  expiresAt: Date.now() + 60_000,
  signal: new AbortController().signal,
});
const maria = (claims: Record<string, unknown>): Principal => ({
  kind: 'human',
  id: 'maria@example.com',
  issuer: 'https://login.example.com',
  assurance: 'verified',
  claims,
});

describe('claimedApprover', () => {
  it('is the requester as claimed (never verified, no claims), or nobody in an autonomous task', () => {
    const alice: Principal = {
      kind: 'human',
      id: 'alice@example.com',
      issuer: 'https://login.example.com',
      name: 'Alice',
      assurance: 'verified',
      claims: { email: 'alice@example.com' },
    };
    expect(claimedApprover(alice)).toEqual({
      kind: 'human',
      id: 'alice@example.com',
      issuer: 'https://login.example.com',
      name: 'Alice',
      assurance: 'claimed',
    });
    expect(claimedApprover(undefined)).toBeUndefined();
  });
});

describe('verifyApproverToken', () => {
  it('a verified principal whose token is bound to this approval is the approver, verified, without its claims', async () => {
    const seen: unknown[] = [];
    const check = await verifyApproverToken(
      (token, ctx) => {
        seen.push([token, ctx]);
        return maria({ nonce: HASH, email: 'maria@example.com' });
      },
      'eyJ.approver.token',
      context(),
    );
    expect(check).toEqual({
      ok: true,
      approver: {
        kind: 'human',
        id: 'maria@example.com',
        issuer: 'https://login.example.com',
        assurance: 'verified',
      },
    });
    expect(seen).toEqual([
      ['eyJ.approver.token', { tool: 'refund_order', bindingHash: HASH, expiresAt: expect.any(Number) }],
    ]);
  });

  it('refuses, saying why: a token that does not verify, one bound to another approval or to none, an approver not vouched for', async () => {
    const reasons = await Promise.all(
      [
        () => {
          throw new WritError('WRIT_TOKEN_EXPIRED', 'requester token refused: token has expired');
        },
        () => maria({ nonce: `sha256:${'c'.repeat(64)}` }),
        () => maria({}),
        () => ({ ...maria({ nonce: HASH }), assurance: 'asserted' as const }),
        () => ({}) as Principal,
      ].map(async (verify) => {
        const check = await verifyApproverToken(verify, 'token', context());
        return check.ok ? 'accepted' : check.reason;
      }),
    );
    expect(reasons).toEqual([
      'the approver token did not verify (WRIT_TOKEN_EXPIRED): requester token refused: token has expired',
      'the approver token of maria@example.com is not bound to this approval (its nonce is not the binding hash)',
      'the approver token of maria@example.com is not bound to this approval (its nonce is not the binding hash)',
      'the approver verifier did not vouch for maria@example.com (assurance asserted)',
      'the approver verifier returned no approver',
    ]);
  });

  it('does not wait past the approval for a verifier that never answers', async () => {
    const check = await verifyApproverToken(() => new Promise<Principal>(() => undefined), 'token', {
      ...context(),
      expiresAt: Date.now() + 20,
    });
    expect(check).toEqual({
      ok: false,
      reason: expect.stringMatching(/^the approver token did not verify \(WRIT_ABORTED\)/),
    });
  });
});
