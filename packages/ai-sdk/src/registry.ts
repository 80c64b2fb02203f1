import type { Principal } from '@writ/core';
import type { AdaptedTool } from '@writ/core/adapter';
import type { ModelMessage } from 'ai';
import type { WritApprovalAnswer } from './pending-approvals.js';

/**
 * The framework name this adapter records as `call.framework.name`.
 *
 * @example
 * ```ts
 * const aiSdkDecisions = records.filter((r) => r.kind === 'decision' && r.call.framework?.name === FRAMEWORK);
 * ```
 */
export const FRAMEWORK = 'ai-sdk';

/**
 * What the `frameworkIds` option of `writTools` receives for each call.
 *
 * @example
 * ```ts
 * const frameworkIds = (call: ToolCallInfo) => ({ chatId, requestId: `${requestId}/${call.toolCallId}` });
 * ```
 */
export interface ToolCallInfo {
  readonly toolName: string;
  readonly toolCallId: string;
  /** The messages the AI SDK handed the tool (or the approval function) for this call. */
  readonly messages: readonly ModelMessage[];
}

/**
 * Who answered an approval request: a principal, or a function of the answer (sync or async).
 *
 * @example
 * ```ts
 * const approver: ApproverOption = async (answer) => (await session()).user; // the signed-in approver
 * ```
 */
export type ApproverOption =
  | Principal
  | ((answer: WritApprovalAnswer) => Principal | undefined | PromiseLike<Principal | undefined>);

/** A Writ-wrapped AI SDK tool, as the approval function and the denial recorder find it. */
export interface WrappedTool {
  readonly adapted: AdaptedTool;
  readonly approver: ApproverOption | undefined;
  readonly frameworkIds: ((call: ToolCallInfo) => Readonly<Record<string, string>> | undefined) | undefined;
}

/**
 * The `execute` functions `writTools` made → their Writ side. Keyed by the function, so a wrapped tool
 * copied with a spread (`{ ...tools.x, description }`) is still recognised.
 */
const wrapped = new WeakMap<object, WrappedTool>();

/** @internal */
export function register(execute: object, entry: WrappedTool): void {
  wrapped.set(execute, entry);
}

/** The Writ side of a tool in a ToolSet, if `writTools` wrapped it. @internal */
export function wrappedTool(tools: unknown, name: string): WrappedTool | undefined {
  if (typeof tools !== 'object' || tools === null || !Object.hasOwn(tools, name)) return undefined;
  const tool = (tools as Record<string, unknown>)[name];
  const execute =
    typeof tool === 'object' && tool !== null ? (tool as { execute?: unknown }).execute : undefined;
  return typeof execute === 'function' ? wrapped.get(execute) : undefined;
}

/** The approver to record for an answer. @internal */
export async function approverFor(
  entry: WrappedTool,
  answer: WritApprovalAnswer,
): Promise<Principal | undefined> {
  const { approver } = entry;
  return typeof approver === 'function' ? await approver(answer) : approver;
}

/** The framework ids of a call: the application's, plus the AI SDK approval id when there is one. @internal */
export function idsFor(
  entry: WrappedTool,
  call: ToolCallInfo,
  approvalId?: string,
): Readonly<Record<string, string>> | undefined {
  const ids: Record<string, string> = {};
  for (const [key, value] of Object.entries(entry.frameworkIds?.(call) ?? {})) {
    if (typeof value === 'string') ids[key] = value;
  }
  if (approvalId !== undefined) ids.approvalId = approvalId;
  return Object.keys(ids).length === 0 ? undefined : ids;
}
