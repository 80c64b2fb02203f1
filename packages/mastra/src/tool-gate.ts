import { AsyncLocalStorage } from 'node:async_hooks';
import { WritError } from '@writ/core';
import {
  type AdaptedRunOptions,
  type AdaptedTool,
  answeredApproval,
  type CallCheck,
  modelRefusal,
} from '@writ/core/adapter';
import {
  approvalAnswerSchema,
  approvalRequestSchema,
  WRIT_APPROVAL_REQUEST,
  type WritApprovalRequest,
} from './approval-flow.js';
import { type Call, ownResume, resumedCallId, toolContext } from './mastra-call.js';

/** What the tool's own `execute` gets for the execution in flight, and whether it ran. @internal */
export interface Execution {
  readonly context: unknown;
  invoked: boolean;
}

/** The execution in flight, read by the wrapped tool's `execute`. @internal */
export const executions = new AsyncLocalStorage<Execution>();

/** Translates one Mastra execution into `check` / `run` / `reject` of the adapted tool. @internal */
export class Gate {
  readonly #tool: AdaptedTool;

  constructor(tool: AdaptedTool) {
    this.#tool = tool;
  }

  async execute(input: unknown, call: Call): Promise<unknown> {
    if (call.toolCallId === undefined) {
      // not an agent tool call (a workflow step, a direct call): no id to suspend on, nothing to
      // resume; approvals go to the Writ instance's approval handler
      return this.#run(input, toolContext(call, ownResume(call)), call.base);
    }
    const resuming = call.resumeData !== undefined && call.resumeData !== null;
    const pending = resuming ? approvalRequestSchema.safeParse(call.suspendPayload) : undefined;
    if (pending?.success === true) return this.#answer(pending.data, call, call.toolCallId);
    if (resuming) {
      const resume = { data: call.resumeData, payload: call.suspendPayload };
      return this.#gate(input, call, resumedCallId(call.toolCallId, call.resumeData), resume);
    }
    return this.#gate(input, call, call.toolCallId, undefined);
  }

  async #gate(
    args: unknown,
    call: Call,
    toolCallId: string,
    resume: WritApprovalRequest['resume'],
  ): Promise<unknown> {
    const check: CallCheck = await this.#tool.check(args, { toolCallId, ...call.base });
    if (check.effect === 'deny') throw modelRefusal(check.error);
    if (check.effect === 'approval_required' && call.suspend !== undefined) {
      const request: WritApprovalRequest = {
        type: WRIT_APPROVAL_REQUEST,
        taskId: check.taskId,
        tool: this.#tool.name,
        args,
        message: check.message,
        decisionId: check.decision.decisionId,
        bindingHash: check.bindingHash,
        expiresAt: check.expiresAt,
        policyIds: [...check.decision.policyIds],
        reasons: [...check.decision.reasons],
        ...(resume === undefined ? {} : { resume }),
      };
      await call.suspend(request);
      return undefined;
    }
    return this.#run(args, toolContext(call, resume), { ...call.base, toolCallId });
  }

  async #answer(request: WritApprovalRequest, call: Call, id: string): Promise<unknown> {
    const parsed = approvalAnswerSchema.safeParse(call.resumeData);
    const answer = parsed.success
      ? parsed.data
      : { approved: false, reason: 'the answer to the approval request was malformed' };
    // the arguments Writ decided on (Mastra resumes with the model's raw ones); the call ledger
    // refuses them unless they are exactly those
    const args = request.args;
    const toolCallId = request.resume === undefined ? id : resumedCallId(id, request.resume.data);
    const approval = answeredApproval(answer);
    if (approval.approved) {
      return this.#run(args, toolContext(call, request.resume), { ...call.base, toolCallId, approval });
    }
    const { approver, reason } = approval;
    const refusal = await this.#tool.reject(args, {
      toolCallId,
      ...call.base,
      ...(approver === undefined ? {} : { approver }),
      ...(reason === undefined ? {} : { reason }),
    });
    throw modelRefusal(
      refusal ??
        new WritError(
          'WRIT_APPROVAL_REJECTED',
          `${this.#tool.name} was not approved${reason === undefined ? '' : `: ${reason}`}`,
          { details: { tool: this.#tool.name, why: 'no_pending_approval' } },
        ),
    );
  }

  async #run(args: unknown, context: unknown, options: AdaptedRunOptions): Promise<unknown> {
    const execution: Execution = { context, invoked: false };
    try {
      return await executions.run(execution, () => this.#tool.run(args, options));
    } catch (error) {
      // Writ's refusals go to the model as refusal messages; the tool's own errors stay as they are
      if (!execution.invoked && WritError.isInstance(error)) throw modelRefusal(error);
      throw error;
    }
  }
}
