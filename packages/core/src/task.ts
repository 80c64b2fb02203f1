import { z } from 'zod';
import type { AgentDefinition } from './agent.js';
import type { Attribution } from './attribution.js';
import { withSortedKeys } from './canonical-json.js';
import { activeContext, runInContext, type TaskState, tryGetTaskState, withTaskState } from './context.js';
import { type Credential, toCredentialRef } from './credential.js';
import { toWritError, WritError } from './errors.js';
import { scopeSchema, validateOptions, WRIT_DEFAULTS } from './options.js';
import type { Principal } from './principal.js';
import { correlationIdFromContext, withCorrelationBaggage } from './propagation.js';
import { appendEvent, auditEvent, NEVER, type Runtime, withDeadline } from './runtime.js';
import { narrowScope, parseScope } from './scope.js';

/**
 * The caller's authority, taken from a task token the receiving service verified (the shape of
 * `@writ/identity`'s `VerifiedTaskToken`). A service that continues a caller's task passes it as
 * `writ.task({ inbound })`: the task keeps the caller's task id, correlation id, requester and chain,
 * with this service's agent appended, and its scope can only narrow the token's.
 *
 * @example
 * ```ts
 * const inbound = await verifyTaskToken(token, { issuer, audience: 'https://orders.example.com', jwks });
 * await writ.task({ agent: 'orders-mcp', inbound }, () => lookup.execute(args));
 * ```
 */
export interface InboundTask {
  /** The caller's task id (`txn`); kept, so records on both sides share it. */
  readonly taskId: string;
  /** The requester (`sub`), or the first agent when the task is autonomous. */
  readonly subject: string;
  /** Agents that acted, outermost first (the token's nested `act`, reversed). */
  readonly actors: readonly string[];
  readonly autonomous: boolean;
  readonly scope: readonly string[];
  /** Issuer of the token. */
  readonly issuer: string;
  /** Token id, recorded as the task's credential reference. */
  readonly jti: string;
  /** Token expiry, epoch ms. */
  readonly expiresAt: number;
  readonly correlationId?: string | undefined;
  readonly parentTaskId?: string | undefined;
}

/**
 * Options of `writ.task`.
 *
 * @example
 * ```ts
 * const options: TaskOptions = {
 *   requester: idToken, // verified by the identity provider
 *   agent: 'support-bot',
 *   intent: 'Refund order 42, it arrived broken',
 *   scope: ['orders:*'],
 *   conversationId: thread.id,
 * };
 * await writ.task(options, () => refund.execute({ orderId: '42', amount: 30 }));
 * ```
 */
export interface TaskOptions {
  /**
   * Who the work is for: a token (e.g. an OIDC ID token) that the identity provider verifies, or a
   * `Principal` the application vouches for (recorded with assurance `asserted`). Omit for autonomous work.
   */
  requester?: string | Principal;
  /** Name of the agent doing the work; resolved to its workload identity. */
  agent: string;
  /** What was asked, in the requester's words. */
  intent?: string;
  /** What the agent may do. @default ['*'] */
  scope?: readonly string[];
  /** Correlation id to continue. @default the one in incoming W3C baggage, else a new id */
  correlationId?: string;
  /** The framework's conversation / thread id (`gen_ai.conversation.id`). */
  conversationId?: string;
  /** Aborts the task's calls. */
  signal?: AbortSignal;
  /**
   * Continue the caller's task from its verified task token (services, MCP servers). Excludes
   * `requester`: the requester and chain come from the token.
   */
  inbound?: InboundTask;
}

/**
 * Options of `writ.delegate`.
 *
 * @example
 * ```ts
 * const options: DelegateOptions = { agent: 'billing-bot', scope: ['orders:refund'], intent: 'Refund order 42' };
 * await writ.delegate(options, () => refund.execute({ orderId: '42', amount: 30 })); // inside writ.task
 * ```
 */
export interface DelegateOptions {
  /** Name of the sub-agent. */
  agent: string;
  /** Scope for the sub-agent; must be covered by the delegating scope. @default the delegating scope */
  scope?: readonly string[];
  /** A narrower statement of what the sub-agent is for. @default the parent's intent */
  intent?: string;
  signal?: AbortSignal;
}

/**
 * What the task function receives.
 *
 * @example
 * ```ts
 * await writ.task({ requester: idToken, agent: 'support-bot' }, async (task: TaskHandle) => {
 *   task.attribution.taskId; // in every record of this task
 *   task.credential?.jti; // the task token's id; its token is non-enumerable
 *   await lookup.execute({ orderId: '42' }, { signal: task.signal });
 * });
 * ```
 */
export interface TaskHandle {
  readonly attribution: Attribution;
  /** The task token (its `token` is non-enumerable). */
  readonly credential: Credential | undefined;
  readonly signal: AbortSignal;
}

const principalSchema = z.object({
  kind: z.enum(['human', 'agent', 'service']),
  id: z.string().min(1).max(2048),
  issuer: z.string().optional(),
  name: z.string().optional(),
  claims: z.record(z.string(), z.unknown()).optional(),
});
const signalSchema = z.custom<AbortSignal>((v) => v instanceof AbortSignal, {
  message: 'must be an AbortSignal',
});
const agentName = z.string().min(1).max(256);
const id = z.string().min(1).max(2048);
const inboundSchema = z.object({
  taskId: id,
  subject: id,
  actors: z.array(id).max(32),
  autonomous: z.boolean(),
  scope: z.array(z.string()),
  issuer: id,
  jti: id,
  expiresAt: z.number(),
  correlationId: id.optional(),
  parentTaskId: id.optional(),
});
const taskSchema = z.strictObject({
  // tokens are not limited here: the identity provider refuses empty or oversized ones, recorded
  requester: z.union([z.string(), principalSchema]).optional(),
  inbound: inboundSchema.optional(),
  agent: agentName,
  intent: z.string().max(8192).optional(),
  scope: scopeSchema.optional(),
  correlationId: z.string().min(1).max(256).optional(),
  conversationId: z.string().min(1).max(256).optional(),
  signal: signalSchema.optional(),
});
const delegateSchema = z.strictObject({
  agent: agentName,
  scope: scopeSchema.optional(),
  intent: z.string().max(8192).optional(),
  signal: signalSchema.optional(),
});

type Kind = 'task' | 'delegate' | 'autonomous';

/** Opens a task (or delegation) and runs `fn` inside it. @internal */
export async function runTask<R>(
  rt: Runtime,
  kind: Kind,
  input: TaskOptions | DelegateOptions,
  fn: (task: TaskHandle) => R,
): Promise<Awaited<R>> {
  const parent = tryGetTaskState();
  const options =
    kind === 'delegate'
      ? (validateOptions(delegateSchema, input, 'writ.delegate') as DelegateOptions)
      : (validateOptions(taskSchema, input, 'writ.task') as TaskOptions);
  if (kind === 'delegate' && parent === undefined) {
    throw new WritError('WRIT_NO_TASK', 'writ.delegate() must be called inside writ.task()');
  }
  const started = performance.now();
  const taskOptions = options as TaskOptions;
  const inbound = kind === 'task' ? taskOptions.inbound : undefined;
  if (inbound !== undefined && taskOptions.requester !== undefined) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'writ.task: options.inbound and options.requester exclude each other (the token names the requester)',
    );
  }
  const taskId = inbound?.taskId ?? rt.generateId();
  const correlationId =
    taskOptions.correlationId ??
    inbound?.correlationId ??
    (kind === 'delegate' ? parent?.attribution.correlationId : undefined) ??
    correlationIdFromContext() ??
    parent?.attribution.correlationId ??
    rt.generateId();
  const signal = options.signal ?? (kind === 'delegate' ? parent?.signal : undefined) ?? NEVER;
  const provisional: Principal = {
    kind: 'agent',
    id: options.agent,
    name: options.agent,
    assurance: 'asserted',
  };

  // 1. identities and scope: refusals are audited as a refused task-start
  let attribution: Attribution;
  try {
    if (kind === 'delegate' && parent !== undefined) {
      const registered = registration(rt, options.agent);
      const scope = withinRegistration(registered, narrowScope(parent.attribution.scope, options.scope));
      const agent = await resolveAgent(rt, options.agent, signal, registered);
      attribution = {
        taskId,
        correlationId,
        requester: parent.attribution.requester,
        autonomous: parent.attribution.autonomous,
        chain: Object.freeze([...parent.attribution.chain, agent]),
        intent: options.intent ?? parent.attribution.intent,
        scope,
        parentTaskId: parent.attribution.taskId,
        conversationId: parent.attribution.conversationId,
      };
    } else if (inbound !== undefined) {
      attribution = await continueInbound(
        rt,
        inbound,
        options.agent,
        taskOptions,
        taskId,
        correlationId,
        signal,
      );
    } else {
      const registered = registration(rt, options.agent);
      const scope = withinRegistration(
        registered,
        parseScope(taskOptions.scope ?? registered?.scope ?? WRIT_DEFAULTS.taskScope),
      );
      const requester = await resolveRequester(rt, taskOptions.requester, signal);
      const agent = await resolveAgent(rt, options.agent, signal, registered);
      attribution = {
        taskId,
        correlationId,
        requester,
        autonomous: kind === 'autonomous' || requester === undefined,
        chain: Object.freeze([agent]),
        intent: taskOptions.intent,
        scope,
        parentTaskId: parent?.attribution.taskId,
        conversationId: taskOptions.conversationId,
      };
    }
  } catch (error) {
    const refusal = toWritError(error, 'WRIT_IDENTITY_INVALID');
    const base = parent?.attribution;
    await recordRefusedStart(rt, refusal, {
      taskId,
      correlationId,
      requester: kind === 'delegate' ? base?.requester : undefined,
      autonomous: kind === 'delegate' ? (base?.autonomous ?? true) : taskOptions.requester === undefined,
      chain: kind === 'delegate' && base ? [...base.chain, provisional] : [provisional],
      intent: options.intent ?? (kind === 'delegate' ? base?.intent : undefined),
      scope: [],
      parentTaskId: base?.taskId,
    });
    throw refusal;
  }

  // 2. the task credential
  let credential: Credential | undefined;
  const broker = rt.credentials;
  if (broker !== undefined) {
    try {
      credential = await withDeadline(
        rt.timeouts.credentialMs,
        signal,
        (s) => broker.issueTaskCredential({ attribution, parent: parent?.credential }, { signal: s }),
        () =>
          new WritError(
            'WRIT_CREDENTIAL_UNAVAILABLE',
            `credential broker "${broker.name}" did not answer in time`,
          ),
      );
    } catch (error) {
      const refusal = WritError.isInstance(error)
        ? error
        : new WritError('WRIT_CREDENTIAL_UNAVAILABLE', 'the task credential could not be issued', {
            cause: error,
          });
      await recordRefusedStart(rt, refusal, attribution);
      throw refusal;
    }
    attribution = { ...attribution, credential: toCredentialRef(credential) };
  }
  Object.freeze(attribution);

  // 3. the task-start record must be in the log before anything runs
  try {
    await appendEvent(
      rt,
      auditEvent(rt, attribution, undefined, {
        kind: 'task-start',
        scope: attribution.scope,
        status: 'started',
        ...(attribution.credential === undefined ? {} : { credential: attribution.credential }),
        ...(attribution.inbound === undefined ? {} : { inbound: attribution.inbound }),
      }),
    );
  } catch (error) {
    await revoke(rt, attribution, 'task-start record not accepted');
    throw error;
  }

  const state: TaskState = { attribution, credential, runtime: rt.writ, signal };
  const ctx = withCorrelationBaggage(withTaskState(activeContext(), state), correlationId);
  const handle: TaskHandle = Object.freeze({ attribution, credential, signal });
  let status: 'ok' | 'error' = 'ok';
  let errorCode: string | undefined;
  try {
    return await runInContext(ctx, async () => fn(handle));
  } catch (error) {
    status = 'error';
    errorCode = WritError.isInstance(error) ? error.code : error instanceof Error ? error.name : 'Error';
    throw error;
  } finally {
    await revoke(rt, attribution, 'task-end');
    try {
      await appendEvent(
        rt,
        auditEvent(rt, attribution, undefined, {
          kind: 'task-end',
          status,
          ...(errorCode === undefined ? {} : { errorCode }),
          durationMs: Math.round((performance.now() - started) * 1000) / 1000,
        }),
      );
    } catch (error) {
      rt.report(toWritError(error, 'WRIT_AUDIT_UNAVAILABLE'));
    }
  }
}

/** The attribution of a task continued from a verified task token. */
async function continueInbound(
  rt: Runtime,
  inbound: InboundTask,
  agentName: string,
  options: TaskOptions,
  taskId: string,
  correlationId: string,
  signal: AbortSignal,
): Promise<Attribution> {
  if (inbound.expiresAt <= rt.clock()) {
    throw new WritError('WRIT_TOKEN_EXPIRED', 'the inbound task token has expired', {
      details: { token: 'task token', reason: 'expired', jti: inbound.jti },
    });
  }
  const verified = (id: string, kind: 'human' | 'agent'): Principal =>
    Object.freeze({ kind, id, assurance: 'verified' as const, issuer: inbound.issuer });
  const callers = inbound.autonomous ? [inbound.subject, ...inbound.actors] : inbound.actors;
  if (callers.length === 0) {
    throw new WritError('WRIT_IDENTITY_INVALID', 'the inbound task token names no acting agent', {
      details: { reason: 'no_actor', jti: inbound.jti },
    });
  }
  const registered = registration(rt, agentName);
  const scope = withinRegistration(
    registered,
    narrowScope(parseScope(inbound.scope), options.scope === undefined ? undefined : options.scope),
  );
  const agent = await resolveAgent(rt, agentName, signal, registered);
  return {
    taskId,
    correlationId,
    requester: inbound.autonomous ? undefined : verified(inbound.subject, 'human'),
    autonomous: inbound.autonomous,
    chain: Object.freeze([...callers.map((id) => verified(id, 'agent')), agent]),
    intent: options.intent,
    scope,
    parentTaskId: inbound.parentTaskId,
    conversationId: options.conversationId,
    inbound: { jti: inbound.jti, issuer: inbound.issuer, expiresAt: inbound.expiresAt },
  };
}

async function resolveRequester(rt: Runtime, requester: TaskOptions['requester'], signal: AbortSignal) {
  if (requester === undefined) return undefined;
  if (typeof requester !== 'string') {
    // the application vouches for this principal; Writ records that it did not verify it
    return Object.freeze({ ...requester, assurance: 'asserted' as const });
  }
  const principal = await withDeadline(
    rt.timeouts.identityMs,
    signal,
    (s) => rt.identity.verifyRequester(requester, { signal: s }),
    () =>
      new WritError(
        'WRIT_IDENTITY_INVALID',
        `identity provider "${rt.identity.name}" did not verify the requester in time`,
      ),
  );
  return checkPrincipal(rt, principal, 'requester');
}

/** The registry entry of an agent; refuses unregistered agents when there is a registry. */
function registration(rt: Runtime, agent: string): AgentDefinition | undefined {
  if (rt.agents.size === 0) return undefined;
  const found = rt.agents.get(agent);
  if (found === undefined) {
    throw new WritError('WRIT_IDENTITY_INVALID', `agent ${agent} is not in the agent registry`, {
      details: { reason: 'unregistered_agent', agent },
    });
  }
  return found;
}

/** A scope bounded by the agent's registered scope (`WRIT_SCOPE_EXCEEDED` beyond it). */
function withinRegistration(
  registered: AgentDefinition | undefined,
  scope: readonly string[],
): readonly string[] {
  return registered === undefined ? scope : narrowScope(registered.scope, scope);
}

async function resolveAgent(
  rt: Runtime,
  agent: string,
  signal: AbortSignal,
  registered?: AgentDefinition,
): Promise<Principal> {
  const principal = await withDeadline(
    rt.timeouts.identityMs,
    signal,
    (s) => rt.identity.agentIdentity(agent, { signal: s }),
    () =>
      new WritError(
        'WRIT_IDENTITY_INVALID',
        `identity provider "${rt.identity.name}" did not resolve agent ${agent} in time`,
      ),
  );
  const checked = checkPrincipal(rt, principal, 'agent');
  return Object.freeze({
    ...checked,
    name: checked.name ?? registered?.name ?? agent,
    ...(registered === undefined ? {} : { owner: registered.owner, purpose: registered.purpose }),
  });
}

function checkPrincipal(rt: Runtime, principal: Principal, what: string): Principal {
  if (
    typeof principal !== 'object' ||
    principal === null ||
    typeof principal.id !== 'string' ||
    principal.id.length === 0 ||
    !['human', 'agent', 'service'].includes(principal.kind) ||
    !['verified', 'asserted'].includes(principal.assurance)
  ) {
    throw new WritError(
      'WRIT_IDENTITY_INVALID',
      `identity provider "${rt.identity.name}" returned a malformed ${what}`,
    );
  }
  return Object.freeze({ ...principal });
}

async function recordRefusedStart(rt: Runtime, refusal: WritError, attribution: Attribution): Promise<void> {
  try {
    await appendEvent(
      rt,
      auditEvent(rt, attribution, undefined, {
        kind: 'task-start',
        scope: attribution.scope,
        status: 'refused',
        refusal: {
          code: refusal.code,
          ...(Object.keys(refusal.details).length === 0 ? {} : { details: withSortedKeys(refusal.details) }),
          message: refusal.message,
        },
      }),
    );
  } catch (error) {
    rt.report(toWritError(error, 'WRIT_AUDIT_UNAVAILABLE'));
  }
}

async function revoke(rt: Runtime, attribution: Attribution, reason: string): Promise<void> {
  const broker = rt.credentials;
  if (broker === undefined) return;
  let revoked: readonly Credential[];
  try {
    revoked = await withDeadline(
      rt.timeouts.credentialMs,
      NEVER,
      (signal) => broker.revokeTask(attribution.taskId, { signal }),
      () =>
        new WritError(
          'WRIT_CREDENTIAL_UNAVAILABLE',
          `credential broker "${broker.name}" did not revoke in time`,
        ),
    );
  } catch (error) {
    rt.report(
      toWritError(
        error,
        'WRIT_CREDENTIAL_UNAVAILABLE',
        `revoking the credentials of task ${attribution.taskId} failed`,
      ),
    );
    return;
  }
  if (revoked.length === 0) return;
  try {
    await appendEvent(
      rt,
      auditEvent(rt, attribution, undefined, {
        kind: 'revocation',
        credentials: revoked.map(toCredentialRef),
        reason,
      }),
    );
  } catch (error) {
    rt.report(toWritError(error, 'WRIT_AUDIT_UNAVAILABLE'));
  }
}
