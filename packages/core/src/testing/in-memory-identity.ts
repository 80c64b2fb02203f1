import { WritError } from '../errors.js';
import type { CallOptions, IdentityProvider } from '../interfaces.js';
import type { Principal } from '../principal.js';

/**
 * Options of {@link createInMemoryIdentity}.
 *
 * @example
 * ```ts
 * const options: InMemoryIdentityOptions = {
 *   trustDomain: 'example.org',
 *   requesters: { 'token-alice': { id: 'alice@example.com', name: 'Alice', claims: { groups: ['support'] } } },
 *   agents: ['support-bot', 'billing-bot'],
 * };
 * const identity = createInMemoryIdentity(options); // agents resolve to spiffe://example.org/agent/<name>
 * ```
 */
export interface InMemoryIdentityOptions {
  /** SPIFFE trust domain of agent ids. @default 'writ.test' */
  trustDomain?: string;
  /** Issuer recorded for requesters. @default 'https://issuer.writ.test' */
  issuer?: string;
  /** Accepted requester tokens and who they stand for. */
  requesters?: Record<string, { id: string; name?: string; claims?: Record<string, unknown> }>;
  /** When given, only these agent names resolve; others are refused. */
  agents?: readonly string[];
}

/**
 * An in-memory identity provider, exposing what it was asked.
 *
 * @example
 * ```ts
 * const identity: InMemoryIdentity = createInMemoryIdentity({ requesters: { 'token-alice': { id: 'alice@example.com' } } });
 * // … writ.task({ requester: 'token-alice', agent: 'support-bot' }, …) …
 * expect(identity.verified).toEqual(['token-alice']);
 * ```
 */
export interface InMemoryIdentity extends IdentityProvider {
  /** Tokens passed to `verifyRequester`, in order. */
  readonly verified: string[];
}

/**
 * An identity provider for tests: fixed tokens map to humans; agents get SPIFFE-style ids
 * `spiffe://<trustDomain>/agent/<name>`. Unknown tokens are refused with `WRIT_IDENTITY_INVALID`.
 *
 * @example
 * ```ts
 * const identity = createInMemoryIdentity({ requesters: { 'token-alice': { id: 'alice@example.com' } } });
 * await writ.task({ requester: 'token-alice', agent: 'support' }, work);
 * ```
 */
export function createInMemoryIdentity(options: InMemoryIdentityOptions = {}): InMemoryIdentity {
  const trustDomain = options.trustDomain ?? 'writ.test';
  const issuer = options.issuer ?? 'https://issuer.writ.test';
  const requesters = new Map(Object.entries(options.requesters ?? {}));
  const agents = options.agents === undefined ? undefined : new Set(options.agents);
  const verified: string[] = [];
  return {
    name: 'in-memory',
    verified,
    async verifyRequester(token: string, _options: CallOptions): Promise<Principal> {
      verified.push(token);
      const entry = requesters.get(token);
      if (entry === undefined)
        throw new WritError('WRIT_IDENTITY_INVALID', 'requester token is not recognised');
      return {
        kind: 'human',
        id: entry.id,
        name: entry.name,
        issuer,
        assurance: 'verified',
        claims: { sub: entry.id, ...entry.claims },
      };
    },
    async agentIdentity(agent: string, _options: CallOptions): Promise<Principal> {
      if (agents !== undefined && !agents.has(agent)) {
        throw new WritError('WRIT_IDENTITY_INVALID', `agent ${agent} is not registered`);
      }
      if (!/^[A-Za-z0-9._-]+$/.test(agent))
        throw new WritError('WRIT_IDENTITY_INVALID', `invalid agent name ${agent}`);
      return {
        kind: 'agent',
        id: `spiffe://${trustDomain}/agent/${agent}`,
        name: agent,
        issuer: `spiffe://${trustDomain}`,
        assurance: 'verified',
      };
    },
  };
}
