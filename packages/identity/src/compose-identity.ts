import type { Principal } from '@writ/core';
import type { CallOptions, IdentityProvider } from '@writ/core/plugin';

/**
 * Options of {@link composeIdentity}: where requester tokens are verified and where agent identities
 * come from.
 *
 * @example
 * ```ts
 * const options: ComposeIdentityOptions = {
 *   requesters: createOidcRequesterVerifier({ issuer: 'https://login.example.com', audience: 'support-app' }),
 *   agents: createLocalIdentity({ authority: await createLocalAuthority() }),
 * };
 * const identity = composeIdentity(options);
 * ```
 */
export interface ComposeIdentityOptions {
  /** Verifies requester tokens (e.g. `createOidcRequesterVerifier`). */
  requesters: Pick<IdentityProvider, 'verifyRequester'> & { readonly name?: string };
  /** Resolves agent workload identity (e.g. `createSpiffeIdentity`, `createLocalIdentity`). */
  agents: Pick<IdentityProvider, 'agentIdentity'> & { readonly name?: string };
}

/**
 * One `IdentityProvider` from a requester verifier and an agent identity source, typically your
 * OpenID Provider for humans and SPIRE for workloads.
 *
 * @example
 * ```ts
 * const identity = composeIdentity({
 *   requesters: createOidcRequesterVerifier({ issuer: 'https://login.example.com', audience: 'support-app' }),
 *   agents: createSpiffeIdentity({ client: createWorkloadApiClient(), audience: 'writ' }),
 * });
 * ```
 */
export function composeIdentity(options: ComposeIdentityOptions): IdentityProvider {
  const { requesters, agents } = options;
  return {
    name: `${requesters.name ?? 'requesters'}+${agents.name ?? 'agents'}`,
    verifyRequester: (token: string, callOptions: CallOptions): Promise<Principal> =>
      requesters.verifyRequester(token, callOptions),
    agentIdentity: (agent: string, callOptions: CallOptions): Promise<Principal> =>
      agents.agentIdentity(agent, callOptions),
  };
}
