// Hostile requester tokens for the zero-config local authority: `createWrit({ dir })` from `writ`,
// `writ.task({ requester: token, agent })`. The trusted key is the authority's own Ed25519 key (read from
// its key file), so claim and header checks are reached with a signature that verifies.
import { randomUUID } from 'node:crypto';
import { LOCAL_REQUESTER_AUDIENCE, type LocalAuthority, mintTaskToken } from '@writ/identity';
import {
  attackerEd25519,
  authorityKey,
  b64,
  forge,
} from '../../../../packages/identity/src/__support__/forge.js';
import { type HostileCase, nowSec } from '../support.js';
import { commonCases, defined, localAuthorityCases, type TokenKit } from './common.js';

export interface LocalCtx {
  readonly authority: LocalAuthority;
  /** The authority's private key, from `<dir>/keys/authority.json`. */
  readonly key: ReturnType<typeof authorityKey>;
  /** A genuine requester token of ANOTHER zero-config install (same trust domain, so the same issuer). */
  readonly foreignToken: string;
  readonly kit: TokenKit;
}

/** The forging kit of a local authority's requester tokens. */
export function localKit(
  authority: LocalAuthority,
  keysDir: string,
): TokenKit & { key: ReturnType<typeof authorityKey> } {
  const key = authorityKey(keysDir);
  const attacker = attackerEd25519();
  return {
    key,
    header: (over = {}) => defined({ alg: 'EdDSA', typ: 'JWT', kid: key.kid, ...over }),
    claims: (over = {}) =>
      defined({
        iss: authority.issuer,
        sub: 'alice@example.com',
        aud: LOCAL_REQUESTER_AUDIENCE,
        iat: nowSec(),
        exp: nowSec() + 300,
        jti: randomUUID(),
        ...over,
      }),
    sign: (header, payload) => forge(header, payload, { alg: 'EdDSA', key: key.key }),
    signAsAttacker: (header, payload) => forge(header, payload, { alg: 'EdDSA', key: attacker }),
    publicKeyBytes: Buffer.from(key.publicX, 'base64url'),
  };
}

const specific: HostileCase<LocalCtx>[] = [
  {
    name: 'alg in another case ("eddsa")',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'alg_not_allowed',
    input: ({ kit }) => kit.sign(kit.header({ alg: 'eddsa' }), kit.claims()),
  },
  {
    name: 'no iat',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'missing_claim',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ iat: undefined })),
  },
  {
    name: 'no sub',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'missing_claim',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ sub: undefined })),
  },
  {
    name: 'wrong typ (at+jwt)',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'claim_typ',
    input: ({ kit }) => kit.sign(kit.header({ typ: 'at+jwt' }), kit.claims()),
  },
  {
    name: 'a genuine task token presented as a requester token',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'claim_typ',
    input: async ({ authority }) =>
      (
        await mintTaskToken(authority, {
          attribution: {
            taskId: 'task-of-someone-else',
            correlationId: 'c',
            requester: { kind: 'human', id: 'admin@example.com', assurance: 'verified' },
            autonomous: false,
            chain: [{ kind: 'agent', id: authority.agentId('support-bot'), assurance: 'verified' }],
            scope: ['*'],
          },
          audience: LOCAL_REQUESTER_AUDIENCE,
          ttlSec: 300,
        })
      ).token,
  },
  {
    name: 'a genuine requester token of another zero-config install (same issuer name)',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'unknown_kid',
    input: ({ foreignToken }) => foreignToken,
  },
  {
    // the verifier passes it through; core's principal check refuses it (fail closed, one layer later)
    name: 'sub is an object (type confusion)',
    code: 'WRIT_IDENTITY_INVALID',
    message: /returned a malformed requester/,
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ sub: { id: 'admin' } })),
  },
  {
    name: 'sub is the empty string',
    code: 'WRIT_IDENTITY_INVALID',
    message: /returned a malformed requester/,
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ sub: '' })),
  },
  {
    name: 'duplicate header member (kid twice, the attacker kid last)',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'duplicate_claim',
    input: ({ kit }) =>
      kit.sign(JSON.stringify(kit.header()).replace(/}$/, ',"kid":"attacker-kid"}'), kit.claims()),
  },
  {
    name: 'segments carry non-base64url characters',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'malformed',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims()).replace('.', '=.'),
  },
  {
    name: 'payload is not UTF-8',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'malformed_payload',
    input: ({ kit }) => {
      const h = b64(JSON.stringify(kit.header()));
      return `${h}.${Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')}.${b64('sig')}`;
    },
  },
  {
    name: 'huge token (80 KiB, beyond the writ.task option limit)',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'oversized',
    input: ({ kit }) => kit.sign(kit.header(), kit.claims({ pad: 'x'.repeat(80_000) })),
  },
  {
    name: 'empty token',
    code: 'WRIT_TOKEN_INVALID',
    reason: 'not_a_token',
    input: () => '',
  },
];

/** Every hostile local requester token. */
export const LOCAL_REQUESTER_CASES: readonly HostileCase<LocalCtx>[] = [
  ...commonCases<LocalCtx>((ctx) => ctx.kit),
  ...localAuthorityCases<LocalCtx>(),
  ...specific,
];
