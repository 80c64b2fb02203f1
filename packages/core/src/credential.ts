/**
 * A short-lived credential the pipeline hands to a tool (`ctx.credential`). The secret `token` is a
 * non-enumerable property: it is absent from `JSON.stringify`, `console.log` and spreads, so it cannot
 * leak into spans, audit records or logs by accident. Records refer to it by `jti` only.
 *
 * @example
 * ```ts
 * async function refund(orderId: string, ctx: ToolContext) {
 *   const credential: Credential | undefined = ctx.credential; // audience-bound when the tool has `audience`
 *   if (credential === undefined) throw new Error('no credential for the payments API');
 *   return fetch(`https://payments.example.com/orders/${orderId}/refund`, {
 *     method: 'POST',
 *     headers: { authorization: `Bearer ${credential.token}` }, // read explicitly: never in logs or spreads
 *   });
 * }
 * ```
 */
export interface Credential {
  /** The bearer token itself. Non-enumerable; read it explicitly when calling the downstream service. */
  readonly token: string;
  /** Unique id of the credential (JWT `jti`); what audit records and spans carry. */
  readonly jti: string;
  /** Token type, e.g. `urn:ietf:params:oauth:token-type:jwt` or `urn:ietf:params:oauth:token-type:txn_token`. */
  readonly type: string;
  /** Audience the credential is bound to (`undefined` for the task token itself). */
  readonly audience?: string | undefined;
  /** Scope the credential carries. */
  readonly scope: readonly string[];
  /** Expiry, epoch milliseconds. */
  readonly expiresAt: number;
}

/**
 * What records and spans keep of a credential: its id, type, audience and expiry, never the token.
 *
 * @example
 * ```ts
 * const ref: CredentialRef = toCredentialRef(credential);
 * // { jti: '019a5c1e-…', type: 'urn:ietf:params:oauth:token-type:access_token', audience: 'https://payments.example.com', expiresAt: 1767225600000 }
 * ```
 */
export interface CredentialRef {
  readonly jti: string;
  readonly type: string;
  readonly audience?: string | undefined;
  readonly expiresAt: number;
}

/**
 * Input of {@link createCredential}.
 *
 * @example
 * ```ts
 * const input: CreateCredentialInput = {
 *   token: exchanged.access_token,
 *   jti: crypto.randomUUID(),
 *   type: 'urn:ietf:params:oauth:token-type:access_token',
 *   audience: 'https://payments.example.com',
 *   scope: ['payments:refund'],
 *   expiresAt: Date.now() + 5 * 60_000,
 * };
 * const credential = createCredential(input);
 * ```
 */
export interface CreateCredentialInput {
  /**
   * The token, or a function that makes it: called once, on the first read of `token` (a broker that
   * signs locally defers the signature until someone needs the token; `jti` and `expiresAt` are fixed
   * already). It must return the same token every time it could be called.
   */
  token: string | (() => string);
  jti: string;
  type: string;
  audience?: string | undefined;
  scope: readonly string[];
  expiresAt: number;
}

/**
 * Builds a {@link Credential} whose `token` is non-enumerable. Credential brokers should return these.
 *
 * @example
 * ```ts
 * const credential = createCredential({ token: jwt, jti, type: 'urn:ietf:params:oauth:token-type:jwt', scope: ['orders:read'], expiresAt: Date.now() + 60_000 });
 * JSON.stringify(credential); // no token inside
 * // or signed when first read (jti and expiry fixed now)
 * const later = createCredential({ token: () => signJwt(claims), jti: claims.jti, type, scope, expiresAt: claims.exp * 1000 });
 * ```
 */
export function createCredential(input: CreateCredentialInput): Credential {
  const credential = {
    jti: input.jti,
    type: input.type,
    audience: input.audience,
    scope: Object.freeze([...input.scope]),
    expiresAt: input.expiresAt,
  };
  const { token } = input;
  if (typeof token === 'string') {
    Object.defineProperty(credential, 'token', { value: token, enumerable: false, writable: false });
  } else {
    let made: string | undefined;
    Object.defineProperty(credential, 'token', {
      get: () => {
        made ??= token();
        return made;
      },
      enumerable: false,
    });
  }
  return Object.freeze(credential) as Credential;
}

/**
 * The record-safe reference to a credential.
 *
 * @example
 * ```ts
 * span.setAttribute('writ.credential.jti', toCredentialRef(credential).jti);
 * ```
 */
export function toCredentialRef(credential: Credential): CredentialRef {
  // keys in canonical (sorted) order: records then serialise on canonicalJson's fast path
  return credential.audience === undefined
    ? { expiresAt: credential.expiresAt, jti: credential.jti, type: credential.type }
    : {
        audience: credential.audience,
        expiresAt: credential.expiresAt,
        jti: credential.jti,
        type: credential.type,
      };
}
