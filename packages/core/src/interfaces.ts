import type { Attribution } from './attribution.js';
import type { ApproverToken, AuditEvent } from './audit-event.js';
import type { Credential } from './credential.js';
import type { AuthorizationRequest, Decision } from './decision.js';
import type { Principal } from './principal.js';
import type { ToolCall } from './tool-call.js';

/**
 * Options passed to every provider call.
 *
 * @example
 * ```ts
 * async function decide(request: AuthorizationRequest, options: CallOptions): Promise<Decision> {
 *   // pass the signal on: it fires when the pipeline's policy deadline passes
 *   const response = await fetch('https://pdp.example.com/decide', { method: 'POST', body: JSON.stringify(request), signal: options.signal });
 *   return (await response.json()) as Decision;
 * }
 * const remote: PolicyEngine = { name: 'remote', decide };
 * ```
 */
export interface CallOptions {
  /** Aborted when the caller gives up or the pipeline's timeout for this step fires. */
  readonly signal: AbortSignal;
}

/**
 * Establishes who is who: verifies the human requester's token and resolves an agent's workload identity.
 * Implementations: local authority, OIDC, SPIFFE (`@writ/identity`); in-memory (`@writ/core/testing`).
 * Throw a `WritError` with code `WRIT_IDENTITY_INVALID` (or a more specific token code) to refuse.
 *
 * @example
 * ```ts
 * const identity: IdentityProvider = {
 *   name: 'static',
 *   verifyRequester: async (token) => { if (token !== 'ok') throw new WritError('WRIT_IDENTITY_INVALID', 'bad token'); return { kind: 'human', id: 'alice', assurance: 'verified' }; },
 *   agentIdentity: async (agent) => ({ kind: 'agent', id: `spiffe://example.org/agent/${agent}`, name: agent, assurance: 'verified' }),
 * };
 * ```
 */
export interface IdentityProvider {
  readonly name: string;
  /** Verifies a requester credential (e.g. an OIDC ID token) and returns the human it names. */
  verifyRequester(credential: string, options: CallOptions): Promise<Principal>;
  /** The workload identity of the named agent (e.g. its JWT-SVID's SPIFFE ID). */
  agentIdentity(agent: string, options: CallOptions): Promise<Principal>;
}

/**
 * Judges one authorization request. Throwing, timing out or answering something malformed is a deny
 * (`WRIT_PDP_UNAVAILABLE`): the pipeline fails closed.
 *
 * @example
 * ```ts
 * const readOnly: PolicyEngine = {
 *   name: 'read-only',
 *   decide: async (request) => ({ effect: request.action.properties.risk === 'low' ? 'allow' : 'deny', policyIds: ['read-only'], reasons: [], decisionId: crypto.randomUUID(), engine: 'read-only', evaluatedContext: request }),
 * };
 * ```
 */
export interface PolicyEngine {
  readonly name: string;
  /**
   * True when the same request always gets the same decision (no clock, no external data). Only such
   * engines may sit behind a decision cache.
   */
  readonly deterministic?: boolean;
  decide(request: AuthorizationRequest, options: CallOptions): Promise<Decision>;
}

/**
 * What a broker is asked for at task start or delegation.
 *
 * @example
 * ```ts
 * async function issueTaskCredential({ attribution, parent }: TaskCredentialRequest, { signal }: CallOptions): Promise<Credential> {
 *   const minted = await sts.mintTaskToken({ txn: attribution.taskId, sub: attribution.requester?.id, actors: attribution.chain.map((p) => p.id), scope: attribution.scope, parent: parent?.jti }, signal);
 *   return createCredential({ token: minted.token, jti: minted.jti, type: 'urn:ietf:params:oauth:token-type:txn_token', scope: attribution.scope, expiresAt: minted.expiresAt });
 * }
 * ```
 */
export interface TaskCredentialRequest {
  readonly attribution: Attribution;
  /** The parent task's credential when delegating (its scope bounds the child's). */
  readonly parent?: Credential | undefined;
  /** Origin of this instance's evidence log (`AuditSink.origin`), for the token's `tctx.caller_log`. */
  readonly log?: string | undefined;
}

/**
 * What a broker is asked for per call.
 *
 * @example
 * ```ts
 * async function credentialFor({ call, audience, taskCredential }: CallCredentialRequest, { signal }: CallOptions): Promise<Credential> {
 *   // RFC 8693 token exchange: the task token for a token bound to one audience
 *   const answer = await sts.exchange({ subjectToken: taskCredential?.token, audience, scope: call.permission }, signal);
 *   return createCredential({ token: answer.access_token, jti: answer.jti, type: 'urn:ietf:params:oauth:token-type:access_token', audience, scope: [call.permission], expiresAt: Date.now() + answer.expires_in * 1000 });
 * }
 * ```
 */
export interface CallCredentialRequest {
  readonly attribution: Attribution;
  readonly call: ToolCall;
  readonly audience: string;
  /** The task credential the call's credential is derived from. */
  readonly taskCredential?: Credential | undefined;
  /**
   * Origin of this instance's evidence log (`AuditSink.origin`): a credential for another service
   * carries it (`tctx.caller_log`) so the callee can name the caller's log.
   */
  readonly log?: string | undefined;
  /**
   * W3C span id of the call asking (its `execute_tool` span, or the span active at the hop): a
   * credential for another service carries it (`tctx.caller_span`). A broker that reuses a credential
   * for later calls keeps the span of the call that obtained it.
   */
  readonly spanId?: string | undefined;
}

/**
 * Issues just-in-time, task-scoped, short-lived credentials and revokes them when the task ends.
 *
 * @example
 * ```ts
 * const broker = createInMemoryCredentialBroker(); // from '@writ/core/testing'
 * const writ = createWrit({ credentials: broker, ... });
 * ```
 */
export interface CredentialBroker {
  readonly name: string;
  /** The task token minted at `writ.task` / `writ.delegate` start. */
  issueTaskCredential(request: TaskCredentialRequest, options: CallOptions): Promise<Credential>;
  /** A credential for one audience, derived from the task credential (cached per task and audience). */
  credentialFor(request: CallCredentialRequest, options: CallOptions): Promise<Credential>;
  /**
   * Optional: a fresh task token for a running task whose current one is about to expire. Called at most
   * once at a time per task, when a call finds less than `WRIT_DEFAULTS.renewTaskCredentialBeforeMs` left.
   */
  renewTaskCredential?(
    request: TaskCredentialRequest & { readonly credential: Credential },
    options: CallOptions,
  ): Promise<Credential>;
  /**
   * Revokes the credentials issued for one run of the task (`options.runId`: every run when absent);
   * returns what was revoked. A task continued by several requests at once (a service serving parallel
   * calls of one caller task) has one run per request: ending one never revokes another's credentials.
   */
  revokeTask(taskId: string, options: RevokeTaskOptions): Promise<readonly Credential[]>;
}

/**
 * Options of {@link CredentialBroker.revokeTask}.
 *
 * @example
 * ```ts
 * await broker.revokeTask(attribution.taskId, { signal, runId: attribution.runId });
 * ```
 */
export interface RevokeTaskOptions extends CallOptions {
  /** The run whose credentials end (`Attribution.runId`); every run of the task when absent. */
  readonly runId?: string | undefined;
}

/**
 * Where a broker keeps what it issued: one key per run of a task (`taskId` + `Attribution.runId`).
 *
 * @example
 * ```ts
 * const key = runKey(request.attribution); // 'task-1\u0000run-7'
 * ```
 */
export function runKey(attribution: {
  readonly taskId: string;
  readonly runId?: string | undefined;
}): string {
  return `${attribution.taskId}\u0000${attribution.runId ?? ''}`;
}

/**
 * Acknowledgement that an event is in the log.
 *
 * @example
 * ```ts
 * const receipt: AuditReceipt = await sink.append(event, { durability: 'strict' });
 * console.log(`${receipt.log} #${receipt.index} ${receipt.leafHash}`); // decision records' receipts become `writ.audit.index`
 * ```
 */
export interface AuditReceipt {
  /** Log identity (origin line of the log's checkpoints). */
  readonly log: string;
  /** Zero-based index of the event in that log. */
  readonly index: number;
  /** Hex leaf hash of the stored bytes. */
  readonly leafHash: string;
}

/**
 * How durable an event must be before `append` resolves (see {@link AppendOptions}).
 *
 * @example
 * ```ts
 * const durability: Durability = process.env.NODE_ENV === 'production' ? 'strict' : 'async';
 * const writ = createWrit({ durability, policy, audit });
 * ```
 */
export type Durability = 'strict' | 'batched' | 'async';

/**
 * Options for {@link AuditSink.append}.
 *
 * @example
 * ```ts
 * import { createHash } from 'node:crypto';
 * import { open } from 'node:fs/promises';
 *
 * const file = await open('audit.jsonl', 'a');
 * let next = 0;
 * const fileSink: AuditSink = {
 *   name: 'jsonl-file',
 *   append: async (event, options: AppendOptions) => {
 *     const line = canonicalJson(event);
 *     const index = next++;
 *     await file.appendFile(`${line}\n`);
 *     if (options.durability === 'strict') await file.datasync(); // on disk before the tool may run
 *     const leafHash = createHash('sha256').update(Buffer.from([0])).update(line).digest('hex'); // RFC 6962 leaf
 *     return { log: 'jsonl-file', index, leafHash };
 *   },
 *   close: () => file.close(),
 * };
 * ```
 */
export interface AppendOptions {
  /**
   * - `strict`: resolve once the event is durable (e.g. after `fdatasync`; group commit allowed).
   * - `batched`: resolve once the event is written; durability follows within the sink's flush interval.
   * - `async`: resolve once the event is queued.
   */
  readonly durability: Durability;
  /**
   * Nobody waits for this record alone: the sink may hold its write back and write it with the next
   * record appended after it (one write for both), or on its own on the next turn of the event loop; it
   * resolves once written, as asked by `durability`. Writ sets it on a task's start record when the sink
   * declares `orderedSync` (it then checks the start was written before the task's first tool runs, a
   * hop credential leaves and the task returns). A sink may ignore it.
   * @default false
   */
  readonly writeWithNext?: boolean | undefined;
}

/**
 * Where evidence goes. `append` must resolve only when the event is as durable as asked; rejecting
 * means the tool will not run. Implementations: file, PostgreSQL, OTel logs (`@writ/audit`); in-memory
 * (`@writ/core/testing`).
 *
 * @example
 * ```ts
 * const sink = createInMemoryAuditSink(); // from '@writ/core/testing'
 * const writ = createWrit({ audit: sink });
 * ```
 */
export interface AuditSink {
  readonly name: string;
  /**
   * The log's identity (the origin line of its checkpoints, as receipts name it), when known before the
   * first append: credentials for other services carry it so their records can name this log.
   */
  readonly origin?: string | undefined;
  /**
   * A `strict` append also makes every record appended before it durable (one file written in order;
   * a database whose log is flushed in order). Writ then appends a task's start record under `strict`
   * without a sync of its own: the task's first strict record (a call's decision) covers it, and a task
   * that writes none syncs it with `flush` before a hop credential leaves the process and before the
   * task returns. Sinks that do not declare it get their own sync for every task start.
   * @default false
   */
  readonly orderedSync?: boolean | undefined;
  append(event: AuditEvent, options: AppendOptions): Promise<AuditReceipt>;
  /** Makes everything appended so far durable. */
  flush?(): Promise<void>;
  /** Flushes and releases resources. */
  close?(): Promise<void>;
}

/**
 * What an approver is shown and what the answer must be bound to.
 *
 * @example
 * ```ts
 * const slackApprovals: ApprovalHandler = {
 *   name: 'slack',
 *   requestApproval: async (request: ApprovalRequest, { signal }) => {
 *     const who = request.attribution.requester?.id ?? 'an autonomous agent';
 *     const answer = await slack.ask('#approvals', `${who} wants ${request.call.name}: ${request.decision.reasons.join('; ')}`, { until: request.expiresAt, signal });
 *     return { approved: answer.approved, approver: answer.user, bindingHash: request.bindingHash };
 *   },
 * };
 * ```
 */
export interface ApprovalRequest {
  readonly call: ToolCall;
  readonly attribution: Attribution;
  readonly decision: Decision;
  /** `sha256:<hex>` of the call, task, requester, agent, arguments and decision (`approvalBindingHash`). An answer must echo it. */
  readonly bindingHash: string;
  /** Epoch ms after which an answer is refused. */
  readonly expiresAt: number;
}

/**
 * An approver's answer.
 *
 * @example
 * ```ts
 * const response: ApprovalResponse = {
 *   approved: true,
 *   approver: { kind: 'human', id: 'bob@example.com', assurance: 'verified' },
 *   bindingHash: request.bindingHash, // echo the request's: an answer for another call is refused
 *   reason: 'customer confirmed by phone',
 * };
 * ```
 */
export interface ApprovalResponse {
  readonly approved: boolean;
  /** Who answered. Required when `approved`. */
  readonly approver?: Principal | undefined;
  /** Must equal the request's `bindingHash`: an answer for another call is refused. */
  readonly bindingHash: string;
  readonly reason?: string | undefined;
  /** For a `verified` approver: the token that proved who answered (recorded with the approval). */
  readonly approverToken?: ApproverToken | undefined;
}

/**
 * Asks a human (or a queue, a chat-ops bot, a framework's native human-in-the-loop) to approve a call.
 *
 * @example
 * ```ts
 * const approvals: ApprovalHandler = {
 *   name: 'cli',
 *   requestApproval: async (request) => ({ approved: await confirm(`${request.call.name}?`), approver: bob, bindingHash: request.bindingHash }),
 * };
 * ```
 */
export interface ApprovalHandler {
  readonly name: string;
  requestApproval(request: ApprovalRequest, options: CallOptions): Promise<ApprovalResponse>;
}
