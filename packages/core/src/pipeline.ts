import {
  type Context,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { type Attribution, authorityChain, currentActor } from './attribution.js';
import type { ApprovalRecord, CallRecord, DecisionRecord, RefusalRecord } from './audit-event.js';
import { canonicalJson, digest, sha256Hex, withSortedKeys } from './canonical-json.js';
import { checkDecision } from './check-decision.js';
import { compose } from './compose.js';
import { activeContext, runInContext, type TaskState } from './context.js';
import type { Credential } from './credential.js';
import { toCredentialRef } from './credential.js';
import type { AuthorizationRequest, Decision } from './decision.js';
import { toWritError, WritError, type WritErrorCode } from './errors.js';
import { formatIssues } from './format-issues.js';
import type { ApprovalResponse, AuditReceipt } from './interfaces.js';
import { type LedgerEntry, ledgerBinding } from './ledger.js';
import type { CallState } from './middleware.js';
import { WRIT_DEFAULTS } from './options.js';
import { type Principal, toPrincipalRef } from './principal.js';
import { redact } from './redact.js';
import {
  abortError,
  appendEvent,
  auditEvent,
  NEVER,
  principalRefs,
  type Runtime,
  withDeadline,
} from './runtime.js';
import { scopeCovers } from './scope.js';
import { ATTR, EXECUTE_TOOL } from './telemetry.js';
import type { ExecuteOptions, ToolContext, ToolDefinition } from './tool.js';
import type { ToolCall } from './tool-call.js';
import { TOOL_CONTEXT_KEY } from './tool-context.js';

/** The implementation a call finally runs. @internal */
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

/** Per-call options of adapter calls. @internal */
export interface RunOptions extends ExecuteOptions {
  /** Remember the call by its tool call id: one decision, one approval, one execution. */
  readonly ledger?: boolean | undefined;
  readonly approval?: FrameworkApproval | undefined;
  readonly framework?: FrameworkRef | undefined;
  /**
   * Errors by which the framework pauses a running tool (LangGraph's own `interrupt()` inside a tool):
   * recorded as outcome `suspended`, not remembered as the call's result, so the call runs again when
   * the framework resumes it (under the same decision).
   */
  readonly isSuspension?: ((error: unknown) => boolean) | undefined;
}

interface State extends CallState {
  call: ToolCall;
  request: AuthorizationRequest | undefined;
  decision: Decision | undefined;
  approval: ApprovalResponse | undefined;
  approvalRecord: ApprovalRecord | undefined;
  credential: Credential | undefined;
  decisionReceipt: AuditReceipt | undefined;
  decisionSettled: boolean;
  executed: boolean;
  /** The decision came from the call ledger (decided earlier by `check`). */
  fromLedger: boolean;
  /** When the pending approval of a ledger decision expires. */
  approvalExpiresAt: number | undefined;
  readonly options: RunOptions;
  /** Ledger binding when the call is remembered by its tool call id. */
  readonly binding: string | undefined;
  readonly task: TaskState;
  readonly def: ToolDefinition;
  readonly rawArgs: unknown;
  readonly invoke: Invoke;
  readonly rt: Runtime;
}

/** Spans Writ started itself; never enriched as if they were a framework's. */
const ownSpans = new WeakSet<Span>();

/**
 * Runs one tool call through the pipeline inside the given task:
 * validate → request → decide → approve → credential → decision record → execute → outcome record.
 * @internal
 */
export function runCall(
  rt: Runtime,
  task: TaskState,
  def: ToolDefinition,
  rawArgs: unknown,
  options: RunOptions,
  invoke: Invoke,
  preRefusal?: WritError,
): Promise<unknown> {
  const rawDigest = safeDigest(rawArgs);
  const binding = bindingOf(task, def, rawDigest, options);
  if (binding !== undefined) {
    const settled = rt.ledger.get(options.toolCallId as string, binding)?.settled;
    // the framework re-ran a call that already ran (or was refused): same answer, no second execution
    if (settled !== undefined)
      return settled.ok ? Promise.resolve(settled.value) : Promise.reject(settled.error);
  }
  const parent = activeContext();
  const enriched = options.span ?? frameworkSpan(parent, def.name, options.toolCallId);
  const callId = options.toolCallId ?? (enriched ? frameworkCallId(enriched) : undefined) ?? rt.generateId();
  const attributes = startAttributes(rt, def, callId, task.attribution);
  let span: Span;
  let ctx: Context;
  if (enriched) {
    span = enriched;
    span.setAttributes(attributes);
    ctx = parent;
  } else {
    span = rt.tracer.startSpan(
      `${EXECUTE_TOOL} ${def.name}`,
      { kind: SpanKind.INTERNAL, attributes },
      parent,
    );
    ownSpans.add(span);
    ctx = trace.setSpan(parent, span);
  }
  const state = newState(rt, task, def, rawArgs, rawDigest, options, invoke, span, callId, binding);
  const run = runInContext(ctx, () => drive(state, preRefusal, enriched === undefined));
  return binding === undefined
    ? run
    : run.then(
        (value) => settle(state, { ok: true, value }),
        (error: unknown) => {
          // an abort, or the framework pausing the tool, is not the call's result: it runs again on resume
          if (!WritError.isInstance(error, 'WRIT_ABORTED') && !suspended(state, error))
            settle(state, { ok: false, error });
          throw error;
        },
      );
}

/** Whether a tool's error is the framework pausing it (see `RunOptions.isSuspension`). */
function suspended(s: State, error: unknown): boolean {
  if (!s.executed || s.options.isSuspension === undefined) return false;
  try {
    return s.options.isSuspension(error) === true;
  } catch {
    return false;
  }
}

/** The ledger binding of a call (tool, digest of the raw arguments, agent), when it is remembered. */
function bindingOf(task: TaskState, def: ToolDefinition, rawDigest: string, options: RunOptions) {
  if (options.ledger !== true || options.toolCallId === undefined) return undefined;
  return ledgerBinding(def.name, rawDigest, currentActor(task.attribution).id);
}

/** Whether `check` asked approval for this call and no answer was recorded yet. @internal */
export function awaitsApproval(
  rt: Runtime,
  task: TaskState,
  def: ToolDefinition,
  rawArgs: unknown,
  toolCallId: string,
): boolean {
  const binding = bindingOf(task, def, safeDigest(rawArgs), { ledger: true, toolCallId }) as string;
  const entry = rt.ledger.get(toolCallId, binding);
  return entry?.decision?.effect === 'approval_required' && entry.settled === undefined;
}

function settle(s: State, settled: NonNullable<LedgerEntry['settled']>): unknown {
  s.rt.ledger.set(s.call.id, {
    binding: s.binding as string,
    request: s.request,
    decision: s.decision,
    failure: undefined,
    settled,
    executed: s.executed,
    expiresAt: s.rt.clock() + s.rt.timeouts.approvalMs,
  });
  return settled.ok ? settled.value : undefined;
}

function newState(
  rt: Runtime,
  task: TaskState,
  def: ToolDefinition,
  rawArgs: unknown,
  rawDigest: string,
  options: RunOptions,
  invoke: Invoke,
  span: Span,
  callId: string,
  binding: string | undefined,
): State {
  return {
    rt,
    task,
    def,
    rawArgs,
    invoke,
    options,
    binding,
    attribution: task.attribution,
    span,
    signal: options.signal ?? task.signal ?? NEVER,
    call: {
      id: callId,
      name: def.name,
      description: def.description,
      type: def.type,
      args: rawArgs,
      argsDigest: rawDigest,
      risk: def.risk,
      permission: def.permission,
      audience: def.audience,
      resource: { id: def.name, type: 'Tool' },
    },
    request: undefined,
    decision: undefined,
    approval: undefined,
    approvalRecord: undefined,
    credential: undefined,
    decisionReceipt: undefined,
    decisionSettled: false,
    executed: false,
    fromLedger: false,
    approvalExpiresAt: undefined,
  };
}

/** What `check` concluded about a call. @internal */
export type CheckResult =
  | { readonly effect: 'allow'; readonly decision: Decision | undefined; readonly settled: boolean }
  | {
      readonly effect: 'approval_required';
      readonly decision: Decision;
      readonly bindingHash: string;
      readonly expiresAt: number;
    }
  | { readonly effect: 'deny'; readonly error: WritError; readonly decision: Decision | undefined };

const NO_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Decides a call without running it (validate → decide) and remembers the decision under its tool
 * call id, for frameworks that ask "may this run / does it need approval?" before executing. A refusal
 * is recorded at once (span, decision record, outcome) and replayed if the framework runs the call anyway.
 * @internal
 */
export async function checkCall(
  rt: Runtime,
  task: TaskState,
  def: ToolDefinition,
  rawArgs: unknown,
  options: RunOptions & { readonly toolCallId: string },
  invoke: Invoke,
): Promise<CheckResult> {
  const opts: RunOptions = { ...options, ledger: true };
  const rawDigest = safeDigest(rawArgs);
  const binding = bindingOf(task, def, rawDigest, opts) as string;
  const known = rt.ledger.get(options.toolCallId, binding);
  if (known?.settled !== undefined) {
    if (known.settled.ok || known.executed === true)
      return { effect: 'allow', decision: known.decision, settled: true };
    return {
      effect: 'deny',
      error: toWritError(known.settled.error, 'WRIT_INTERNAL'),
      decision: known.decision,
    };
  }
  if (known?.decision !== undefined && known.failure === undefined) return pending(known);
  const s = newState(rt, task, def, rawArgs, rawDigest, opts, invoke, NO_SPAN, options.toolCallId, binding);
  try {
    await validate(s);
    await authorize(s);
  } catch (error) {
    if (WritError.isInstance(error, 'WRIT_ABORTED')) throw error;
    if (s.decision !== undefined) {
      rt.ledger.set(options.toolCallId, {
        binding,
        request: s.request,
        decision: s.decision,
        failure: toWritError(error, 'WRIT_INTERNAL'),
        expiresAt: rt.clock() + rt.timeouts.approvalMs,
      });
    }
    // record the refusal the normal way (span, decision record, outcome); the run replays the failure
    try {
      await runCall(rt, task, def, rawArgs, opts, invoke);
    } catch (refusal) {
      return { effect: 'deny', error: toWritError(refusal, 'WRIT_INTERNAL'), decision: s.decision };
    }
    return { effect: 'allow', decision: s.decision, settled: true };
  }
  const decision = s.decision as Decision;
  const entry: LedgerEntry = {
    binding,
    request: s.request,
    decision,
    failure: undefined,
    expiresAt: rt.clock() + rt.timeouts.approvalMs,
    bindingHash: approvalBindingHash({
      tool: def.name,
      argsDigest: s.call.argsDigest,
      agent: currentActor(task.attribution).id,
      decisionId: decision.decisionId,
    }),
  };
  rt.ledger.set(options.toolCallId, entry);
  return pending(entry);
}

function pending(entry: LedgerEntry): CheckResult {
  const decision = entry.decision as Decision;
  if (decision.effect !== 'approval_required') return { effect: 'allow', decision, settled: false };
  return {
    effect: 'approval_required',
    decision,
    expiresAt: entry.expiresAt,
    bindingHash: entry.bindingHash as string,
  };
}

const stages = compose<State, unknown>(
  [
    (s, next) => validate(s).then(next),
    (s, next) => authorize(s).then(next),
    (s, next) => approve(s).then(next),
    (s, next) => issueCredential(s).then(next),
    (s, next) => recordDecision(s).then(next),
  ],
  (s) => execute(s),
);

async function drive(state: State, preRefusal: WritError | undefined, ownsSpan: boolean): Promise<unknown> {
  const { rt, span } = state;
  const started = performance.now();
  try {
    if (preRefusal) throw preRefusal;
    const result = await stages(state);
    span.setStatus({ code: SpanStatusCode.OK });
    if (rt.telemetry.recordOutputs)
      span.setAttribute(ATTR.GEN_AI_TOOL_CALL_RESULT, jsonAttribute(rt, result));
    await recordOutcome(state, 'ok', started, undefined, result);
    return result;
  } catch (error) {
    if (state.executed) {
      const code = WritError.isInstance(error) ? error.code : error instanceof Error ? error.name : 'Error';
      if (suspended(state, error)) {
        // paused by the framework, not failed: the span ends unset, the outcome says so
        span.setAttribute(ATTR.WRIT_OUTCOME, 'suspended');
        await recordOutcome(state, 'suspended', started, code, undefined);
        throw error;
      }
      markError(span, code, error);
      await recordOutcome(state, 'error', started, code, undefined);
      throw error;
    }
    const refusal = toWritError(error, 'WRIT_INTERNAL');
    markError(span, refusal.code, refusal);
    if (!state.decisionSettled) {
      state.decisionSettled = true;
      try {
        const receipt = await appendEvent(rt, decisionEvent(state, refusal));
        state.decisionReceipt = receipt;
        span.setAttribute(ATTR.WRIT_AUDIT_INDEX, receipt.index);
      } catch (auditError) {
        rt.report(toWritError(auditError, 'WRIT_AUDIT_UNAVAILABLE'));
      }
    }
    await recordOutcome(state, 'refused', started, refusal.code, undefined);
    throw refusal;
  } finally {
    if (ownsSpan) span.end();
  }
}

async function validate(s: State): Promise<void> {
  if (s.signal.aborted) throw abortError(s.signal);
  const { def } = s;
  let args: unknown = s.rawArgs;
  if (def.input !== undefined) {
    let result: Awaited<ReturnType<NonNullable<ToolDefinition['input']>['~standard']['validate']>>;
    try {
      result = await def.input['~standard'].validate(s.rawArgs);
    } catch (error) {
      throw new WritError('WRIT_INPUT_INVALID', `arguments of ${def.name} could not be validated`, {
        cause: error,
      });
    }
    if (result.issues !== undefined) {
      const issues = formatIssues(result.issues, { limit: 20 });
      throw new WritError('WRIT_INPUT_INVALID', `invalid arguments for ${def.name}: ${issues.join('; ')}`, {
        details: { tool: def.name, issues },
      });
    }
    args = result.value;
  }
  let argsDigest: string;
  try {
    // one serialisation: it both proves the arguments are JSON and is what gets digested
    argsDigest = sha256Hex(canonicalJson(args === undefined ? null : args));
  } catch (error) {
    throw new WritError('WRIT_INPUT_INVALID', `arguments of ${def.name} are not JSON-serialisable`, {
      cause: error,
    });
  }
  let resource = s.call.resource;
  let dataClassification: string | undefined;
  try {
    if (def.resource) resource = def.resource(args);
    dataClassification =
      typeof def.dataClassification === 'function' ? def.dataClassification(args) : def.dataClassification;
  } catch (error) {
    throw new WritError('WRIT_INPUT_INVALID', `could not resolve the resource of ${def.name}`, {
      cause: error,
    });
  }
  if (typeof resource?.type !== 'string' || typeof resource.id !== 'string') {
    throw new WritError(
      'WRIT_INPUT_INVALID',
      `resource() of ${def.name} must return { type: string, id: string }`,
    );
  }
  // the resource object the application returned, its keys in canonical order (it is in every decision record)
  s.call = { ...s.call, args, argsDigest, resource: withSortedKeys(resource), dataClassification };
  if (s.rt.telemetry.recordInputs)
    s.span.setAttribute(ATTR.GEN_AI_TOOL_CALL_ARGUMENTS, jsonAttribute(s.rt, args));
}

function buildRequest(s: State): AuthorizationRequest {
  const { attribution, call, rt, def } = s;
  const actor = currentActor(attribution);
  // the same frozen references every record of the task carries
  const { requester, chain } = principalRefs(attribution);
  const inScope = scopeCovers(attribution.scope, call.permission);
  // keys in canonical (sorted) order: the decision record carries this request, and serialises on
  // canonicalJson's fast path
  return {
    action: {
      name: call.name,
      properties: {
        audience: call.audience,
        destructive: def.annotations.destructive,
        idempotent: def.annotations.idempotent,
        openWorld: def.annotations.openWorld,
        permission: call.permission,
        readOnly: def.annotations.readOnly,
        risk: call.risk,
        toolType: call.type,
      },
    },
    context: {
      argsDigest: call.argsDigest,
      autonomous: attribution.autonomous,
      chainDepth: chain.length,
      correlationId: attribution.correlationId,
      dataClassification: call.dataClassification,
      environment: rt.environment,
      inScope,
      intent: attribution.intent,
      risk: call.risk,
      scope: attribution.scope,
      taskId: attribution.taskId,
      toolCallId: call.id,
    },
    resource: call.resource,
    subject: {
      id: actor.id,
      properties: {
        assurance: actor.assurance,
        autonomous: attribution.autonomous,
        chain,
        chainDepth: chain.length,
        name: actor.name,
        ...(actor.owner === undefined ? {} : { owner: actor.owner }),
        ...(actor.purpose === undefined ? {} : { purpose: actor.purpose }),
        requester,
      },
      type: actor.kind === 'service' ? 'Service' : 'Agent',
    },
  };
}

async function authorize(s: State): Promise<void> {
  const { rt, span } = s;
  const known = s.binding === undefined ? undefined : rt.ledger.get(s.call.id, s.binding);
  if (known?.decision !== undefined) {
    // decided earlier for this very call (framework asked first): reuse, never decide twice
    s.fromLedger = true;
    s.request = known.request;
    s.decision = known.decision;
    s.approvalExpiresAt = known.expiresAt;
    setDecisionAttributes(span, known.decision);
    if (known.failure !== undefined) throw known.failure;
    return;
  }
  const actor = currentActor(s.attribution);
  const registered = rt.agents.get(actor.name ?? '');
  if (registered?.tools !== undefined && !registered.tools.includes(s.call.name)) {
    const reason = `${s.call.name} is not among the tools registered for agent ${registered.id}`;
    s.decision = {
      effect: 'deny',
      policyIds: ['writ:agent-registry'],
      reasons: [reason],
      decisionId: rt.generateId(),
      engine: 'writ:registry',
      evaluatedContext: buildRequest(s),
    };
    setDecisionAttributes(span, s.decision);
    throw new WritError('WRIT_POLICY_DENIED', reason, {
      details: {
        tool: s.call.name,
        decisionId: s.decision.decisionId,
        policyIds: ['writ:agent-registry'],
        reasons: [reason],
      },
    });
  }
  let request = buildRequest(s);
  for (const transform of rt.transformRequest) {
    request = await transform(request, s);
    if (typeof request !== 'object' || request === null) {
      throw new WritError('WRIT_MIDDLEWARE_INVALID', 'transformRequest must return an AuthorizationRequest');
    }
  }
  s.request = request;
  span.setAttribute(ATTR.WRIT_SCOPE_IN_SCOPE, request.context.inScope);
  let decision: Decision;
  try {
    decision = await decide(s);
  } catch (error) {
    const failure = WritError.isInstance(error, 'WRIT_ABORTED')
      ? error
      : WritError.isInstance(error) && error.code !== 'WRIT_INTERNAL'
        ? error
        : new WritError(
            'WRIT_PDP_UNAVAILABLE',
            `policy engine "${rt.policy.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
    s.decision = {
      effect: 'deny',
      policyIds: [],
      reasons: [failure.message],
      decisionId: rt.generateId(),
      engine: rt.policy.name,
      evaluatedContext: request,
      errors: [failure.message],
    };
    setDecisionAttributes(span, s.decision);
    throw failure;
  }
  s.decision = decision;
  setDecisionAttributes(span, decision);
  if (decision.effect === 'deny') {
    const because = decision.reasons.length > 0 ? `: ${decision.reasons.join('; ')}` : '';
    throw new WritError(
      'WRIT_POLICY_DENIED',
      `${s.call.name} was denied by policy (${decision.engine})${because}`,
      {
        details: {
          tool: s.call.name,
          decisionId: decision.decisionId,
          policyIds: [...decision.policyIds],
          reasons: [...decision.reasons],
        },
      },
    );
  }
}

function decide(s: State): Promise<Decision> {
  const { rt } = s;
  const inner = async (state: CallState): Promise<Decision> => {
    const request = state.request as AuthorizationRequest;
    const raw = await withDeadline(
      rt.timeouts.policyMs,
      state.signal,
      (signal) => rt.policy.decide(request, { signal }),
      () =>
        new WritError(
          'WRIT_PDP_UNAVAILABLE',
          `policy engine "${rt.policy.name}" did not answer within ${rt.timeouts.policyMs} ms`,
        ),
    );
    return checkDecision(raw, { engine: rt.policy.name, request, generateId: rt.generateId });
  };
  return compose(
    rt.wrapDecide,
    inner,
  )(s).then((d) =>
    checkDecision(d, {
      engine: rt.policy.name,
      request: s.request as AuthorizationRequest,
      generateId: rt.generateId,
    }),
  );
}

/**
 * `sha256:<hex>` binding an approval to exactly one call: tool, canonical arguments, acting agent and
 * the decision that asked for it.
 *
 * @example
 * ```ts
 * approvalBindingHash({ tool: 'refund_order', argsDigest: call.argsDigest, agent: actor.id, decisionId: decision.decisionId });
 * ```
 */
export function approvalBindingHash(input: {
  tool: string;
  argsDigest: string;
  agent: string;
  decisionId: string;
}): string {
  return sha256Hex(canonicalJson(input));
}

async function approve(s: State): Promise<void> {
  const decision = s.decision as Decision;
  if (decision.effect !== 'approval_required') return;
  const { rt, call } = s;
  const agent = currentActor(s.attribution).id;
  const bindingHash = approvalBindingHash({
    tool: call.name,
    argsDigest: call.argsDigest,
    agent,
    decisionId: decision.decisionId,
  });
  const framework = s.options.approval;
  let expiresAt: number;
  let response: ApprovalResponse;
  if (framework !== undefined) {
    if (!s.fromLedger || s.approvalExpiresAt === undefined) {
      throw new WritError(
        'WRIT_APPROVAL_REJECTED',
        `approval for ${call.name} refused: Writ has no pending approval for tool call ${call.id} (expired, asked in another process, or never asked through Writ)`,
        { details: { tool: call.name, decisionId: decision.decisionId, why: 'no_pending_approval' } },
      );
    }
    expiresAt = s.approvalExpiresAt;
    const approver = framework.approver ?? (framework.approved ? s.attribution.requester : undefined);
    response = {
      approved: framework.approved,
      bindingHash,
      ...(approver === undefined ? {} : { approver }),
      ...(framework.reason === undefined ? {} : { reason: framework.reason }),
    };
  } else {
    expiresAt = rt.clock() + rt.timeouts.approvalMs;
    response = await askHandler(s, decision, bindingHash, expiresAt);
  }
  const refuse = (why: string) =>
    new WritError('WRIT_APPROVAL_REJECTED', `approval for ${call.name} refused: ${why}`, {
      details: { tool: call.name, decisionId: decision.decisionId, why },
    });
  if (typeof response !== 'object' || response === null || typeof response.approved !== 'boolean') {
    throw refuse('the approval handler returned a malformed answer');
  }
  if (response.bindingHash !== bindingHash) throw refuse('the answer is bound to another call');
  if (rt.clock() > expiresAt) throw refuse('the answer arrived after the approval expired');
  if (response.approved && (response.approver === undefined || typeof response.approver.id !== 'string')) {
    throw refuse('an approval must name its approver');
  }
  s.approval = response;
  s.approvalRecord = {
    approved: response.approved,
    approver: response.approver === undefined ? null : toPrincipalRef(response.approver),
    bindingHash,
    expiresAt,
    reason: response.reason,
  };
  await appendEvent(
    rt,
    auditEvent(rt, s.attribution, s.span, {
      approval: s.approvalRecord,
      call: callRecord(s),
      decisionId: decision.decisionId,
      kind: 'approval',
    }),
  );
  if (response.approver !== undefined) s.span.setAttribute(ATTR.WRIT_APPROVAL_APPROVER, response.approver.id);
  if (!response.approved) {
    throw new WritError(
      'WRIT_APPROVAL_REJECTED',
      `${call.name} was not approved${response.reason ? `: ${response.reason}` : ''}`,
      {
        details: {
          tool: call.name,
          decisionId: decision.decisionId,
          approver: response.approver?.id ?? null,
        },
      },
    );
  }
}

async function askHandler(
  s: State,
  decision: Decision,
  bindingHash: string,
  expiresAt: number,
): Promise<ApprovalResponse> {
  const { rt, call } = s;
  const handler = rt.approvals;
  if (handler === undefined) {
    throw new WritError(
      'WRIT_APPROVAL_REJECTED',
      `${call.name} requires approval but no approval handler is configured`,
      { details: { tool: call.name, decisionId: decision.decisionId } },
    );
  }
  try {
    return await withDeadline(
      rt.timeouts.approvalMs,
      s.signal,
      (signal) =>
        handler.requestApproval(
          { call, attribution: s.attribution, decision, bindingHash, expiresAt },
          { signal },
        ),
      () =>
        new WritError(
          'WRIT_APPROVAL_REJECTED',
          `approval for ${call.name} timed out after ${rt.timeouts.approvalMs} ms`,
        ),
    );
  } catch (error) {
    if (WritError.isInstance(error, 'WRIT_ABORTED') || WritError.isInstance(error, 'WRIT_APPROVAL_REJECTED'))
      throw error;
    throw new WritError(
      'WRIT_APPROVAL_REJECTED',
      `approval handler "${handler.name}" failed for ${call.name}`,
      { cause: error },
    );
  }
}

/** The task credential, renewed first when it is about to expire and the broker can renew. */
async function taskCredential(s: State): Promise<Credential | undefined> {
  const { rt, task } = s;
  const current = task.credential;
  const broker = rt.credentials;
  if (
    current === undefined ||
    broker?.renewTaskCredential === undefined ||
    current.expiresAt - rt.clock() > WRIT_DEFAULTS.renewTaskCredentialBeforeMs
  ) {
    return current;
  }
  if (task.renewing === undefined) {
    const renew = broker.renewTaskCredential.bind(broker);
    task.renewing = withDeadline(
      rt.timeouts.credentialMs,
      s.signal,
      (signal) => renew({ attribution: task.attribution, credential: current }, { signal }),
      () =>
        new WritError(
          'WRIT_CREDENTIAL_UNAVAILABLE',
          `credential broker "${broker.name}" did not renew the task token in time`,
        ),
    )
      .then((renewed) => {
        task.credential = renewed;
        return renewed;
      })
      .finally(() => {
        task.renewing = undefined;
      });
  }
  try {
    return await task.renewing;
  } catch (error) {
    if (WritError.isInstance(error, 'WRIT_ABORTED')) throw error;
    throw new WritError('WRIT_CREDENTIAL_UNAVAILABLE', 'the task token could not be renewed', {
      cause: error,
    });
  }
}

async function issueCredential(s: State): Promise<void> {
  const { rt, call } = s;
  const taskToken = await taskCredential(s);
  if (call.audience === undefined) {
    s.credential = taskToken;
  } else {
    const broker = rt.credentials;
    if (broker === undefined) {
      throw new WritError(
        'WRIT_CREDENTIAL_UNAVAILABLE',
        `${call.name} needs a credential for ${call.audience} but no credential broker is configured`,
      );
    }
    try {
      s.credential = await withDeadline(
        rt.timeouts.credentialMs,
        s.signal,
        (signal) =>
          broker.credentialFor(
            {
              attribution: s.attribution,
              call,
              audience: call.audience as string,
              taskCredential: taskToken,
            },
            { signal },
          ),
        () =>
          new WritError(
            'WRIT_CREDENTIAL_UNAVAILABLE',
            `credential broker "${broker.name}" did not answer within ${rt.timeouts.credentialMs} ms`,
          ),
      );
    } catch (error) {
      // a broker's own verdicts pass through: a widened credential is a scope refusal, not an outage
      if (
        WritError.isInstance(error, 'WRIT_ABORTED') ||
        WritError.isInstance(error, 'WRIT_CREDENTIAL_UNAVAILABLE') ||
        WritError.isInstance(error, 'WRIT_SCOPE_EXCEEDED')
      )
        throw error;
      throw new WritError(
        'WRIT_CREDENTIAL_UNAVAILABLE',
        `no credential for ${call.audience}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
  }
  if (s.credential !== undefined) s.span.setAttribute(ATTR.WRIT_CREDENTIAL_JTI, s.credential.jti);
}

async function recordDecision(s: State): Promise<void> {
  s.decisionSettled = true;
  const receipt = await appendEvent(s.rt, decisionEvent(s, undefined), s.signal);
  s.decisionReceipt = receipt;
  s.span.setAttribute(ATTR.WRIT_AUDIT_INDEX, receipt.index);
}

function execute(s: State): Promise<unknown> {
  if (s.signal.aborted) return Promise.reject(abortError(s.signal));
  const ctx: ToolContext = {
    attribution: s.attribution,
    credential: s.credential,
    signal: s.signal,
    call: s.call,
    decision: s.decision as Decision,
    span: s.span,
  };
  const inner = (state: CallState): Promise<unknown> => {
    s.executed = true;
    const toolCtx = activeContext().setValue(TOOL_CONTEXT_KEY, ctx);
    return runInContext(toolCtx, async () => s.invoke(state.call.args, ctx));
  };
  return compose(s.rt.wrapExecute, inner)(s);
}

function callRecord(s: State): CallRecord {
  const { call, rt } = s;
  // keys in canonical (sorted) order, so that the record serialises on canonicalJson's fast path
  const record = {} as { -readonly [K in keyof CallRecord]: CallRecord[K] };
  if (rt.capture.args) record.args = captured(rt, call.args);
  if (call.argsDigest !== undefined) record.argsDigest = call.argsDigest;
  if (call.audience !== undefined) record.audience = call.audience;
  if (s.options.framework !== undefined) record.framework = s.options.framework;
  record.id = call.id;
  record.name = call.name;
  record.permission = call.permission;
  if (call.resource !== undefined) record.resource = call.resource;
  record.risk = call.risk;
  record.type = call.type;
  return record;
}

function decisionEvent(s: State, refusal: WritError | undefined) {
  const { rt } = s;
  const d = s.decision;
  // keys in canonical (sorted) order, so that the record serialises on canonicalJson's fast path
  const decision: DecisionRecord =
    d === undefined
      ? {
          decisionId: rt.generateId(),
          effect: 'deny',
          engine: 'writ',
          policyIds: [],
          reasons: [refusal?.message ?? 'refused'],
        }
      : {
          decisionId: d.decisionId,
          effect: d.effect,
          engine: d.engine,
          ...(d.errors === undefined ? {} : { errors: d.errors }),
          evaluatedContext: d.evaluatedContext,
          ...(d.obligations === undefined ? {} : { obligations: d.obligations }),
          policyIds: d.policyIds,
          reasons: d.reasons,
        };
  // fields in sorted order; undefined ones are left out
  return auditEvent(rt, s.attribution, s.span, {
    approval: s.approvalRecord,
    call: callRecord(s),
    credential: s.credential === undefined ? undefined : toCredentialRef(s.credential),
    decision,
    kind: 'decision' as const,
    refusal: refusal === undefined ? undefined : refusalRecord(refusal),
    scopeDrift:
      s.request?.context.inScope === false
        ? { permission: s.call.permission, scope: s.attribution.scope }
        : undefined,
  });
}

function refusalRecord(error: WritError): RefusalRecord {
  return Object.keys(error.details).length === 0
    ? { code: error.code, message: error.message }
    : { code: error.code, details: withSortedKeys(error.details), message: error.message };
}

async function recordOutcome(
  s: State,
  status: 'ok' | 'error' | 'refused' | 'suspended',
  started: number,
  errorCode: WritErrorCode | string | undefined,
  result: unknown,
): Promise<void> {
  const { rt } = s;
  // keys in canonical (sorted) order, so that the record serialises on canonicalJson's fast path
  const outcome = {
    durationMs: Math.round((performance.now() - started) * 1000) / 1000,
  } as { -readonly [K in keyof OutcomeFields]: OutcomeFields[K] };
  if (errorCode !== undefined) outcome.errorCode = errorCode;
  if (status === 'ok' && rt.capture.results) outcome.result = captured(rt, result);
  if (status === 'ok') outcome.resultDigest = safeDigest(result);
  outcome.status = status;
  try {
    await appendEvent(
      rt,
      auditEvent(rt, s.attribution, s.span, {
        call: { id: s.call.id, name: s.call.name },
        decisionIndex: s.decisionReceipt?.index,
        kind: 'outcome',
        outcome,
      }),
    );
  } catch (error) {
    rt.report(toWritError(error, 'WRIT_AUDIT_UNAVAILABLE'));
  }
}

interface OutcomeFields {
  readonly status: 'ok' | 'error' | 'refused' | 'suspended';
  readonly errorCode?: string;
  readonly durationMs: number;
  readonly resultDigest?: string;
  readonly result?: unknown;
}

function captured(rt: Runtime, value: unknown): unknown {
  try {
    return JSON.parse(canonicalJson(redact(value === undefined ? null : value, rt.redact)));
  } catch {
    return '[unserialisable]';
  }
}

function jsonAttribute(rt: Runtime, value: unknown): string {
  try {
    return canonicalJson(redact(value === undefined ? null : value, rt.redact));
  } catch {
    return '"[unserialisable]"';
  }
}

function safeDigest(value: unknown): string {
  return digest(value);
}

function markError(span: Span, code: string, error: unknown): void {
  span.setAttribute(ATTR.ERROR_TYPE, code);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

function setDecisionAttributes(span: Span, decision: Decision): void {
  span.setAttribute(ATTR.WRIT_POLICY_EFFECT, decision.effect);
  span.setAttribute(ATTR.WRIT_POLICY_DECISION_ID, decision.decisionId);
  span.setAttribute(ATTR.WRIT_POLICY_IDS, [...decision.policyIds]);
  span.setAttribute(ATTR.WRIT_POLICY_ENGINE, decision.engine);
}

function startAttributes(rt: Runtime, def: ToolDefinition, callId: string, attribution: Attribution) {
  const actor = currentActor(attribution);
  const attributes: Record<string, string | boolean | string[]> = {
    [ATTR.GEN_AI_OPERATION_NAME]: EXECUTE_TOOL,
    [ATTR.GEN_AI_TOOL_NAME]: def.name,
    [ATTR.GEN_AI_TOOL_CALL_ID]: callId,
    [ATTR.GEN_AI_TOOL_TYPE]: def.type,
    [ATTR.GEN_AI_AGENT_NAME]: actor.name ?? actor.id,
    [ATTR.WRIT_TASK_ID]: attribution.taskId,
    [ATTR.WRIT_CORRELATION_ID]: attribution.correlationId,
    [ATTR.WRIT_AGENT_ID]: actor.id,
    [ATTR.WRIT_CHAIN]: authorityChain(attribution),
    [ATTR.WRIT_AUTONOMOUS]: attribution.autonomous,
  };
  if (def.description !== undefined) attributes[ATTR.GEN_AI_TOOL_DESCRIPTION] = def.description;
  if (attribution.conversationId !== undefined)
    attributes[ATTR.GEN_AI_CONVERSATION_ID] = attribution.conversationId;
  if (rt.telemetry.recordEndUser && attribution.requester !== undefined)
    attributes[ATTR.ENDUSER_ID] = attribution.requester.id;
  return attributes;
}

interface ReadableSpanLike {
  readonly name?: unknown;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/** The framework's `execute_tool` span for this call, if one is active (SDK spans expose name and attributes). */
function frameworkSpan(ctx: Context, toolName: string, callId: string | undefined): Span | undefined {
  const span = trace.getSpan(ctx);
  if (span === undefined || ownSpans.has(span) || !span.isRecording()) return undefined;
  const readable = span as unknown as ReadableSpanLike;
  const attributes = readable.attributes ?? {};
  const isTool =
    readable.name === `${EXECUTE_TOOL} ${toolName}` ||
    (attributes[ATTR.GEN_AI_OPERATION_NAME] === EXECUTE_TOOL &&
      attributes[ATTR.GEN_AI_TOOL_NAME] === toolName);
  if (!isTool) return undefined;
  const other = attributes[ATTR.GEN_AI_TOOL_CALL_ID];
  if (callId !== undefined && typeof other === 'string' && other !== callId) return undefined;
  return span;
}

function frameworkCallId(span: Span): string | undefined {
  const id = (span as unknown as ReadableSpanLike).attributes?.[ATTR.GEN_AI_TOOL_CALL_ID];
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}
