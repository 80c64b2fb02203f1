// Hostile task tokens presented to an MCP server instrumented with @writ/mcp (its `verifyTaskToken`
// wraps `verifyTaskToken` from @writ/identity). The trusted key is the calling side's local authority
// key, read from its key file, so forged tokens reach the claim checks with a signature that verifies.
import { randomUUID } from 'node:crypto';
import type { Attribution } from '@writ/core';
import { type LocalAuthority, mintTaskToken } from '@writ/identity';
import {
  attackerEd25519,
  type authorityKey,
  forge,
} from '../../../../packages/identity/src/__support__/forge.js';
import { type HostileCase, nowSec } from '../support.js';
import { commonCases, defined, localAuthorityCases, type TokenKit } from './common.js';

export const CLIENT_AGENT = 'spiffe://support.example/agent/support-bot';

export interface TaskTokenCtx {
  /** The calling side's authority (issuer of the tokens the server accepts). */
  readonly authority: LocalAuthority;
  readonly key: ReturnType<typeof authorityKey>;
  readonly kit: TokenKit;
  /** A genuine requester token of the calling side (alice). */
  readonly aliceToken: string;
  /**
   * The genuine credential for the server that a task of the calling side sent, once that task has
   * ended (so it was revoked).
   */
  endedTaskToken(): Promise<string>;
  /** A genuine task token of another install that uses the same issuer name. */
  readonly sameIssuerOtherKey: string;
}

/** The forging kit of the calling side's credentials for the server of `audience`. */
export function taskTokenKit(
  authority: LocalAuthority,
  key: ReturnType<typeof authorityKey>,
  audience: string,
): TokenKit {
  const attacker = attackerEd25519();
  return {
    header: (over = {}) => defined({ alg: 'EdDSA', typ: 'txntoken+jwt', kid: key.kid, ...over }),
    claims: (over = {}) =>
      defined({
        iss: authority.issuer,
        sub: 'alice@example.com',
        aud: audience,
        txn: randomUUID(),
        scope: 'orders:*',
        iat: nowSec(),
        exp: nowSec() + 300,
        jti: randomUUID(),
        act: { sub: CLIENT_AGENT },
        req_wl: CLIENT_AGENT,
        tctx: { correlation_id: 'from-the-token' },
        ...over,
      }),
    sign: (header, payload) => forge(header, payload, { alg: 'EdDSA', key: key.key }),
    signAsAttacker: (header, payload) => forge(header, payload, { alg: 'EdDSA', key: attacker }),
    publicKeyBytes: Buffer.from(key.publicX, 'base64url'),
  };
}

/** Alice's attribution for genuine tokens minted by a (calling side's or attacker's) authority. */
export function aliceAttribution(chainId: string): Attribution {
  return {
    taskId: randomUUID(),
    correlationId: randomUUID(),
    requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
    autonomous: false,
    chain: [{ kind: 'agent', id: chainId, assurance: 'verified' }],
    scope: ['orders:*'],
  };
}

const claimsWithout = (ctx: TaskTokenCtx, name: string) =>
  ctx.kit.sign(ctx.kit.header(), ctx.kit.claims({ [name]: undefined }));

let nested: Record<string, unknown> = { sub: CLIENT_AGENT };
for (let i = 0; i < 40; i++) nested = { sub: `${CLIENT_AGENT}-${i}`, act: nested };

const specific: HostileCase<TaskTokenCtx>[] = [
  ...['jti', 'txn', 'aud', 'iat', 'scope', 'sub'].map(
    (claim): HostileCase<TaskTokenCtx> => ({
      name: `no ${claim}`,
      code: 'WRIT_TOKEN_INVALID',
      reason: 'missing_claim',
      input: (ctx) => claimsWithout(ctx, claim),
    }),
  ),
  {
    name: 'wrong typ (JWT): a requester-shaped token with task claims',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'typ',
    input: ({ kit }) => kit.sign(kit.header({ typ: 'JWT' }), kit.claims()),
  },
  {
    name: "the caller's genuine requester token presented as a task token",
    code: 'WRIT_TOKEN_INVALID',
    reason: 'missing_claim', // it has no txn or scope
    input: ({ aliceToken }) => aliceToken,
  },
  {
    name: 'a genuine task token of another install under the same issuer name',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'unknown_kid',
    input: ({ sameIssuerOtherKey }) => sameIssuerOtherKey,
  },
  {
    name: 'a genuine per-audience credential for another service',
    code: 'WRIT_AUDIENCE_MISMATCH',
    reason: 'audience',
    input: async ({ authority }) =>
      (
        await mintTaskToken(authority, {
          attribution: aliceAttribution(CLIENT_AGENT),
          audience: 'https://payments.example.com',
          ttlSec: 300,
        })
      ).token,
  },
  {
    // the trust-domain-wide task token never leaves the caller: a server that gets one (a rogue server
    // it was sent to, on main) cannot use it anywhere else
    name: "the caller's task token itself (audience: its issuer), signed and live",
    code: 'WRIT_AUDIENCE_MISMATCH',
    reason: 'audience',
    input: ({ kit, authority }) => kit.sign(kit.header(), kit.claims({ aud: authority.issuer })),
  },
  {
    name: 'replayed after its task ended (revoked)',
    code: 'WRIT_TOKEN_REVOKED',
    reason: 'revoked',
    input: (ctx) => ctx.endedTaskToken(),
  },
  {
    name: 'act is not nested objects',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'claim_act',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ act: [CLIENT_AGENT] })),
  },
  {
    name: 'act with an empty sub',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'claim_act',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ act: { sub: '' } })),
  },
  {
    name: 'act nested 41 deep',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'claim_act',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ act: nested })),
  },
  {
    name: 'a human subject and no acting agent',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'claim_act',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ act: undefined })),
  },
  {
    name: 'scope is not a string',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'claim_scope',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ scope: ['*'] })),
  },
  {
    name: 'txn is empty',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'claim_txn',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ txn: '' })),
  },
  {
    // no option limit in front of this entry (unlike writ.task): the verifier's 16 KiB cap refuses it
    name: 'huge token (80 KiB)',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'oversized',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ pad: 'x'.repeat(80_000) })),
  },
  {
    name: 'duplicate scope, widened to * last',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'duplicate_claim',
    input: ({ kit }) => kit.sign(kit.header(), JSON.stringify(kit.claims()).replace(/}$/, ',"scope":"*"}')),
  },
];

/** Every hostile task token presented in `params._meta` of an MCP call. */
export const TASK_TOKEN_CASES: readonly HostileCase<TaskTokenCtx>[] = [
  ...commonCases<TaskTokenCtx>((ctx) => ctx.kit),
  ...localAuthorityCases<TaskTokenCtx>(),
  ...specific,
];

/**
 * The task token cases that also cross a real HTTP hop (MCP Streamable HTTP on loopback) in the
 * `Txn-Token` header and as the bearer token (what a bearer-auth middleware hands the transport). The
 * oversized token is left out: Node's HTTP server refuses headers over 16 KiB before any handler runs.
 */
export const HTTP_TASK_TOKEN_CASES: readonly HostileCase<TaskTokenCtx>[] = TASK_TOKEN_CASES.filter((c) =>
  [
    'alg none',
    'HS256 keyed with the public key',
    'jku header',
    'duplicate claim',
    'expired',
    'wrong aud',
    "the caller's task token itself (audience: its issuer), signed and live",
    'unknown kid',
    'replayed after its task ended (revoked)',
  ].includes(c.name),
);
