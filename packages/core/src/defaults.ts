import type { AuthorizationRequest, Decision } from './decision.js';
import { WritError } from './errors.js';
import type { CallOptions, IdentityProvider, PolicyEngine } from './interfaces.js';
import type { Principal } from './principal.js';

/**
 * The identity provider used when none is configured: it cannot verify anything, so requester tokens
 * are refused (`WRIT_IDENTITY_INVALID`) and agents get `asserted` ids `urn:writ:agent:<name>`.
 * Pass a `Principal` object as requester to record an application-asserted user.
 *
 * @example
 * ```ts
 * const writ = createWrit({ identity: assertedIdentity(), ... }); // same as leaving identity out
 * ```
 */
export function assertedIdentity(): IdentityProvider {
  return {
    name: 'asserted',
    async verifyRequester(): Promise<Principal> {
      throw new WritError(
        'WRIT_IDENTITY_INVALID',
        'no identity provider is configured to verify requester tokens: pass `identity` to createWrit, or pass the requester as a Principal object',
      );
    },
    async agentIdentity(agent: string): Promise<Principal> {
      return { kind: 'agent', id: `urn:writ:agent:${agent}`, name: agent, assurance: 'asserted' };
    },
  };
}

/**
 * The policy engine used when none is configured: denies every call, so nothing runs unjudged.
 *
 * @example
 * ```ts
 * const writ = createWrit({ policy: denyAllPolicy() }); // same as leaving policy out
 * ```
 */
export function denyAllPolicy(): PolicyEngine {
  let n = 0;
  return {
    name: 'writ:deny-all',
    async decide(request: AuthorizationRequest, _options: CallOptions): Promise<Decision> {
      return {
        effect: 'deny',
        policyIds: ['writ:deny-all'],
        reasons: ['no policy engine is configured: pass `policy` to createWrit'],
        decisionId: `deny-all-${++n}`,
        engine: 'writ:deny-all',
        evaluatedContext: request,
      };
    },
  };
}
