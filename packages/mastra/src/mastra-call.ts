import type { AdaptedRunOptions } from '@writ/core/adapter';
import { digest } from '@writ/core/plugin';
import type { WritApprovalRequest } from './approval-flow.js';

/** What Mastra hands a tool's `execute`: `createTool` tools get the agent facts under `agent`. @internal */
export interface AgentFacts {
  readonly agentId?: unknown;
  readonly toolCallId?: unknown;
  readonly threadId?: unknown;
  readonly resourceId?: unknown;
  readonly suspend?: unknown;
  readonly resumeData?: unknown;
  readonly suspendPayload?: unknown;
}

/** Mastra's execution context: agent facts (AI SDK tools) or `agent` (Mastra tools), run and workflow ids. @internal */
export interface MastraContext extends AgentFacts {
  readonly agent?: AgentFacts | undefined;
  readonly workflow?:
    | { readonly runId?: unknown; readonly workflowId?: unknown; readonly suspend?: unknown }
    | undefined;
  readonly runId?: unknown;
  readonly abortSignal?: unknown;
}

/** Mastra's `suspend()`. @internal */
export type Suspend = (payload: unknown) => Promise<unknown>;

/** One execution of a wrapped tool, as Mastra described it. @internal */
export interface Call {
  readonly context: MastraContext;
  /** Where Mastra put the agent facts: `context.agent` (Mastra tools) or `context` (AI SDK tools). */
  readonly facts: AgentFacts;
  readonly toolCallId: string | undefined;
  readonly suspend: Suspend | undefined;
  readonly resumeData: unknown;
  readonly suspendPayload: unknown;
  readonly base: Pick<AdaptedRunOptions, 'signal' | 'frameworkIds'>;
}

const str = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Reads one execution's context as Mastra passed it (ids, signal, suspension). @internal */
export function readCall(context: unknown): Call {
  const ctx = (typeof context === 'object' && context !== null ? context : {}) as MastraContext;
  const facts: AgentFacts = typeof ctx.agent === 'object' && ctx.agent !== null ? ctx.agent : ctx;
  const ids: Record<string, string> = {};
  const put = (key: string, value: unknown) => {
    if (str(value)) ids[key] = value;
  };
  put('runId', ctx.runId ?? ctx.workflow?.runId);
  put('threadId', facts.threadId);
  put('resourceId', facts.resourceId);
  put('agentId', facts.agentId);
  put('workflowId', ctx.workflow?.workflowId);
  const signal = ctx.abortSignal instanceof AbortSignal ? ctx.abortSignal : undefined;
  // a workflow step (the tool given to createStep) has no tool call id: the step of this run is the
  // call, and the workflow's own suspend its pause
  const step = facts === ctx ? workflowStep(ctx) : undefined;
  const suspend = facts.suspend ?? step?.suspend;
  return {
    context: ctx,
    facts,
    toolCallId: str(facts.toolCallId) ? facts.toolCallId : step?.callId,
    suspend: typeof suspend === 'function' ? (suspend as Suspend) : undefined,
    resumeData: facts.resumeData,
    suspendPayload: facts.suspendPayload,
    base: {
      ...(signal === undefined ? {} : { signal }),
      ...(Object.keys(ids).length === 0 ? {} : { frameworkIds: ids }),
    },
  };
}

/** The call id and suspend of a tool run as a workflow step that can suspend, else `undefined`. */
function workflowStep(ctx: MastraContext): { callId: string; suspend: unknown } | undefined {
  const workflow = ctx.workflow;
  if (typeof workflow?.suspend !== 'function' || !str(workflow.runId)) return undefined;
  const id = str(workflow.workflowId) ? workflow.workflowId : 'workflow';
  return { callId: `workflow:${id}:${workflow.runId}`, suspend: workflow.suspend };
}

/**
 * The context the tool's own `execute` gets: Mastra's, with the resume data and payload of this
 * execution (`resume`), or none when the execution is not resuming one of the tool's own suspensions
 * (Writ's approval answer is not the tool's business).
 *
 * @internal
 */
export function toolContext(call: Call, resume: { data: unknown; payload?: unknown } | undefined): unknown {
  const facts = { ...call.facts, resumeData: resume?.data, suspendPayload: resume?.payload };
  return call.facts === call.context ? facts : { ...call.context, agent: facts };
}

/** A tool call id per execution of a tool that suspends itself: each resume is its own call. @internal */
export function resumedCallId(toolCallId: string, resumeData: unknown): string {
  return `${toolCallId}:resume:${digest(resumeData).slice('sha256:'.length, 'sha256:'.length + 12)}`;
}

/** The tool's own resume data and payload, if this execution resumes one of its suspensions. @internal */
export function ownResume(call: Call): WritApprovalRequest['resume'] {
  return call.resumeData === undefined || call.resumeData === null
    ? undefined
    : { data: call.resumeData, payload: call.suspendPayload };
}
