/**
 * `@writ/audit`: the tamper-evident authority-chain log. Records are RFC 8785 canonical JSON lines,
 * chained and sealed by an RFC 6962 Merkle tree with signed C2SP checkpoints; file and PostgreSQL sinks;
 * offline `verifyLog` and `explain`. What a third party needs to check evidence offline is here too:
 * `openCheckpoint`, `parseVerifierKey`, `verifyInclusion`, `verifyConsistency`, `leafHash`, `rootOf`.
 * @packageDocumentation
 * @module @writ/audit
 */

// evidence: a checkpoint, as `openCheckpoint` returns it
export type { Checkpoint } from './checkpoint/checkpoint.js';
// keys: a checkpoint signer whose key stays in a KMS or HSM (asynchronous signing)
export { type CreateRemoteNoteSignerOptions, createRemoteNoteSigner } from './checkpoint/remote-signer.js';
// evidence: open a signed checkpoint with a pinned key
export { openCheckpoint } from './checkpoint/signed-checkpoint.js';
export type { NoteSignature } from './checkpoint/signed-note.js';
// keys: sign a log's checkpoints
export {
  type CheckpointSigner,
  createNoteSigner,
  generateNoteKeys,
  type NoteSigner,
} from './checkpoint/signer-key.js';
// keys: the verifier key handed to whoever checks the log
export { type NoteVerifier, parseVerifierKey } from './checkpoint/verifier-key.js';
// explaining a task, a call or a request from the log
export { explain } from './explain.js';
export {
  explainAllLogs,
  explainLogs,
  type InvestigatedLog,
  type JoinedExplain,
  type JoinFinding,
  joinLogs,
  type LogLink,
  type LogRecordAt,
} from './explain-join.js';
export { explainLog } from './explain-log.js';
export type { CallNode, ExplainQuery, RecordRef, TaskNode } from './explain-tree.js';
// sinks: the file log
export {
  type CreateFileAuditSinkOptions,
  createFileAuditSink,
  FILE_SINK_DEFAULTS,
  type FileAuditSink,
  type OpenReport,
} from './file/file-sink.js';
// fleets: a fleet log sealing member logs, bundles exported from PostgreSQL, verified offline
export {
  type FleetBundleLog,
  type FleetBundleManifest,
  isFleetBundle,
  openFleetBundle,
} from './fleet/bundle.js';
export { type ExportFleetOptions, exportFleet } from './fleet/export-fleet.js';
export {
  type FleetEndorsementRecord,
  type FleetEndorsementSource,
  type FleetRecord,
  type FleetSealRecord,
  isFleetRecord,
} from './fleet/fleet-record.js';
export {
  type CreateFleetSealerOptions,
  createFleetSealer,
  FLEET_SEALER_DEFAULTS,
  type FleetSealer,
} from './fleet/fleet-sealer.js';
export { type FleetMemberState, FleetState, type SealedCheckpoint } from './fleet/fleet-state.js';
export type { FleetCandidate, FleetMembers, FleetSealReport } from './fleet/seal-round.js';
export {
  type FleetProblem,
  type VerifyFleetOptions,
  type VerifyFleetResult,
  verifyFleet,
} from './fleet/verify-fleet.js';
export type { MemberJob, MemberVerdict } from './fleet/verify-member.js';
export { formatExplain } from './format-explain.js';
// evidence: inclusion and consistency proofs made from a log directory
export {
  type ConsistencyProofResult,
  type InclusionProofResult,
  proveConsistency,
  proveInclusion,
} from './log-proofs.js';
// reading a log as stored
export { type ReadLinesOptions, readLines, type StoredLine } from './log-reader.js';
// evidence: a record's leaf hash (a receipt's `leafHash`) and the root of a list of them
export { leafHash, rootOf } from './merkle/hashing.js';
// evidence: check a proof against a signed checkpoint
export { verifyConsistency, verifyInclusion } from './merkle/proofs.js';
// sinks: mirror events to OpenTelemetry logs (a SIEM)
export {
  type CreateOtelLogSinkOptions,
  createOtelLogSink,
  type LoggerLike,
  teeAuditSink,
} from './otel-log-sink.js';
// sinks: the PostgreSQL log, where it lives
export {
  POSTGRES_SINK_DEFAULTS,
  type PostgresClient,
  type PostgresConnectionOptions,
  type PostgresPool,
  type PostgresQueryResult,
} from './postgres/postgres-connection.js';
// reading and verifying a PostgreSQL log
export {
  type ReadPostgresLogOptions,
  type ReadVerifiedPostgresLogOptions,
  readPostgresLog,
  readVerifiedPostgresLog,
  type VerifyPostgresLogOptions,
  verifyPostgresLog,
} from './postgres/postgres-log.js';
// sinks: the PostgreSQL log
export {
  type CreatePostgresAuditSinkOptions,
  createPostgresAuditSink,
  POSTGRES_LEASE_DEFAULTS,
  type PostgresAuditSink,
} from './postgres/postgres-sink.js';
// records as stored
export {
  type CheckpointRecord,
  type Envelope,
  type LogRecord,
  logRecordSchema,
  RECORD_VERSION,
} from './record.js';
// sinks: the options both log sinks share
export type { LogSealingOptions } from './sink-options.js';
// what a verdict proves
export type { VerificationState } from './verify/verification-state.js';
// reading a log verified in the same pass, each record marked with what its verification proves
export {
  type ReadVerifiedLogOptions,
  type RecordEvidence,
  readVerifiedLog,
  type VerifiedLog,
  type VerifiedRecord,
} from './verify/verified-log.js';
// verifying stored lines from any source
export { verifyLines } from './verify/verify-lines.js';
// verifying a file log offline
export { verifyLog } from './verify/verify-log.js';
export type { VerifyLinesOptions, VerifyLogOptions, VerifyResult } from './verify/verify-options.js';
// witnesses: what verification requires of them and what it found
export type { WitnessRequirement, WitnessVerdict } from './verify/witness-check.js';
// witnesses: the C2SP tlog-witness add-checkpoint request body
export {
  type AddCheckpointRequest,
  formatAddCheckpoint,
  parseAddCheckpoint,
} from './witness/add-checkpoint.js';
// witnesses: C2SP cosignature/v1 keys, cosigning and checking k-of-n cosignatures
export {
  type Cosignature,
  type CosignatureResult,
  type CosignatureVerifier,
  type Cosigner,
  createCosigner,
  generateWitnessKeys,
  parseCosignatureKey,
  verifyCosignatures,
} from './witness/cosignature.js';
// witnesses: a small C2SP tlog-witness
export {
  type CreateWitnessOptions,
  createWitness,
  WITNESS_KEY_FILE,
  type Witness,
  type WitnessEvent,
  type WitnessedLog,
  type WitnessResponse,
} from './witness/witness.js';
export type { WitnessServer } from './witness/witness-server.js';
export type { WitnessedState } from './witness/witness-state.js';
// witnesses: where a log asks for cosignatures (the file sink's `witnesses` option)
export type { WitnessEndpoint } from './witness/witnessing.js';
