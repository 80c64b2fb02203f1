import { functionSchema, validateOptions } from '@writ/core/internal';
import type {
  GenericToolApprovalFunction,
  ModelMessage,
  StepResult,
  ToolApprovalConfiguration,
  ToolApprovalStatus,
  ToolSet,
} from 'ai';
import { z } from 'zod';
import { humanAnswerFor, humanAnswers } from './pending-approvals.js';
import { approverFor, idsFor, wrappedTool } from './registry.js';

type RuntimeContext = Record<string, unknown>;

/**
 * The generic form of the AI SDK's `toolApproval` option (`GenericToolApprovalFunction`), for a ToolSet
 * and runtime context.
 *
 * @example
 * ```ts
 * const toolApproval: WritToolApprovalFunction<typeof tools> = writToolApproval();
 * ```
 */
export type WritToolApprovalFunction<
  TOOLS extends ToolSet = ToolSet,
  RUNTIME_CONTEXT extends RuntimeContext = RuntimeContext,
> = GenericToolApprovalFunction<TOOLS, StepResult<TOOLS>['toolsContext'], RUNTIME_CONTEXT>;

type ApprovalRequest<TOOLS extends ToolSet, RUNTIME_CONTEXT extends RuntimeContext> = Parameters<
  WritToolApprovalFunction<TOOLS, RUNTIME_CONTEXT>
>[0];

type NormalizedStatus = Exclude<ToolApprovalStatus, string | undefined>;

/**
 * Options of {@link writToolApproval}.
 *
 * @example
 * ```ts
 * const options: WritToolApprovalOptions<typeof tools> = {
 *   toolApproval: { send_email: 'user-approval' }, // your own rules, consulted when Writ allows
 * };
 * ```
 */
export interface WritToolApprovalOptions<
  TOOLS extends ToolSet = ToolSet,
  RUNTIME_CONTEXT extends RuntimeContext = RuntimeContext,
> {
  /**
   * Your own approval configuration (the same shapes `generateText` takes: a function or a per-tool
   * map). Writ's decision comes first: a Writ deny is final; otherwise your `denied` wins; otherwise a
   * Writ `approval_required` asks the user; otherwise your status applies. Tools that `writTools` did
   * not wrap get your status alone.
   * @default none (tools that Writ allows run without approval, unless the tool sets `needsApproval`)
   */
  toolApproval?: ToolApprovalConfiguration<TOOLS, RUNTIME_CONTEXT> | undefined;
}

const optionsSchema = z.strictObject({
  toolApproval: z
    .union([functionSchema(), z.looseObject({})], {
      error: 'must be a function or an object of per-tool statuses',
    })
    .optional(),
});

/**
 * The AI SDK `toolApproval` that lets Writ's policy decide each call of a {@link writTools} ToolSet
 * before it runs, through the AI SDK's native approval flow:
 *
 * - policy **deny** → `{ type: 'denied', reason }`: the tool does not run, the decision is recorded at
 *   once, and the model receives an `execution-denied` tool result whose reason is the refusal text
 *   (`Refused by Writ (WRIT_POLICY_DENIED): …. The tool was not run.`); the run continues.
 * - **approval required** → `{ type: 'user-approval', reason }`: the step ends with a
 *   `tool-approval-request`. Answer it with a `tool-approval-response` and call `generateText` /
 *   `streamText` again with the messages: an approved call then runs, and Writ records the approval
 *   (approver, binding hash) before it does. A denied one is recorded by {@link recordApprovalDenials}.
 * - **allow** → your own `toolApproval` (see {@link WritToolApprovalOptions}), else `not-applicable`.
 *
 * The function reads the tools from each call, so one function serves every ToolSet; it also records,
 * as a fallback, the denials it finds in the messages it is given (see {@link recordApprovalDenials}).
 *
 * @example
 * ```ts
 * import { generateText, isStepCount, type ModelMessage } from 'ai';
 *
 * const messages: ModelMessage[] = [{ role: 'user', content: 'Refund order 42' }];
 * const first = await generateText({ model, tools, toolApproval: writToolApproval(), messages, stopWhen: isStepCount(5) });
 * messages.push(...first.responseMessages);
 * const request = first.content.find((p) => p.type === 'tool-approval-request');
 * if (request !== undefined) {
 *   // the user approved in the UI
 *   messages.push({ role: 'tool', content: [{ type: 'tool-approval-response', approvalId: request.approvalId, approved: true }] });
 *   await generateText({ model, tools, toolApproval: writToolApproval(), messages, onStart: recordApprovalDenials });
 * }
 * ```
 */
export function writToolApproval<
  TOOLS extends ToolSet = ToolSet,
  RUNTIME_CONTEXT extends RuntimeContext = RuntimeContext,
>(
  options?: WritToolApprovalOptions<TOOLS, RUNTIME_CONTEXT>,
): WritToolApprovalFunction<TOOLS, RUNTIME_CONTEXT> {
  const { toolApproval: own } = validateOptions(optionsSchema, options, 'writToolApproval') as {
    toolApproval?: ToolApprovalConfiguration<TOOLS, RUNTIME_CONTEXT>;
  };
  const decide = async (request: ApprovalRequest<TOOLS, RUNTIME_CONTEXT>): Promise<ToolApprovalStatus> => {
    const { toolCall, tools, messages } = request;
    await recordApprovalDenials({ messages, tools });
    const entry = wrappedTool(tools, toolCall.toolName);
    if (entry === undefined) return ownStatus(own, request);
    // The AI SDK asks again, right before running a call a human approved: Writ does not decide afresh
    // (a new pending decision would accept an approval given elsewhere); `run` checks the approval
    // against the decision it remembered. Only a denial of your own still stops the call here.
    if (humanAnswerFor(messages, toolCall.toolCallId)?.approved === true) {
      const status = await ownStatus(own, request);
      return status.type === 'denied' ? status : { type: 'approved' };
    }
    const check = await entry.adapted.check(toolCall.input, {
      toolCallId: toolCall.toolCallId,
      frameworkIds: idsFor(entry, { toolName: toolCall.toolName, toolCallId: toolCall.toolCallId, messages }),
    });
    if (check.effect === 'deny') return { type: 'denied', reason: check.message };
    const status = await ownStatus(own, request);
    if (status.type === 'denied') return status;
    if (check.effect === 'approval_required') return { type: 'user-approval', reason: check.message };
    return status;
  };
  return decide as WritToolApprovalFunction<TOOLS, RUNTIME_CONTEXT>;
}

/**
 * Records, in Writ's evidence, every approval request of a {@link writTools} tool that a human denied
 * in `messages` (approval event `approved: false`, refused decision record, outcome `refused`). The AI
 * SDK never hands a denied call to the tool or to `toolApproval` — it only adds an `execution-denied`
 * result for the model — so call this with the messages of the resumed call. Its signature fits the
 * `onStart` option of `generateText`, `streamText` and `ToolLoopAgent` as it is. Idempotent: a denial
 * already recorded (or a call Writ never asked approval for) is skipped.
 *
 * @example
 * ```ts
 * import { generateText } from 'ai';
 *
 * await generateText({ model, tools, toolApproval: writToolApproval(), messages, onStart: recordApprovalDenials });
 * // or, before resuming: await recordApprovalDenials({ messages, tools });
 * ```
 */
export async function recordApprovalDenials(event: {
  readonly messages: readonly ModelMessage[];
  readonly tools?: ToolSet | undefined;
}): Promise<void> {
  for (const answer of humanAnswers(event.messages)) {
    if (answer.approved) continue;
    const entry = wrappedTool(event.tools, answer.toolName);
    if (entry === undefined) continue;
    const approver = await approverFor(entry, answer);
    await entry.adapted.reject(answer.input, {
      toolCallId: answer.toolCallId,
      ...(approver === undefined ? {} : { approver }),
      ...(answer.reason === undefined ? {} : { reason: answer.reason }),
      frameworkIds: idsFor(
        entry,
        { toolName: answer.toolName, toolCallId: answer.toolCallId, messages: event.messages },
        answer.approvalId,
      ),
    });
  }
}

/** Your own approval configuration for a call, resolved the way the AI SDK resolves it. */
async function ownStatus<TOOLS extends ToolSet, RUNTIME_CONTEXT extends RuntimeContext>(
  own: ToolApprovalConfiguration<TOOLS, RUNTIME_CONTEXT> | undefined,
  request: ApprovalRequest<TOOLS, RUNTIME_CONTEXT>,
): Promise<NormalizedStatus> {
  const { toolCall, tools, messages, toolsContext, runtimeContext } = request;
  if (typeof own === 'function') return normalize(await own(request));
  const name = toolCall.toolName;
  const perTool =
    own !== undefined && Object.hasOwn(own, name) ? (own as Record<string, unknown>)[name] : undefined;
  if (perTool !== undefined && perTool !== null) {
    if (typeof perTool !== 'function') return normalize(perTool as ToolApprovalStatus);
    const single = perTool as (
      input: unknown,
      options: {
        toolCallId: string;
        messages: ModelMessage[];
        toolContext: unknown;
        runtimeContext: unknown;
      },
    ) => ToolApprovalStatus | PromiseLike<ToolApprovalStatus>;
    return normalize(
      await single(toolCall.input, {
        toolCallId: toolCall.toolCallId,
        messages,
        toolContext: contextOf(toolsContext, name),
        runtimeContext,
      }),
    );
  }
  // no rule of yours: the tool's own (deprecated) `needsApproval`, as the AI SDK would apply it
  const tool =
    tools !== undefined && Object.hasOwn(tools, name) ? (tools as Record<string, unknown>)[name] : undefined;
  const needsApproval =
    typeof tool === 'object' && tool !== null
      ? (tool as { needsApproval?: unknown }).needsApproval
      : undefined;
  if (needsApproval === undefined || needsApproval === null) return { type: 'not-applicable' };
  const needs =
    typeof needsApproval === 'function'
      ? await (needsApproval as (input: unknown, options: unknown) => unknown)(toolCall.input, {
          toolCallId: toolCall.toolCallId,
          messages,
          context: contextOf(toolsContext, name),
        })
      : needsApproval;
  return needs === true ? { type: 'user-approval' } : { type: 'not-applicable' };
}

function contextOf(toolsContext: unknown, name: string): unknown {
  return typeof toolsContext === 'object' && toolsContext !== null && Object.hasOwn(toolsContext, name)
    ? (toolsContext as Record<string, unknown>)[name]
    : undefined;
}

function normalize(status: ToolApprovalStatus): NormalizedStatus {
  if (status === undefined) return { type: 'not-applicable' };
  return typeof status === 'string' ? ({ type: status } as NormalizedStatus) : status;
}
