/**
 * `@writ/audit`: the tamper-evident authority-chain log. Records are RFC 8785 canonical JSON lines,
 * chained and sealed by an RFC 6962 Merkle tree with signed C2SP checkpoints; file and PostgreSQL sinks;
 * offline `verifyLog` and `explain`.
 * @packageDocumentation
 * @module @writ/audit
 */
export * from './checkpoint/index.js';
export { peekEnvelope } from './envelope-prefix.js';
export {
  type CallNode,
  type ExplainQuery,
  explain,
  explainLog,
  formatExplain,
  type TaskNode,
} from './explain.js';
export {
  type CreateFileAuditSinkOptions,
  createFileAuditSink,
  FILE_SINK_DEFAULTS,
  type FileAuditSink,
  type OpenReport,
} from './file/file-sink.js';
export {
  createLogAppender,
  LOG_APPENDER_DEFAULTS,
  type LogAppender,
  type LogAppenderOptions,
  type LogResume,
  type LogStorage,
  type LogWriteOptions,
} from './log-appender.js';
export {
  type ConsistencyProofResult,
  type InclusionProofResult,
  proveConsistency,
  proveInclusion,
} from './log-proofs.js';
export { listSegments, readLines, SEGMENT_PATTERN, type StoredLine, segmentName } from './log-reader.js';
export { loadOrCreateNoteSigner } from './log-signer.js';
export * from './merkle/index.js';
export {
  type CreateOtelLogSinkOptions,
  createOtelLogSink,
  type LoggerLike,
  teeAuditSink,
} from './otel-log-sink.js';
export * from './postgres/index.js';
export {
  type CheckpointRecord,
  type Envelope,
  encodeEnvelope,
  type LogRecord,
  logRecordSchema,
  RECORD_VERSION,
} from './record.js';
export type { LogSealingOptions } from './sink-options.js';
export { verifyLines } from './verify/verify-lines.js';
export { verifyLog } from './verify/verify-log.js';
export type { VerifyLinesOptions, VerifyLogOptions, VerifyResult } from './verify/verify-options.js';
