// @writ/postgres: Writ's authority state shared through PostgreSQL (fleet mode, issue 20).
export {
  approvalsDdl,
  createPostgresApprovalStore,
  type PostgresApprovalStoreOptions,
} from './approvals/postgres-approval-store.js';
export {
  callLedgerDdl,
  createPostgresCallLedger,
  POSTGRES_CALL_LEDGER_DEFAULTS,
  type PostgresCallLedgerOptions,
} from './ledger/postgres-call-ledger.js';
export type { PgConnectionOptions, PgPool } from './shared/pg-pool.js';
export { hmacRowSigner, type RowSigner } from './shared/row-signer.js';
export {
  createPostgresStores,
  type PostgresStores,
  type PostgresStoresOptions,
  postgres,
} from './store.js';
export { VERSION } from './version.js';
