/**
 * `@writ/postgres`: Writ's authority state shared through PostgreSQL (fleet mode, issue 20): revocations
 * every replica sees, task leases and the reaper that closes abandoned tasks.
 * @packageDocumentation
 * @module @writ/postgres
 */

export {
  approvalsDdl,
  createPostgresApprovalStore,
  type PostgresApprovalStoreOptions,
} from './approvals/postgres-approval-store.js';
export type { FleetContext, FleetServices, FleetServicesOptions } from './fleet-services.js';
export {
  type CreatePostgresTaskLeasesOptions,
  createPostgresTaskLeases,
  POSTGRES_LEASE_DEFAULTS,
  type PostgresTaskLeases,
} from './leases/postgres-task-leases.js';
export { createReaper } from './leases/reaper.js';
export {
  type CreateReaperOptions,
  REAPER_DEFAULTS,
  type ReapedRun,
  type Reaper,
} from './leases/reaper-options.js';
export {
  callLedgerDdl,
  createPostgresCallLedger,
  POSTGRES_CALL_LEDGER_DEFAULTS,
  type PostgresCallLedgerOptions,
} from './ledger/postgres-call-ledger.js';
export { createPostgresRevocationList } from './revocations/postgres-revocation-list.js';
export {
  type CreatePostgresRevocationListOptions,
  POSTGRES_REVOCATION_DEFAULTS,
  type PostgresRevocationList,
  type PostgresRevocationState,
} from './revocations/revocation-list-options.js';
export type {
  PgClient,
  PgClientPool,
  PgConnectionOptions,
  PgPool,
  PgResult,
} from './shared/pg-pool.js';
export type { PrunedRows } from './shared/prune.js';
export { hmacRowSigner, type RowSigner } from './shared/row-signer.js';
export {
  createPostgresStores,
  type PostgresStores,
  type PostgresStoresOptions,
  postgres,
} from './store.js';
export { VERSION } from './version.js';
