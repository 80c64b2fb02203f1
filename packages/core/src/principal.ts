/**
 * What kind of party a {@link Principal} is.
 *
 * @example
 * ```ts
 * const kind: PrincipalKind | undefined = tryGetAttribution()?.requester?.kind; // 'human' for a signed-in user
 * ```
 */
export type PrincipalKind = 'human' | 'agent' | 'service';

/**
 * How the identity was established.
 * - `verified`: Writ's identity provider checked a signed credential (OIDC token, JWT-SVID, local authority).
 * - `asserted`: the host application passed the principal in; Writ records it but did not check it.
 * - `claimed`: someone answered through a channel nobody authenticates for Writ (an approval typed into an
 *   MCP client's elicitation form, a name in a resume value): recorded as what was claimed, never as verified.
 *
 * Policies can (and the default policy set does) treat the two differently.
 *
 * @example
 * ```ts
 * const assurance: Assurance | undefined = getAttribution().requester?.assurance;
 * if (assurance !== 'verified') throw new WritError('WRIT_IDENTITY_INVALID', 'refunds need a verified requester');
 * ```
 */
export type Assurance = 'verified' | 'asserted' | 'claimed';

/**
 * The part of a {@link Principal} that goes into audit records and policy requests (no claims).
 *
 * @example
 * ```ts
 * const ref: PrincipalRef = toPrincipalRef({ kind: 'human', id: 'alice@example.com', issuer: 'https://login.example.com', assurance: 'verified', claims: { email_verified: true } });
 * // { kind: 'human', id: 'alice@example.com', issuer: 'https://login.example.com', assurance: 'verified' }
 * ```
 */
export interface PrincipalRef {
  readonly kind: PrincipalKind;
  /** Stable identifier: OIDC `sub`, a SPIFFE ID for workloads (`spiffe://example.org/agent/support`), … */
  readonly id: string;
  /** Who vouches for `id`: the OIDC issuer or SPIFFE trust domain. */
  readonly issuer?: string | undefined;
  /** Display name, e.g. the agent's registered name. Never used for decisions. */
  readonly name?: string | undefined;
  readonly assurance: Assurance;
  /** For registered agents: who owns the agent. */
  readonly owner?: string | undefined;
  /** For registered agents: what the agent is for. */
  readonly purpose?: string | undefined;
  /**
   * Set when this service did not verify the principal itself but took it from a caller's verified
   * token (`writ.task({ inbound })`): that token's issuer (the caller's authority). `issuer` is then the
   * identity provider the token names and `assurance` what the caller recorded — carried, not checked here.
   */
  readonly via?: string | undefined;
}

/**
 * A party in the authority chain: the human who asked, an agent that acted, or a service.
 *
 * @example
 * ```ts
 * const alice: Principal = { kind: 'human', id: 'alice@example.com', issuer: 'https://login.example.com', assurance: 'verified', claims: { sub: 'alice@example.com' } };
 * ```
 */
export interface Principal extends PrincipalRef {
  /** The verified claims the identity came with. Not copied into audit records or spans. */
  readonly claims?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Drops claims from a principal, leaving what is safe to record.
 *
 * @example
 * ```ts
 * const ref = toPrincipalRef(alice); // { kind: 'human', id: 'alice@example.com', … } without claims
 * ```
 */
export function toPrincipalRef(principal: Principal): PrincipalRef {
  // keys in canonical (sorted) order: records then serialise on canonicalJson's fast path
  const ref = { assurance: principal.assurance, id: principal.id } as {
    -readonly [K in keyof PrincipalRef]: PrincipalRef[K];
  };
  if (principal.issuer !== undefined) ref.issuer = principal.issuer;
  ref.kind = principal.kind;
  if (principal.name !== undefined) ref.name = principal.name;
  if (principal.owner !== undefined) ref.owner = principal.owner;
  if (principal.purpose !== undefined) ref.purpose = principal.purpose;
  if (principal.via !== undefined) ref.via = principal.via;
  return ref;
}
