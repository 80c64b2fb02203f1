import { randomUUID } from 'node:crypto';
import { type Principal, WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import type { CallOptions, IdentityProvider } from '@writ/core/plugin';
import { z } from 'zod';
import { verifyJwt } from './jwt.js';
import { LOCAL_AUTHORITY_ALGORITHM, type LocalAuthority, localAuthoritySchema } from './local-authority.js';

/**
 * `aud` of requester tokens the local authority issues.
 *
 * @example
 * ```ts
 * import { jwtVerify } from 'jose';
 *
 * // another process that trusts the local authority's requester tokens
 * const { payload } = await jwtVerify(aliceToken, authority.keyResolver(), {
 *   algorithms: [LOCAL_AUTHORITY_ALGORITHM],
 *   issuer: authority.issuer,
 *   audience: LOCAL_REQUESTER_AUDIENCE,
 * });
 * ```
 */
export const LOCAL_REQUESTER_AUDIENCE = 'writ:requester';

/**
 * Options of {@link createLocalIdentity}.
 *
 * @example
 * ```ts
 * const options: CreateLocalIdentityOptions = {
 *   authority: await createLocalAuthority(),
 *   agents: ['support-bot', 'billing-bot'], // any other agent name is refused
 * };
 * const identity = createLocalIdentity(options);
 * ```
 */
export interface CreateLocalIdentityOptions {
  authority: LocalAuthority;
  /** When given, only these agent names get an identity; others are refused. */
  agents?: readonly string[];
  /** @default 5 */
  clockToleranceSec?: number;
}

/**
 * Options of {@link LocalIdentity.issueRequesterToken}: the local user the token is for.
 *
 * @example
 * ```ts
 * const alice: IssueRequesterTokenOptions = { sub: 'alice@example.com', name: 'Alice', ttlSec: 60 };
 * const aliceToken = await identity.issueRequesterToken(alice);
 * ```
 */
export interface IssueRequesterTokenOptions {
  /** Stable user id (`sub`). */
  sub: string;
  name?: string;
  email?: string;
  /** @default 600 */
  ttlSec?: number;
  /**
   * OIDC `nonce`: binds the token to one request. An approver token for an MCP approval carries the
   * approval's binding hash here (what `@writ/mcp`'s `verifyApprover` checks), as an OpenID Provider
   * puts the `nonce` of the authorization request into the ID token.
   */
  nonce?: string;
}

/**
 * The local authority as an identity provider, able to sign in local users for development.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const identity: LocalIdentity = createLocalIdentity({ authority: await createLocalAuthority() });
 * const writ = createWrit({ service: 'support', identity, policy, audit });
 * const aliceToken = await identity.issueRequesterToken({ sub: 'alice@example.com' });
 * await writ.task({ requester: aliceToken, agent: 'support-bot' }, () => lookup.execute({ orderId: '42' }));
 * ```
 */
export interface LocalIdentity extends IdentityProvider {
  /**
   * Signs a short-lived requester token for a local user (development, demos, tests). In production,
   * requesters come from your OpenID Provider (`createOidcRequesterVerifier`).
   */
  issueRequesterToken(options: IssueRequesterTokenOptions): Promise<string>;
}

const optionsSchema = z.strictObject({
  authority: localAuthoritySchema,
  agents: z.array(z.string().min(1)).optional(),
  clockToleranceSec: z.number().min(0).max(300).optional(),
});

/**
 * Identity from the embedded local authority: agents are `spiffe://<trust-domain>/agent/<name>`, vouched
 * for by the authority (`assurance: verified`); requester tokens are JWTs the authority signed
 * (`issueRequesterToken`), verified with the pinned algorithm, issuer, audience and expiry.
 *
 * @example
 * ```ts
 * const authority = await createLocalAuthority();
 * const identity = createLocalIdentity({ authority });
 * const aliceToken = await identity.issueRequesterToken({ sub: 'alice@example.com', name: 'Alice' });
 * await writ.task({ requester: aliceToken, agent: 'support-bot' }, work);
 * ```
 */
export function createLocalIdentity(options: CreateLocalIdentityOptions): LocalIdentity {
  const o = validateOptions(optionsSchema, options, 'createLocalIdentity') as CreateLocalIdentityOptions;
  const { authority } = o;
  const allowed = o.agents === undefined ? undefined : new Set(o.agents);
  return {
    name: 'local-authority',
    async verifyRequester(token: string, _options: CallOptions): Promise<Principal> {
      const { payload } = await verifyJwt(token, authority.keyResolver(), {
        what: 'requester token',
        algorithms: [LOCAL_AUTHORITY_ALGORITHM],
        issuer: authority.issuer,
        audience: LOCAL_REQUESTER_AUDIENCE,
        requiredClaims: ['exp', 'iat', 'sub', 'aud', 'iss'],
        clockToleranceSec: o.clockToleranceSec,
        typ: 'JWT',
      });
      const sub = payload.sub as string;
      const name = typeof payload.name === 'string' ? payload.name : undefined;
      return {
        kind: 'human',
        id: sub,
        name,
        issuer: authority.issuer,
        assurance: 'verified',
        claims: payload,
      };
    },
    async agentIdentity(agent: string, _options: CallOptions): Promise<Principal> {
      if (allowed !== undefined && !allowed.has(agent)) {
        throw new WritError(
          'WRIT_IDENTITY_INVALID',
          `agent ${agent} is not registered with the local authority`,
          {
            details: { reason: 'unknown_agent', agent },
          },
        );
      }
      return {
        kind: 'agent',
        id: authority.agentId(agent),
        name: agent,
        issuer: `spiffe://${authority.trustDomain}`,
        assurance: 'verified',
      };
    },
    async issueRequesterToken(issue: IssueRequesterTokenOptions): Promise<string> {
      if (typeof issue?.sub !== 'string' || issue.sub.length === 0) {
        throw new WritError('WRIT_OPTIONS_INVALID', 'issueRequesterToken: options.sub: required');
      }
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        iss: authority.issuer,
        sub: issue.sub,
        aud: LOCAL_REQUESTER_AUDIENCE,
        iat: now,
        exp: now + (issue.ttlSec ?? 600),
        jti: randomUUID(),
      };
      if (issue.name !== undefined) claims.name = issue.name;
      if (issue.email !== undefined) claims.email = issue.email;
      if (issue.nonce !== undefined) claims.nonce = issue.nonce;
      return authority.sign(claims, { typ: 'JWT' });
    },
  };
}
