// Every record the pipeline and tasks write is built here, and appended through `appendEvent`. Every
// object literal lists its keys in canonical (sorted) order, and `auditEvent` (record-base.ts) merges the
// common fields with a record's own in sorted order too, so records serialise on canonicalJson's fast path
// (native JSON.stringify, same bytes as RFC 8785). Keep new fields sorted; records.test.ts checks every kind.
import type { Attribution } from '../attribution.js';
import type {
  ApprovalRecord,
  AuditEvent,
  CallRecord,
  DecisionRecord,
  OutcomeEvent,
  RefusalRecord,
} from '../audit-event.js';
import { canonicalJson, digest, withSortedKeys } from '../canonical-json.js';
import type { Config } from '../config.js';
import { type Credential, toCredentialRef } from '../credential.js';
import type { AuthorizationRequest, Decision } from '../decision.js';
import { WritError, type WritErrorCode } from '../errors.js';
import type { AuditReceipt, Durability } from '../interfaces.js';
import { redact } from '../redact.js';
import type { SettledCall } from '../stores/call-ledger.js';
import { NEVER, withTimeLimit } from './deadline.js';
import { recordedResult } from './lazy-results.js';
import { auditEvent } from './record-base.js';
import { appendFailed, type SplitRecord, splitForRecord } from './shared-contexts.js';
import type { CallRun } from './state.js';
import { appendSequence, strictAcknowledged } from './sync-cover.js';

export { principalRefs } from './record-base.js';

/**
 * Records written after what they describe already happened (the tool ran, the task ended): under `strict`
 * acknowledged once written (`batched`); the records that must precede an action stay `strict`.
 */
const AFTER_THE_FACT: ReadonlySet<AuditEvent['kind']> = new Set(['outcome', 'revocation', 'task-end']);

/**
 * Appends an event with the configured durability (or `asked`) and deadline; `WRIT_AUDIT_UNAVAILABLE`.
 * `withNext`: the sink may write it with the next record (`AppendOptions.writeWithNext`).
 */
export async function appendEvent(
  config: Config,
  event: AuditEvent,
  signal?: AbortSignal,
  asked?: Durability,
  withNext = false,
): Promise<AuditReceipt> {
  const durability =
    asked ??
    (config.durability === 'strict' && AFTER_THE_FACT.has(event.kind) ? 'batched' : config.durability);
  const sink = config.audit;
  if (sink === undefined) {
    throw new WritError('WRIT_AUDIT_UNAVAILABLE', 'no audit sink is configured: pass `audit` to createWrit', {
      details: { kind: event.kind },
    });
  }
  const sequence = appendSequence(sink);
  try {
    const receipt = await withTimeLimit(
      config.timeouts.auditMs,
      signal ?? NEVER,
      () => sink.append(event, withNext ? { durability, writeWithNext: true } : { durability }),
      () =>
        new WritError(
          'WRIT_AUDIT_UNAVAILABLE',
          `audit sink "${sink.name}" did not acknowledge within ${config.timeouts.auditMs} ms`,
        ),
    );
    if (typeof receipt !== 'object' || receipt === null || typeof receipt.index !== 'number') {
      throw new WritError('WRIT_AUDIT_UNAVAILABLE', `audit sink "${sink.name}" returned no receipt`);
    }
    if (durability === 'strict') strictAcknowledged(sink, sequence);
    return receipt;
  } catch (error) {
    appendFailed(event);
    if (WritError.isInstance(error, 'WRIT_AUDIT_UNAVAILABLE')) throw error;
    throw new WritError(
      'WRIT_AUDIT_UNAVAILABLE',
      `audit sink "${sink.name}" failed to append the ${event.kind} record: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { kind: event.kind } },
    );
  }
}

/** Appends a record nothing waits on; a failure is reported (`onError`), never thrown. */
export async function appendQuietly(config: Config, event: AuditEvent): Promise<AuditReceipt | undefined> {
  try {
    return await appendEvent(config, event);
  } catch (error) {
    config.report(WritError.isInstance(error) ? error : toAuditUnavailable(error));
    return undefined;
  }
}

const toAuditUnavailable = (error: unknown) =>
  new WritError('WRIT_AUDIT_UNAVAILABLE', 'the audit record could not be written', { cause: error });

// ---- tasks ------------------------------------------------------------------------------------------

/** How a task was opened, beside its attribution (what its task-start record says of it). */
export interface TaskOpening {
  /** It continues a task opened earlier (`writ.task({ resume })`). */
  readonly resumed?: boolean | undefined;
  /** Its correlation id came from unsigned incoming baggage. */
  readonly correlationUnverified?: boolean | undefined;
}

/** The record that opens a task (`status: 'started'`), or says it was refused (with the refusal). */
export function taskStartEvent(
  config: Config,
  attribution: Attribution,
  refusal?: WritError,
  opening: TaskOpening = {},
) {
  return auditEvent(config, attribution, undefined, {
    correlationUnverified: opening.correlationUnverified === true ? (true as const) : undefined,
    credential: refusal === undefined ? attribution.credential : undefined,
    inbound: refusal === undefined ? attribution.inbound : undefined,
    kind: 'task-start' as const,
    refusal: refusal === undefined ? undefined : refusalRecord(refusal),
    resumed: opening.resumed === true ? (true as const) : undefined,
    scope: attribution.scope,
    status: refusal === undefined ? ('started' as const) : ('refused' as const),
  });
}

/** The record that closes a task, with the credentials revoked as it ended (by reference). */
export function taskEndEvent(
  config: Config,
  attribution: Attribution,
  status: 'ok' | 'error',
  errorCode: string | undefined,
  durationMs: number,
  revoked: readonly Credential[] = [],
) {
  return auditEvent(config, attribution, undefined, {
    durationMs,
    errorCode,
    kind: 'task-end' as const,
    revoked: revoked.length === 0 ? undefined : revoked.map(toCredentialRef),
    status,
  });
}

/** The record of credentials revoked on their own (a task whose start failed; a reaper). */
export function revocationEvent(
  config: Config,
  attribution: Attribution,
  credentials: readonly Credential[],
  reason: string,
) {
  return auditEvent(config, attribution, undefined, {
    credentials: credentials.map(toCredentialRef),
    kind: 'revocation' as const,
    reason,
  });
}

// ---- calls ------------------------------------------------------------------------------------------

/** What records keep of the call in flight (arguments only when capture is on, redacted). */
function callRecord(run: CallRun): CallRecord {
  const { call, config } = run;
  const record = {} as { -readonly [K in keyof CallRecord]: CallRecord[K] };
  if (config.capture.args) record.args = captured(config, call.args);
  if (call.argsDigest !== undefined) record.argsDigest = call.argsDigest;
  if (call.audience !== undefined) record.audience = call.audience;
  if (run.options.framework !== undefined) record.framework = run.options.framework;
  record.id = call.id;
  record.name = call.name;
  record.permission = call.permission;
  if (call.resource !== undefined) record.resource = call.resource;
  record.risk = call.risk;
  record.type = call.type;
  return record;
}

/** The decision record of a call: allowed (no refusal), or refused with why (with or without a decision). */
export function decisionEvent(run: CallRun, refusal: WritError | undefined) {
  const { config, decision: d } = run;
  const split = d && splitForRecord(run.attribution, config.audit, d.evaluatedContext);
  const decision = decisionRecordOf(run, refusal, split);
  return auditEvent(config, run.attribution, run.span, {
    approval: run.approvalRecord,
    call: callRecord(run),
    credential: run.credential === undefined ? undefined : toCredentialRef(run.credential),
    decision,
    kind: 'decision' as const,
    refusal: refusal === undefined ? undefined : refusalRecord(refusal),
    scopeDrift:
      run.request?.context.inScope === false
        ? { permission: run.call.permission, scope: run.attribution.scope }
        : undefined,
  });
}

/** What a record keeps of a call's decision (refused before any: saying so); `split`: shared part by digest. */
function decisionRecordOf(run: CallRun, refusal?: WritError, split?: SplitRecord): DecisionRecord {
  const { config } = run;
  const d = run.decision;
  return d === undefined
    ? {
        decisionId: config.generateId(),
        effect: 'deny',
        engine: 'writ',
        policyIds: [],
        reasons: [refusal?.message ?? 'refused'],
      }
    : decisionRecordFrom(d, split);
}

/** A decision as its record keeps it, keys in canonical order (the evaluated context split by `split`). */
function decisionRecordFrom(d: Decision, split: SplitRecord): DecisionRecord {
  const record = {
    decisionId: d.decisionId,
    effect: d.effect,
    engine: d.engine,
  } as { -readonly [K in keyof DecisionRecord]: DecisionRecord[K] };
  if (d.errors !== undefined) record.errors = d.errors;
  record.evaluatedContext = (split?.evaluatedContext ?? d.evaluatedContext) as AuthorizationRequest;
  if (d.obligations !== undefined) record.obligations = d.obligations;
  record.policyIds = d.policyIds;
  if (d.policySetDigest !== undefined) record.policySetDigest = d.policySetDigest;
  record.reasons = d.reasons;
  if (split !== undefined) record.sharedContext = split.sharedContext;
  return record;
}

/** The record that approval was asked for a call: written once, when it is first asked. */
export function approvalRequestedEvent(
  run: CallRun,
  approval: {
    readonly bindingHash: string;
    readonly expiresAt: number;
    readonly mode: 'framework' | 'suspend';
  },
) {
  return auditEvent(run.config, run.attribution, run.span, {
    bindingHash: approval.bindingHash,
    call: callRecord(run),
    decision: decisionRecordOf(run, undefined),
    expiresAt: approval.expiresAt,
    kind: 'approval-requested' as const,
    mode: approval.mode,
  });
}

/** The record of an approver's answer (given or declined), bound to the call and its decision. */
export function approvalEvent(run: CallRun, approval: ApprovalRecord, decisionId: string) {
  return auditEvent(run.config, run.attribution, run.span, {
    approval,
    call: callRecord(run),
    decisionId,
    kind: 'approval' as const,
  });
}

/** How a call ended: its status, time, result digest (and result when capture is on), refusal code. */
export function outcomeEvent(
  run: CallRun,
  status: OutcomeEvent['outcome']['status'],
  durationMs: number,
  errorCode: WritErrorCode | string | undefined,
  result: unknown,
) {
  const { config } = run;
  const outcome = { durationMs } as { -readonly [K in keyof Outcome]: Outcome[K] };
  if (errorCode !== undefined) outcome.errorCode = errorCode;
  const data = recordedResult(result);
  const remote = run.remote.close();
  if (remote.length > 0) outcome.remote = remote.slice();
  if (status === 'ok' && config.capture.results) outcome.result = captured(config, data);
  if (status === 'ok') outcome.resultDigest = run.resultDigest = digest(data);
  outcome.status = status;
  return auditEvent(config, run.attribution, run.span, {
    call: { id: run.call.id, name: run.call.name },
    decisionIndex: run.decisionReceipt?.index,
    kind: 'outcome' as const,
    outcome,
  });
}

type Outcome = OutcomeEvent['outcome'];

/**
 * The record of a call replayed for the task that asked (the framework ran a call that already ran): no
 * execution, the recorded result returned, pointing at the call's decision record.
 */
export function replayEvent(
  config: Config,
  attribution: Attribution,
  call: { readonly id: string; readonly name: string },
  settled: SettledCall,
  decisionIndex: number | undefined,
) {
  const outcome = { durationMs: 0 } as { -readonly [K in keyof Outcome]: Outcome[K] };
  if (!settled.ok) {
    const error = settled.error;
    outcome.errorCode = WritError.isInstance(error)
      ? error.code
      : error instanceof Error
        ? error.name
        : 'Error';
  }
  if (settled.ok) outcome.resultDigest = digest(settled.value);
  outcome.status = 'replayed';
  return auditEvent(config, attribution, undefined, {
    call: { id: call.id, name: call.name },
    decisionIndex,
    kind: 'outcome' as const,
    outcome,
  });
}

function refusalRecord(error: WritError): RefusalRecord {
  return Object.keys(error.details).length === 0
    ? { code: error.code, message: error.message }
    : { code: error.code, details: withSortedKeys(error.details), message: error.message };
}

/**
 * A value as records and spans may keep it: its canonical form (what `toJSON` makes of it), redacted,
 * as canonical JSON — or a marker when it has no JSON form.
 */
export function redactedJson(config: Config, value: unknown): string {
  try {
    const canonical = canonicalJson(value === undefined ? null : value);
    return config.redact.length === 0
      ? canonical
      : canonicalJson(redact(JSON.parse(canonical), config.redact));
  } catch {
    return '"[unserialisable]"';
  }
}

function captured(config: Config, value: unknown): unknown {
  return JSON.parse(redactedJson(config, value));
}
