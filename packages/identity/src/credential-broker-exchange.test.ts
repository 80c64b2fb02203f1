// The credential broker's RFC 8693 mode against a REAL OpenID Provider (oidc-provider on loopback) with a
// registered token-exchange grant. The grant handler below is test code playing the token service's
// policy: it trusts task tokens signed by the Writ local authority, issues JWT access tokens for the
// payments API, narrows scope to what was asked and copies the task's actor chain into `act`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWrit, type WritError } from '@writ/core';
import { createInMemoryAuditSink, createInMemoryPolicy } from '@writ/core/testing';
import {
  createCredentialBroker,
  createLocalAuthority,
  createLocalIdentity,
  type LocalAuthority,
  TOKEN_EXCHANGE_GRANT_TYPE,
  TOKEN_TYPES,
} from '@writ/identity';
import { createLocalJWKSet, createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { errors, type TokenExchangeContext } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { PAYMENTS_API, PAYMENTS_RESOURCE, startOp, type TestOp } from './oidc/__support__/op.js';

const BROKER = { id: 'writ-broker', secret: 'writ-broker-secret-0123456789abcdef0123' };
let dir: string;
let authority: LocalAuthority;
let op: TestOp;
const actClaims = new WeakMap<object, JWTPayload>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-exchange-'));
  authority = await createLocalAuthority({ dir: join(dir, 'keys'), trustDomain: 'example.org' });
  const trusted = createLocalJWKSet(authority.jwks());
  op = await startOp({
    clients: [
      {
        client_id: BROKER.id,
        client_secret: BROKER.secret,
        grant_types: [TOKEN_EXCHANGE_GRANT_TYPE],
        response_types: [],
        redirect_uris: [],
      },
    ],
    configuration: { extraTokenClaims: async (_ctx: unknown, token: object) => actClaims.get(token) },
    setup(provider) {
      provider.registerGrantType(
        TOKEN_EXCHANGE_GRANT_TYPE,
        async (ctx: TokenExchangeContext) => {
          const { params, client, provider: p } = ctx.oidc;
          if (params.subject_token_type !== TOKEN_TYPES.txnToken)
            throw new errors.InvalidRequest('unsupported subject_token_type');
          let subject: JWTPayload;
          try {
            ({ payload: subject } = await jwtVerify(String(params.subject_token), trusted, {
              issuer: authority.issuer,
              audience: p.issuer,
              algorithms: ['EdDSA'],
              typ: 'txntoken+jwt',
            }));
          } catch {
            throw new errors.InvalidRequest('subject_token is not a task token this server trusts');
          }
          if (
            params.audience !== PAYMENTS_API &&
            !(Array.isArray(params.audience) && params.audience.includes(PAYMENTS_API))
          )
            throw new errors.InvalidTarget('only the payments API');
          const held = String(subject.scope).split(' ');
          const requested = String(params.scope ?? '')
            .split(' ')
            .filter((s) => s !== '');
          const granted = requested.filter(
            (s) => held.includes(s) && PAYMENTS_RESOURCE.scope.split(' ').includes(s),
          );
          const token = new p.AccessToken({
            accountId: String(subject.sub),
            client,
            scope: granted.join(' '),
            gty: TOKEN_EXCHANGE_GRANT_TYPE,
          });
          token.resourceServer = new p.ResourceServer(PAYMENTS_API, PAYMENTS_RESOURCE);
          actClaims.set(token, { act: subject.act as JWTPayload, txn: subject.txn });
          ctx.body = {
            access_token: await token.save(),
            issued_token_type: TOKEN_TYPES.accessToken,
            token_type: 'Bearer',
            expires_in: token.expiration,
            scope: token.scope,
          };
        },
        [
          'audience',
          'resource',
          'scope',
          'requested_token_type',
          'subject_token',
          'subject_token_type',
          'actor_token',
          'actor_token_type',
        ],
        ['audience', 'resource'],
      );
    },
  });
});
afterAll(async () => {
  await op?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('credential broker, RFC 8693 mode (real oidc-provider)', () => {
  it('exchanges the task token for an audience-bound JWT that names the actor chain, and revokes it at task end', async () => {
    const reported: WritError[] = [];
    const identity = createLocalIdentity({ authority });
    const credentials = createCredentialBroker({
      authority,
      taskAudience: op.issuer,
      exchange: {
        tokenEndpoint: `${op.issuer}/token`,
        revocationEndpoint: `${op.issuer}/token/revocation`,
        clientId: BROKER.id,
        clientSecret: BROKER.secret,
      },
      onError: (e) => reported.push(e),
    });
    const audit = createInMemoryAuditSink();
    const writ = createWrit({
      identity,
      credentials,
      audit,
      policy: createInMemoryPolicy({ fallback: 'allow' }),
    });
    const refund = writ.tool({
      name: 'refund_order',
      input: z.object({ orderId: z.string() }),
      permission: 'payments:refund',
      audience: PAYMENTS_API,
      execute: async (_args, ctx) => ctx.credential?.token as string,
    });
    const alice = await identity.issueRequesterToken({ sub: 'alice@example.com' });
    const token = await writ.task(
      { requester: alice, agent: 'support', scope: ['payments:refund', 'orders:read'] },
      () =>
        writ.delegate({ agent: 'billing', scope: ['payments:refund'] }, () =>
          refund.execute({ orderId: '42' }),
        ),
    );

    const jwks = createRemoteJWKSet(new URL(`${op.issuer}/jwks`));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: op.issuer,
      audience: PAYMENTS_API,
    });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({
      sub: 'alice@example.com',
      scope: 'payments:refund',
      act: { sub: 'spiffe://example.org/agent/billing', act: { sub: 'spiffe://example.org/agent/support' } },
    });
    const decision = audit.ofKind('decision')[0];
    expect(decision?.credential).toMatchObject({
      audience: PAYMENTS_API,
      type: TOKEN_TYPES.accessToken,
      jti: payload.jti,
    });
    // at task end the exchanged credential is on the revocation list and in the task-end record;
    // oidc-provider cannot revoke JWT access tokens remotely (unsupported_token_type), which is reported
    expect(credentials.revocations.isRevoked(payload.jti as string)).toBe(true);
    const revoked = audit.ofKind('task-end').flatMap((r) => (r.revoked ?? []).map((c) => c.jti));
    expect(revoked).toContain(payload.jti);
    expect(reported.map((e) => e.details.error ?? e.code)).toContain('unsupported_token_type');
    expect(audit.lines.join('\n')).not.toContain(token);
  });
});
