export {
  POSTGRES_LOG_ID,
  POSTGRES_SINK_DEFAULTS,
  type PostgresClient,
  type PostgresConnectionOptions,
  type PostgresPool,
  type PostgresQueryResult,
  safeConnectionString,
} from './postgres-connection.js';
export {
  type ReadPostgresLogOptions,
  readPostgresLog,
  type VerifyPostgresLogOptions,
  verifyPostgresLog,
} from './postgres-log.js';
export { POSTGRES_SCHEMA_VERSION } from './postgres-schema.js';
export {
  type CreatePostgresAuditSinkOptions,
  createPostgresAuditSink,
  type PostgresAuditSink,
} from './postgres-sink.js';
