/**
 * `@writ/audit/internal`: helpers Writ's own packages (the CLI) and tests share with `@writ/audit`.
 * **Not covered by semver**: anything here may change or go in any release. Applications, investigators'
 * scripts and third-party plugins should not import it.
 * @packageDocumentation
 * @module @writ/audit/internal
 * @internal
 */

export { parseCheckpoint } from './checkpoint/checkpoint.js';
export { readBoundedFile, SMALL_FILE_BYTES } from './file/bounded-read.js';
export { inboundText, principalText } from './inbound-text.js';
export {
  createLogAppender,
  LOG_APPENDER_DEFAULTS,
  type LogAppender,
  type LogAppenderOptions,
  type LogStorage,
  type LogWriteOptions,
} from './log-appender.js';
export { listSegments } from './log-reader.js';
export { loadOrCreateNoteSigner } from './log-signer.js';
export { safeConnectionString } from './postgres/postgres-connection.js';
export { type VerifyTuning, verifyLogWith } from './verify/verify-log.js';
