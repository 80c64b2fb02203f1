/**
 * `@writ/identity`: who the agent is (workload identity), who it acts for (verified requester), and
 * short-lived, task-scoped credentials that die with the task.
 * @packageDocumentation
 */
export { DEFAULT_MAX_TOKEN_BYTES, duplicateKey, tokenError, type VerificationKey, type VerifiedJwt, type VerifyJwtOptions, verifyJwt } from './jwt.js';
