import type { Span } from '@opentelemetry/api';
import type { ApprovalRecord } from '../audit-event.js';
import type { Config } from '../config.js';
import type { TaskState } from '../context.js';
import type { Credential } from '../credential.js';
import type { AuthorizationRequest, Decision } from '../decision.js';
import type { ApprovalResponse, AuditReceipt } from '../interfaces.js';
import type { CallState } from '../middleware.js';
import type { Principal } from '../principal.js';
import type { CallKey, LedgerEntry } from '../stores/call-ledger.js';
import type { ExecuteOptions } from '../tool.js';
import type { ToolCall } from '../tool-call.js';
import type { ToolContext } from '../tool-context.js';
import type { ToolDefinition } from '../tool-definition.js';
import type { CheckedCall } from './checked-calls.js';
import { NEVER } from './deadline.js';
import { newRemoteCalls, type RemoteCalls } from './remote-calls.js';

/** The implementation a call finally runs (a tool's `execute`, a framework tool's own function). */
export type Invoke = (args: unknown, ctx: ToolContext) => unknown;

/**
 * An approval given through the agent framework's own flow (AI SDK tool approval, LangGraph
 * `interrupt()`, OpenAI Agents interruptions, Mastra suspend/resume, MCP elicitation). Writ accepts it
 * only for a call it asked approval for itself (see `AdaptedTool.check`), bound to the same tool call id,
 * tool, arguments and agent, and before the approval expires.
 *
 * @example
 * ```ts
 * const approval: FrameworkApproval = {
 *   approved: true,
 *   approver: { kind: 'human', id: 'bob@example.com', assurance: 'verified' },
 *   reason: 'confirmed with the customer',
 * };
 * await adapted.run(args, { toolCallId, approval }); // refused unless check() asked approval for this call
 * ```
 */
export interface FrameworkApproval {
  readonly approved: boolean;
  /** Who answered. @default the task's requester (the person in the conversation) */
  readonly approver?: Principal | undefined;
  readonly reason?: string | undefined;
}

/**
 * How a call needing approval waits for its answer. `block`: the configured approval handler is asked and
 * the call waits for it (one process, short waits). `suspend`: the call is refused at once with
 * `WRIT_APPROVAL_PENDING` (binding hash, expiry, call and task ids) and the approval left open in the
 * approval store; the same call run again — in any process sharing the stores — finds the answer and runs
 * (or is refused when the answer was no, or never came before it expired).
 *
 * @example
 * ```ts
 * const writ = createWrit({ policy, audit, stores, approvalMode: 'suspend' satisfies ApprovalMode });
 * ```
 */
export type ApprovalMode = 'block' | 'suspend';

/**
 * The agent framework behind a call, recorded with it (`call.framework` in decision records).
 *
 * @example
 * ```ts
 * // join Writ's evidence with the framework's own traces
 * function frameworkOf(event: DecisionEvent): FrameworkRef | undefined {
 *   return event.call.framework; // e.g. { name: 'langgraph', ids: { threadId: 'thread-12', runId: 'run-3' } }
 * }
 * ```
 */
export interface FrameworkRef {
  /** e.g. `ai-sdk`, `langgraph`, `openai-agents`, `mcp`, `mastra`. */
  readonly name: string;
  /** The framework's own ids for the call (trace id, span id, run id, thread id, …). */
  readonly ids?: Readonly<Record<string, string>> | undefined;
}

/** Per-call options of a pipeline run (tools' `execute` options plus what adapters add). */
export interface RunOptions extends ExecuteOptions {
  /** Remember the call by its tool call id: one decision, one approval, one execution. */
  readonly ledger?: boolean | undefined;
  readonly approval?: FrameworkApproval | undefined;
  /** How this call waits for an approval. @default the instance's `approvalMode` */
  readonly approvalMode?: ApprovalMode | undefined;
  readonly framework?: FrameworkRef | undefined;
  /**
   * Errors by which the framework pauses a running tool (LangGraph's own `interrupt()` inside a tool):
   * recorded as outcome `suspended`, not remembered as the call's result, so the call runs again when
   * the framework resumes it (under the same decision).
   */
  readonly isSuspension?: ((error: unknown) => boolean) | undefined;
}

/**
 * One call in flight. What it starts from is read-only; each stage fills in its own results, in
 * pipeline order (middleware sees them through {@link CallState}):
 * `call` (validated by 1-validate) → `request`, `decision` (2-authorize) → `approval` (3-approve) →
 * `credential` (4-credential) → `decisionReceipt` (the decision record, run.ts) → `executed` (5-execute).
 */
export interface CallRun extends CallState {
  readonly config: Config;
  readonly task: TaskState;
  readonly def: ToolDefinition;
  /** The arguments as the caller gave them (validated into `call.args`). */
  readonly rawArgs: unknown;
  readonly invoke: Invoke;
  readonly options: RunOptions;
  /** The ledger key when the call is remembered by its tool call id. */
  readonly key: CallKey | undefined;
  /** What the ledger held for the call when it was claimed (e.g. the decision `check` made). */
  remembered: LedgerEntry | undefined;
  /** What `check` worked out for these very arguments (1-validate reuses it instead of redoing it). */
  readonly checked: CheckedCall | undefined;
  /** Starts as what the definition says; 1-validate fills in args, digest, resource, classification. */
  call: ToolCall;
  request: AuthorizationRequest | undefined;
  decision: Decision | undefined;
  /** The decision came from the call ledger (decided earlier by `check`). */
  fromLedger: boolean;
  approval: ApprovalResponse | undefined;
  approvalRecord: ApprovalRecord | undefined;
  credential: Credential | undefined;
  decisionReceipt: AuditReceipt | undefined;
  /** The decision record (allowed or refused) was written or attempted: never twice. */
  decisionSettled: boolean;
  /** The tool itself started. */
  executed: boolean;
  /** Digest of the result as the outcome record has it, once written: the call ledger keeps the same. */
  resultDigest: string | undefined;
  /** What the services the tool reached returned (receipts, refusals), for the outcome record. */
  readonly remote: RemoteCalls;
}

/** A fresh {@link CallRun} for a call of `def` with `rawArgs`, before any stage ran. */
export function newCallRun(input: {
  readonly config: Config;
  readonly task: TaskState;
  readonly def: ToolDefinition;
  readonly rawArgs: unknown;
  readonly rawDigest: string;
  readonly options: RunOptions;
  readonly invoke: Invoke;
  readonly span: Span;
  readonly callId: string;
  readonly key: CallKey | undefined;
  readonly checked?: CheckedCall | undefined;
}): CallRun {
  const { def, task, options } = input;
  return {
    config: input.config,
    task,
    def,
    rawArgs: input.rawArgs,
    invoke: input.invoke,
    options,
    key: input.key,
    remembered: undefined,
    checked: input.checked,
    attribution: task.attribution,
    span: input.span,
    signal: options.signal ?? task.signal ?? NEVER,
    call: {
      id: input.callId,
      name: def.name,
      description: def.description,
      type: def.type,
      args: input.rawArgs,
      argsDigest: input.rawDigest,
      risk: def.risk,
      permission: def.permission,
      audience: def.audience,
      resource: { id: def.name, type: 'Tool' },
    },
    request: undefined,
    decision: undefined,
    fromLedger: false,
    approval: undefined,
    approvalRecord: undefined,
    credential: undefined,
    decisionReceipt: undefined,
    decisionSettled: false,
    executed: false,
    resultDigest: undefined,
    remote: newRemoteCalls(),
  };
}
