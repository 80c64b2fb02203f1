import { ToolMessage } from '@langchain/core/messages';
import { isGraphBubbleUp } from '@langchain/langgraph';
import { WritError } from '@writ/core';
import { adaptTool, type FrameworkTool, refusalMessage } from '@writ/core/adapter';
import { createApprovalFlow } from './approval-flow.js';
import { FRAMEWORK, type ResolvedOptions } from './options.js';

/**
 * What a refusal's `ToolMessage` carries as `artifact` (never sent to the model): the error code and,
 * when there was one, the policy decision id (and, for a call that already ran in another process, its
 * result digest).
 *
 * @example
 * ```ts
 * import { ToolMessage } from '@langchain/core/messages';
 *
 * const refused = result.messages.filter(
 *   (m) => ToolMessage.isInstance(m) && (m.artifact as WritRefusalArtifact | undefined)?.writ !== undefined,
 * );
 * ```
 */
export interface WritRefusalArtifact {
  readonly writ: {
    readonly code: WritError['code'];
    readonly decisionId?: string;
    /** For `WRIT_ALREADY_EXECUTED` (the call ran in another process): the digest of its result. */
    readonly resultDigest?: string;
  };
}

/** One LangChain tool call, as the middleware and the tool wrapper hand it over. @internal */
export interface GovernedCall<R> {
  readonly tool: FrameworkTool;
  /** The model's tool call id; without one the call is not remembered and approvals go to Writ's handler. */
  readonly toolCallId: string | undefined;
  readonly args: unknown;
  readonly signal: AbortSignal | undefined;
  readonly frameworkIds: Readonly<Record<string, string>> | undefined;
  /** Runs the framework's own tool (or the rest of its middleware chain). */
  readonly invoke: () => Promise<R>;
  /** Throw the refusal instead of answering with an error `ToolMessage` when there is no tool call id. */
  readonly throwWithoutId: boolean;
}

/** Runs LangChain tool calls through the Writ pipeline. @internal */
export interface Governor {
  readonly options: ResolvedOptions;
  govern<R>(call: GovernedCall<R>): Promise<R | ToolMessage>;
}

/**
 * The tool (or an inner middleware) answered with an error `ToolMessage`: recorded as the tool's
 * failure (outcome `error`), and the message still goes to the model.
 */
class ToolMessageError extends Error {
  override readonly name = 'ToolMessageError';
  readonly toolMessage: ToolMessage;
  constructor(toolMessage: ToolMessage) {
    super(
      typeof toolMessage.content === 'string'
        ? toolMessage.content
        : 'the tool answered with an error message',
    );
    this.toolMessage = toolMessage;
  }
}

/**
 * The LangChain side of the adapter kit, shared by the middleware and the tool wrapper:
 * `check` → (deny: error `ToolMessage`) | (approval: `interrupt()`, then `run` with the answer or
 * `reject`) | (allow: `run`). A node that runs again after a resume gets the remembered decision and,
 * for calls that already ran, the recorded result: nothing is decided, recorded or executed twice.
 * @internal
 */
export function createGovernor(options: ResolvedOptions): Governor {
  const approvals = createApprovalFlow(options.approvals);

  return {
    options,
    async govern<R>(call: GovernedCall<R>): Promise<R | ToolMessage> {
      let ran = false;
      const adapted = adaptTool(
        FRAMEWORK,
        call.tool,
        async () => {
          ran = true;
          const output: R = await call.invoke();
          if (ToolMessage.isInstance(output) && output.status === 'error') throw new ToolMessageError(output);
          return output;
        },
        options,
        // the tool paused the graph itself (its own interrupt(), a Command to the parent graph): control
        // flow, not a failure; recorded as suspended, and the call runs again when the graph resumes
        { isSuspension: isGraphBubbleUp },
      );
      const { toolCallId, args } = call;
      const common = { signal: call.signal, frameworkIds: call.frameworkIds };
      const settle = async (running: Promise<unknown>, replay: boolean): Promise<R | ToolMessage> => {
        try {
          return (await running) as R;
        } catch (error) {
          if (error instanceof ToolMessageError) return error.toolMessage;
          // the call already ran in another process (a node re-run on another replica) and its result
          // stayed there: the model is told so, and the graph goes on; it never runs a second time
          if (!ran && WritError.isInstance(error, 'WRIT_ALREADY_EXECUTED')) {
            return refuse(call, error, refusalMessage(error), 'success');
          }
          // the tool's own errors and pauses (now or replayed) are the framework's to handle, as without Writ
          if (ran || replay || !WritError.isInstance(error) || error.code === 'WRIT_ABORTED') throw error;
          return refuse(call, error, refusalMessage(error));
        }
      };

      if (toolCallId === undefined) return settle(adapted.run(args, common), false);
      const check = await adapted.check(args, { toolCallId, ...common });
      if (check.effect !== 'approval_required') {
        if (check.decision?.effect === 'approval_required') approvals.keepInterruptOrder(toolCallId);
        if (check.effect === 'deny') return refuse(call, check.error, check.message);
        return settle(adapted.run(args, { toolCallId, ...common }), check.settled);
      }
      if (options.approvals === 'writ') return settle(adapted.run(args, { toolCallId, ...common }), false);
      const answer = approvals.ask(adapted, args, toolCallId, check);
      if (answer.approved) {
        return settle(adapted.run(args, { toolCallId, ...common, approval: answer }), false);
      }
      const error =
        (await adapted.reject(args, {
          toolCallId,
          ...common,
          approver: answer.approver,
          reason: answer.reason,
        })) ??
        new WritError('WRIT_APPROVAL_REJECTED', `${adapted.name} was not approved`, {
          details: { tool: adapted.name },
        });
      return refuse(call, error, refusalMessage(error));
    },
  };
}

/**
 * What the model sees when Writ refuses a call: an error `ToolMessage` whose content is the refusal (or,
 * for a call that already ran elsewhere, a `success` one saying so).
 */
function refuse<R>(
  call: GovernedCall<R>,
  error: WritError,
  message: string,
  status: 'error' | 'success' = 'error',
): ToolMessage {
  if (call.toolCallId === undefined && call.throwWithoutId) throw error;
  const { decisionId, resultDigest } = error.details;
  const artifact: WritRefusalArtifact = {
    writ: {
      code: error.code,
      ...(typeof decisionId === 'string' ? { decisionId } : {}),
      ...(typeof resultDigest === 'string' ? { resultDigest } : {}),
    },
  };
  return new ToolMessage({
    content: message,
    tool_call_id: call.toolCallId ?? '',
    name: call.tool.name,
    status,
    artifact,
  });
}
