/**
 * In-memory implementations of every Writ interface, for users' tests and examples.
 * @packageDocumentation
 * @module @writ/core/testing
 */
export {
  createInMemoryApprovals,
  type InMemoryApprovals,
  type InMemoryApprovalsOptions,
} from './in-memory-approvals.js';
export { createInMemoryAuditSink, type InMemoryAuditSink } from './in-memory-audit.js';
export {
  createInMemoryCredentialBroker,
  type InMemoryCredentialBroker,
  type InMemoryCredentialBrokerOptions,
} from './in-memory-credentials.js';
export {
  createInMemoryIdentity,
  type InMemoryIdentity,
  type InMemoryIdentityOptions,
} from './in-memory-identity.js';
export {
  createInMemoryPolicy,
  type InMemoryPolicy,
  type InMemoryPolicyOptions,
  type PolicyRule,
} from './in-memory-policy.js';
