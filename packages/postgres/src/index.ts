/**
 * `@writ/postgres`: Writ's authority state shared through PostgreSQL (fleet mode, issue 20): revocations
 * every replica sees, task leases and the reaper that closes abandoned tasks.
 * @packageDocumentation
 * @module @writ/postgres
 */

export {
  type CreatePostgresTaskLeasesOptions,
  createPostgresTaskLeases,
  POSTGRES_LEASE_DEFAULTS,
  type PostgresTaskLeases,
} from './leases/postgres-task-leases.js';
export {
  type CreateReaperOptions,
  createReaper,
  REAPER_DEFAULTS,
  type ReapedRun,
  type Reaper,
} from './leases/reaper.js';
export type { PgClient, PgPool, PgResult } from './revocations/connection.js';
export {
  type CreatePostgresRevocationListOptions,
  createPostgresRevocationList,
  POSTGRES_REVOCATION_DEFAULTS,
  type PostgresRevocationList,
  type PostgresRevocationState,
} from './revocations/postgres-revocation-list.js';
export { VERSION } from './version.js';
