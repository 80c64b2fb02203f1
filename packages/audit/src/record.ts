import { type AuditEvent, canonicalJson } from '@writ/core/plugin';
import { z } from 'zod';
import { type FleetRecord, fleetRecordSchemas } from './fleet/fleet-record.js';

/**
 * Version of the stored record envelope.
 *
 * @example
 * ```ts
 * const { r } = JSON.parse(line) as Envelope;
 * if (r.v !== RECORD_VERSION) throw new Error(`record version ${r.v} is newer than this reader`);
 * ```
 */
export const RECORD_VERSION = 1 as const;

/**
 * A checkpoint written into the log itself: the signed C2SP checkpoint of the tree of every record
 * before it. Verifiers recompute that tree and check the signature.
 *
 * @example
 * ```ts
 * const { r } = JSON.parse(line) as Envelope;
 * if (r.kind === 'checkpoint') {
 *   const checkpoint: CheckpointRecord = r;
 *   const opened = openCheckpoint(checkpoint.note, [parseVerifierKey(pinnedKey)]);
 *   console.log(`sealed ${opened.size} records`);
 * }
 * ```
 */
export interface CheckpointRecord {
  readonly v: typeof RECORD_VERSION;
  readonly kind: 'checkpoint';
  /**
   * The signed note (C2SP signed-note over a tlog-checkpoint): origin, tree size (= this record's
   * index), base64 root over records 0 … size-1, and a `time <RFC 3339>` extension line. Everything the
   * record says is inside the signature.
   */
  readonly note: string;
}

/**
 * What the log stores: the pipeline's audit events, checkpoints, and (in a fleet log) fleet records.
 *
 * @example
 * ```ts
 * const describe = (record: LogRecord): string =>
 *   record.kind === 'checkpoint' || isFleetRecord(record) ? record.kind : `${record.kind} of task ${record.taskId}`;
 * ```
 */
export type LogRecord = AuditEvent | CheckpointRecord | FleetRecord;

/**
 * One stored line, before canonical encoding: `i` the record's index, `p` the hex leaf hash of the
 * previous record ("" for the first), `r` the record. Canonical JSON sorts keys, so every line starts
 * with `{"i":<index>,"p":"<hash>",` and a verifier can follow the chain without parsing the record.
 *
 * @example
 * ```ts
 * const envelope: Envelope = JSON.parse(line);
 * console.log(`record ${envelope.i} (${envelope.r.kind}) follows ${envelope.p || 'nothing'}`);
 * ```
 */
export interface Envelope {
  readonly i: number;
  readonly p: string;
  readonly r: LogRecord;
}

/**
 * Encodes an envelope as its stored bytes (RFC 8785 canonical JSON, no newline).
 *
 * @example
 * ```ts
 * const line = encodeEnvelope({ i: 0, p: '', r: event });
 * const hash = leafHash(Buffer.from(line, 'utf8')); // what the next record's `p` carries, in hex
 * ```
 */
export function encodeEnvelope(envelope: Envelope): string {
  return canonicalJson(envelope);
}

const principalRef = z.strictObject({
  kind: z.enum(['human', 'agent', 'service']),
  id: z.string().min(1),
  issuer: z.string().optional(),
  name: z.string().optional(),
  assurance: z.enum(['verified', 'asserted', 'claimed']),
  owner: z.string().optional(),
  purpose: z.string().optional(),
  via: z.string().optional(),
});
const inboundRecord = z.strictObject({
  jti: z.string(),
  // records written before the audience was recorded lack it
  audience: z.array(z.string()).optional(),
  issuer: z.string(),
  expiresAt: z.number(),
  intentDigest: z.string().optional(),
  requester: z
    .strictObject({ issuer: z.string(), assurance: z.enum(['verified', 'asserted', 'claimed']) })
    .optional(),
  callerLog: z.string().optional(),
  callerSpanId: z.string().optional(),
  missing: z.array(z.enum(['intentDigest', 'requester', 'callerLog', 'callerSpanId'])).optional(),
});
const base = {
  // 2: a decision record may carry its shared evaluated context by reference (`decision.sharedContext`)
  v: z.union([z.literal(1), z.literal(2)]),
  id: z.string().min(1),
  time: z.iso.datetime(),
  service: z.string(),
  taskId: z.string().min(1),
  parentTaskId: z.string().optional(),
  correlationId: z.string().min(1),
  traceId: z
    .string()
    .regex(/^[0-9a-f]{32}$/)
    .optional(),
  spanId: z
    .string()
    .regex(/^[0-9a-f]{16}$/)
    .optional(),
  requester: principalRef.nullable(),
  chain: z.array(principalRef),
  autonomous: z.boolean(),
  intent: z.string().optional(),
  conversationId: z.string().optional(),
};
const credentialRef = z.object({
  jti: z.string(),
  type: z.string(),
  audience: z.string().optional(),
  expiresAt: z.number(),
});
const refusal = z.object({
  code: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
const callRecord = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  risk: z.enum(['low', 'medium', 'high']),
  permission: z.string(),
  audience: z.string().optional(),
  resource: z.object({ type: z.string(), id: z.string() }).passthrough().optional(),
  argsDigest: z.string().optional(),
  args: z.unknown().optional(),
  framework: z.object({ name: z.string(), ids: z.record(z.string(), z.string()).optional() }).optional(),
});
const approval = z.object({
  approved: z.boolean(),
  approver: principalRef.nullable(),
  bindingHash: z.string(),
  reason: z.string().optional(),
  expiresAt: z.number().optional(),
  approverToken: z.strictObject({ jti: z.string().min(1), expiresAt: z.number() }).optional(),
});
/** What a callee returned about one call (receipt, refusal): the callee's claims, as received. */
const remoteCall = z.object({
  via: z.enum(['mcp', 'http']),
  by: z.string(),
  tool: z.string().optional(),
  receipt: z
    .object({ log: z.string(), index: z.number().int().nonnegative(), leafHash: z.string() })
    .optional(),
  refusal: z.object({ code: z.string(), message: z.string().optional() }).optional(),
  problem: z.string().optional(),
});
const decisionRecord = z.object({
  effect: z.enum(['allow', 'deny', 'approval_required']),
  policyIds: z.array(z.string()),
  reasons: z.array(z.string()),
  decisionId: z.string(),
  engine: z.string(),
  evaluatedContext: z.unknown().optional(),
  obligations: z.array(z.unknown()).optional(),
  errors: z.array(z.string()).optional(),
  policySetDigest: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/)
    .optional(),
  sharedContext: z
    .strictObject({
      digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
      value: z
        .strictObject({
          context: z.record(z.string(), z.unknown()),
          subject: z.object({
            type: z.string(),
            id: z.string(),
            properties: z.record(z.string(), z.unknown()),
          }),
        })
        .optional(),
    })
    .optional(),
});

/**
 * The zod schema of every stored record (versioned by `v`). `writ verify --deep` checks each record
 * against it; the hash chain and checkpoints are what make tampering detectable.
 *
 * @example
 * ```ts
 * const { i, r } = JSON.parse(line) as { i: number; r: unknown };
 * const parsed = logRecordSchema.safeParse(r);
 * if (!parsed.success) console.error(`record ${i} is not a valid Writ record: ${parsed.error.message}`);
 * ```
 */
export const logRecordSchema = z.discriminatedUnion('kind', [
  z.object({
    ...base,
    kind: z.literal('task-start'),
    scope: z.array(z.string()),
    credential: credentialRef.optional(),
    inbound: inboundRecord.optional(),
    status: z.enum(['started', 'refused']),
    refusal: refusal.optional(),
  }),
  z.object({
    ...base,
    kind: z.literal('decision'),
    call: callRecord,
    decision: decisionRecord,
    scopeDrift: z.object({ permission: z.string(), scope: z.array(z.string()) }).optional(),
    refusal: refusal.optional(),
    approval: approval.optional(),
    credential: credentialRef.optional(),
  }),
  z.object({
    ...base,
    kind: z.literal('approval-requested'),
    call: callRecord,
    decision: decisionRecord,
    bindingHash: z.string(),
    expiresAt: z.number(),
    mode: z.enum(['framework', 'suspend']),
  }),
  z.object({ ...base, kind: z.literal('approval'), call: callRecord, decisionId: z.string(), approval }),
  z.object({
    ...base,
    kind: z.literal('outcome'),
    call: z.object({ id: z.string(), name: z.string() }),
    outcome: z.object({
      status: z.enum(['ok', 'error', 'refused', 'suspended', 'replayed']),
      errorCode: z.string().optional(),
      durationMs: z.number(),
      resultDigest: z.string().optional(),
      result: z.unknown().optional(),
      remote: z.array(remoteCall).optional(),
    }),
    decisionIndex: z.number().int().nonnegative().optional(),
  }),
  z.object({
    ...base,
    kind: z.literal('revocation'),
    credentials: z.array(credentialRef),
    reason: z.string(),
  }),
  z.object({
    ...base,
    kind: z.literal('task-end'),
    status: z.enum(['ok', 'error', 'abandoned']),
    errorCode: z.string().optional(),
    durationMs: z.number(),
    revoked: z.array(credentialRef).optional(),
  }),
  z.strictObject({ v: z.literal(1), kind: z.literal('checkpoint'), note: z.string().min(1) }),
  ...fleetRecordSchemas,
]);
