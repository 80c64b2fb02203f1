/**
 * Token type identifiers for OAuth 2.0 Token Exchange (RFC 8693 §3), plus the Transaction Token type of
 * the OAuth Transaction Tokens draft. Use them for `subjectTokenType`, `actorTokenType` and
 * `requestedTokenType`, and to read `issuedTokenType`.
 *
 * @example
 * ```ts
 * const result = await exchangeToken({
 *   tokenEndpoint: 'https://login.example.com/token',
 *   clientId: 'writ-broker',
 *   subjectToken: taskToken,
 *   subjectTokenType: TOKEN_TYPES.txnToken,
 *   requestedTokenType: TOKEN_TYPES.accessToken,
 * });
 * if (result.issuedTokenType !== TOKEN_TYPES.accessToken) throw new Error('unexpected token type');
 * ```
 */
export const TOKEN_TYPES = Object.freeze({
  /** An OAuth 2.0 access token. */
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  /** An OAuth 2.0 refresh token. */
  refreshToken: 'urn:ietf:params:oauth:token-type:refresh_token',
  /** An OpenID Connect ID token. */
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
  /** A JWT (RFC 7519) of any purpose. */
  jwt: 'urn:ietf:params:oauth:token-type:jwt',
  /** A Transaction Token (draft-ietf-oauth-transaction-tokens), the shape of Writ's task token. */
  txnToken: 'urn:ietf:params:oauth:token-type:txn_token',
} as const);

/**
 * One of the {@link TOKEN_TYPES} identifiers.
 *
 * @example
 * ```ts
 * const type: KnownTokenType = TOKEN_TYPES.accessToken;
 * ```
 */
export type KnownTokenType = (typeof TOKEN_TYPES)[keyof typeof TOKEN_TYPES];

/**
 * The `grant_type` of an RFC 8693 token exchange request.
 *
 * @example
 * ```ts
 * provider.registerGrantType(TOKEN_EXCHANGE_GRANT_TYPE, handler, parameters, ['audience', 'resource']);
 * ```
 */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
