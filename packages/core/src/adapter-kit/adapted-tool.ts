import type { Decision } from '../decision.js';
import type { WritError } from '../errors.js';
import type { FrameworkApproval } from '../pipeline/state.js';
import type { Principal } from '../principal.js';
import type { ExecuteOptions, ToolAnnotations } from '../tool.js';
import type { Risk, ToolType } from '../tool-call.js';
import type { ToolContext } from '../tool-context.js';

/**
 * What {@link AdaptedTool.check} concluded: run it, ask a human first, or tell the model it was refused.
 *
 * @example
 * ```ts
 * async function onToolCall(adapted: AdaptedTool, args: unknown, toolCallId: string) {
 *   const check: CallCheck = await adapted.check(args, { toolCallId });
 *   if (check.effect === 'deny') return check.message; // what the model sees; already recorded
 *   if (check.effect === 'approval_required') return askHuman(check.message, check.bindingHash, check.expiresAt);
 *   return adapted.run(args, { toolCallId }); // reuses the decision check made
 * }
 * ```
 */
export type CallCheck =
  | {
      readonly effect: 'allow';
      readonly decision: Decision | undefined;
      /** The call already ran under this tool call id; `run` replays its result. */
      readonly settled: boolean;
    }
  | {
      readonly effect: 'approval_required';
      readonly decision: Decision;
      /** Binds the approval to this call of this task: tool, arguments, agent, requester, decision. */
      readonly bindingHash: string;
      /**
       * The task the approval belongs to. The request that carries the human's answer continues it:
       * `writ.task({ ..., resume: taskId })`; an answer in any other task is refused.
       */
      readonly taskId: string;
      /** Epoch ms after which an answer is refused. */
      readonly expiresAt: number;
      /** What to show the approver. */
      readonly message: string;
      /**
       * Whether an earlier `check` of this same call in this task (in this process, or in any process
       * sharing the call ledger) already asked this approval. An answer a framework brings back on resume
       * can only be for an approval asked before: when this is `false`, the approval was asked just now,
       * and an answer arriving with it was given for some other request (another task, requester or
       * decision), so it must not be used.
       */
      readonly askedBefore: boolean;
    }
  | {
      readonly effect: 'deny';
      readonly error: WritError;
      readonly decision: Decision | undefined;
      /** What the model should see: {@link refusalMessage} of the error. */
      readonly message: string;
    };

/**
 * Per-call options of {@link AdaptedTool.run}.
 *
 * @example
 * ```ts
 * // the framework ran its own approval flow for this call, and the human said yes
 * const options: AdaptedRunOptions = {
 *   toolCallId: 'call_7f3a',
 *   approval: { approved: true },
 *   frameworkIds: { threadId: 'thread-12', runId: 'run-3' },
 * };
 * await adapted.run({ orderId: '42', amount: 30 }, options);
 * ```
 */
export interface AdaptedRunOptions extends ExecuteOptions {
  /**
   * The approval the framework's own flow collected for this call (pass it whenever the framework ran
   * the call after asking a human). Honoured only if {@link AdaptedTool.check} asked for it, for the
   * same tool call id and arguments, before it expired.
   */
  approval?: FrameworkApproval | undefined;
  /** The framework's own ids for this call (trace id, run id, thread id…), kept in the decision record. */
  frameworkIds?: Readonly<Record<string, string>> | undefined;
  /**
   * The framework tool's own implementation for this call, in place of the one given to `adaptTool`
   * (e.g. bound to the framework's per-call options): runs only once the call is allowed, approved when
   * needed, credentialed and recorded, exactly like it. Saves carrying per-call data to the tool in the
   * OpenTelemetry context.
   * @default the implementation given to `adaptTool`
   */
  invoke?: ((args: unknown, ctx: ToolContext) => unknown) | undefined;
  /**
   * Refuse the call with this error without deciding it (e.g. the caller's task token did not verify):
   * the tool never runs, and the refusal is recorded like any other (decision record, outcome, span).
   */
  refusal?: WritError | undefined;
}

/**
 * Per-call options of {@link AdaptedTool.check}.
 *
 * @example
 * ```ts
 * const options: AdaptedCheckOptions = { toolCallId: 'call_7f3a', signal: AbortSignal.timeout(10_000), frameworkIds: { runId: 'run-3' } };
 * const check = await adapted.check({ orderId: '42', amount: 30 }, options);
 * ```
 */
export interface AdaptedCheckOptions {
  /** The framework's tool call id: the key under which the decision is remembered. */
  toolCallId: string;
  signal?: AbortSignal | undefined;
  frameworkIds?: Readonly<Record<string, string>> | undefined;
  /** Called with the receipt of the decision record when `check` refuses the call (see `ExecuteOptions.onReceipt`). */
  onReceipt?: ExecuteOptions['onReceipt'];
}

/**
 * Per-call options of {@link AdaptedTool.reject}.
 *
 * @example
 * ```ts
 * const options: AdaptedRejectOptions = {
 *   toolCallId: 'call_7f3a',
 *   approver: { kind: 'human', id: 'bob@example.com', assurance: 'verified' },
 *   reason: 'refund exceeds the order total',
 * };
 * const refusal = await adapted.reject({ orderId: '42', amount: 900 }, options); // WRIT_APPROVAL_REJECTED
 * ```
 */
export interface AdaptedRejectOptions extends AdaptedCheckOptions {
  /** Who declined. @default unknown (recorded as `null`) */
  approver?: Principal | undefined;
  reason?: string | undefined;
}

/**
 * A framework tool wired to the Writ pipeline. Adapters translate between the framework and these
 * three calls; everything else (decision, approval binding, credentials, records, spans) is here.
 *
 * @example
 * ```ts
 * const refund: AdaptedTool = adaptTool('my-framework', { name: 'refund_order' }, (args, ctx) => payments.refund(args, ctx.credential?.token), {
 *   tools: { refund_order: { risk: 'high', audience: 'https://payments.example.com' } },
 * });
 * refund.risk; // 'high'
 * refund.annotations.destructive; // true (MCP default for a tool that is not read-only)
 * const result = await refund.run({ orderId: '42', amount: 30 }, { toolCallId: 'call_7f3a' });
 * ```
 */
export interface AdaptedTool {
  readonly name: string;
  readonly description: string | undefined;
  readonly risk: Risk;
  readonly permission: string;
  readonly audience: string | undefined;
  readonly type: ToolType;
  readonly annotations: Readonly<Required<ToolAnnotations>>;
  /**
   * Runs the call through the whole pipeline. With a `toolCallId`, the call is remembered: a decision
   * made by `check` is reused (never decided twice), and a framework that re-runs the same call (e.g.
   * a LangGraph node after a resume) gets the recorded result back without a second execution.
   * Refusals reject with a `WritError`; the tool's own errors are rethrown as they are.
   */
  run(args: unknown, options?: AdaptedRunOptions): Promise<unknown>;
  /**
   * Decides the call without running it, for frameworks that ask before executing (approval flows). A
   * refusal is recorded at once; `allow` and `approval_required` are remembered for `run`.
   */
  check(args: unknown, options: AdaptedCheckOptions): Promise<CallCheck>;
  /**
   * Records that the human declined a call `check` asked approval for (approval event, refused
   * decision record, outcome) and returns the refusal. `undefined` when nothing was pending.
   */
  reject(args: unknown, options: AdaptedRejectOptions): Promise<WritError | undefined>;
  /**
   * Whether an approval `check` asked for this call in the active task is still awaiting its answer
   * (not answered, not expired). Decides nothing and records nothing: for frameworks that ask, before
   * resuming a paused call, whether the pause was Writ's (ADK's confirmation gate).
   */
  awaitsApproval(args: unknown, options: AdaptedCheckOptions): Promise<boolean>;
}
