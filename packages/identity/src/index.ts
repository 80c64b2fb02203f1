/**
 * `@writ/identity`: who the agent is (workload identity), who it acts for (verified requester), and
 * short-lived, task-scoped credentials that die with the task.
 * @packageDocumentation
 * @module @writ/identity
 */

export type { RemoteJwtSigner } from './authority-key.js';
export { type ComposeIdentityOptions, composeIdentity } from './compose-identity.js';
export { createCredentialBroker, type WritCredentialBroker } from './credential-broker.js';
export {
  CREDENTIAL_BROKER_DEFAULTS,
  type CreateCredentialBrokerOptions,
  type TokenExchangeConfig,
} from './credential-broker-options.js';
export { DEFAULT_MAX_TOKEN_BYTES, type VerificationKey } from './jwt.js';
export {
  type CreateLocalAuthorityOptions,
  createLocalAuthority,
  LOCAL_AUTHORITY_ALGORITHM,
  LOCAL_AUTHORITY_DEFAULTS,
  type LocalAuthority,
} from './local-authority.js';
export {
  type CreateLocalIdentityOptions,
  createLocalIdentity,
  type IssueRequesterTokenOptions,
  LOCAL_REQUESTER_AUDIENCE,
  type LocalIdentity,
} from './local-identity.js';
export { type MintTaskTokenOptions, mintTaskToken } from './mint-task-token.js';
export {
  type BearerTokenOptions,
  type BearerTokenSource,
  bearerToken,
  type HeaderRecord,
} from './oidc/bearer-token.js';
export {
  CLIENT_CREDENTIALS_DEFAULTS,
  type ClientCredentialsSource,
  type ClientCredentialsToken,
  type CreateClientCredentialsSourceOptions,
  createClientCredentialsSource,
  type GetClientCredentialsTokenOptions,
} from './oidc/client-credentials.js';
export {
  DISCOVERY_DEFAULTS,
  type DiscoverIssuerOptions,
  discoverIssuer,
  type IssuerMetadata,
} from './oidc/discovery.js';
export type { ClientAuthMethod } from './oidc/oauth-request.js';
export {
  type CreateOidcRequesterVerifierOptions,
  createOidcRequesterVerifier,
  OIDC_REQUESTER_DEFAULTS,
  type OidcRequesterVerifier,
} from './oidc/requester-verifier.js';
export { REVOCATION_DEFAULTS, type RevokeTokenOptions, revokeToken } from './oidc/revocation.js';
export {
  type ExchangeTokenOptions,
  exchangeToken,
  TOKEN_EXCHANGE_DEFAULTS,
  type TokenExchangeResult,
} from './oidc/token-exchange.js';
export { type KnownTokenType, TOKEN_EXCHANGE_GRANT_TYPE, TOKEN_TYPES } from './oidc/token-types.js';
export {
  type VerifiedApprover,
  type VerifiedApproverOptions,
  verifiedApprover,
} from './oidc/verified-approver.js';
export {
  type CreateRevocationListOptions,
  createRevocationList,
  type RevocationList,
} from './revocation-list.js';
export {
  createJwtBundleSet,
  type JwksInput,
  type JwtBundle,
  type JwtBundleSet,
  type JwtBundleSource,
  parseJwtBundle,
  parseJwtBundles,
} from './spiffe/jwt-bundle.js';
export {
  JWT_SVID_ALGORITHMS,
  JWT_SVID_DEFAULTS,
  type JwtSvid,
  type ValidateJwtSvidOptions,
  validateJwtSvid,
} from './spiffe/jwt-svid.js';
export {
  createJwtSvidFileSource,
  JWT_SVID_FILE_DEFAULTS,
  type JwtSvidFileSource,
  type JwtSvidFileSourceOptions,
  type JwtSvidFromFile,
} from './spiffe/jwt-svid-file.js';
export {
  isSpiffeId,
  parseSpiffeId,
  parseTrustDomain,
  type SpiffeId,
  type SpiffeIdInvalidReason,
  trustDomainOf,
} from './spiffe/spiffe-id.js';
export {
  createSpiffeIdentity,
  SPIFFE_IDENTITY_DEFAULTS,
  type SpiffeIdentity,
  type SpiffeIdentityOptions,
} from './spiffe/spiffe-identity.js';
export {
  createWorkloadApiClient,
  WORKLOAD_API_CLIENT_DEFAULTS,
  type WorkloadApiClient,
  type WorkloadApiClientOptions,
} from './spiffe/workload-api-client.js';
export { SPIFFE_ENDPOINT_SOCKET, type WorkloadApiEndpoint } from './spiffe/workload-api-endpoint.js';
export type { JwtBundleWatch, WatchJwtBundlesOptions } from './spiffe/workload-api-jwt-bundles.js';
export type {
  FetchedJwtSvid,
  FetchJwtSvidOptions,
  RemoteValidateJwtSvidOptions,
} from './spiffe/workload-api-jwt-svid.js';
export type { LeasedCredential, LeasedRun, TaskLeases } from './task-leases.js';
export {
  ACCESS_TOKEN_TYP,
  type ActClaim,
  TASK_TOKEN_TYP,
  type TaskTokenClaims,
} from './task-token.js';
export {
  createTaskTokenVerifier,
  TASK_TOKEN_VERIFIER_DEFAULTS,
  type TaskTokenVerifierFn,
  type TaskTokenVerifierOptions,
} from './task-token-verifier.js';
export {
  type VerifiedTaskToken,
  type VerifyTaskTokenOptions,
  verifyTaskToken,
} from './verify-task-token.js';
export {
  type RequestLike,
  type VerifyTaskTokenFromRequestOptions,
  verifyTaskTokenFromRequest,
} from './verify-task-token-from-request.js';
