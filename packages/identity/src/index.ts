/**
 * `@writ/identity`: who the agent is (workload identity), who it acts for (verified requester), and
 * short-lived, task-scoped credentials that die with the task.
 * @packageDocumentation
 */
export { type ComposeIdentityOptions, composeIdentity } from './compose-identity.js';
export {
  CREDENTIAL_BROKER_DEFAULTS,
  type CreateCredentialBrokerOptions,
  createCredentialBroker,
  type TokenExchangeConfig,
  type WritCredentialBroker,
} from './credential-broker.js';
export {
  DEFAULT_MAX_TOKEN_BYTES,
  duplicateKey,
  tokenError,
  type VerificationKey,
  type VerifiedJwt,
  type VerifyJwtOptions,
  verifyJwt,
} from './jwt.js';
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
export {
  type CreateRevocationListOptions,
  createRevocationList,
  type RevocationList,
} from './revocation-list.js';
export {
  ACCESS_TOKEN_TYP,
  ACCESS_TOKEN_TYPE,
  type ActClaim,
  type MintTaskTokenOptions,
  mintTaskToken,
  type RequestLike,
  TASK_TOKEN_TYP,
  type TaskTokenClaims,
  TXN_TOKEN_TYPE,
  type VerifiedTaskToken,
  type VerifyTaskTokenFromRequestOptions,
  type VerifyTaskTokenOptions,
  verifyTaskToken,
  verifyTaskTokenFromRequest,
} from './task-token.js';
