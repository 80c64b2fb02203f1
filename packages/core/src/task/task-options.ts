import { z } from 'zod';
import type { Attribution } from '../attribution.js';
import type { Credential } from '../credential.js';
import { signalSchema } from '../fetch-json.js';
import { scopeSchema } from '../options.js';
import type { Assurance, Principal } from '../principal.js';
import { lazySchema } from '../schemas.js';

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
  /** The token's audience(s) (`aud`), recorded as a list. */
  readonly audience?: string | readonly string[] | undefined;
  /** `sha256:<hex>` of the caller's intent (`tctx.intent_digest`). */
  readonly intentDigest?: string | undefined;
  /**
   * The identity provider that verified the requester and the assurance the caller recorded for them
   * (`sub_id` / `tctx.req_assurance`); absent for an autonomous task or a token that does not carry them.
   */
  readonly requester?: { readonly issuer: string; readonly assurance: Assurance } | undefined;
  /** Origin of the caller's evidence log (`tctx.caller_log`). */
  readonly callerLog?: string | undefined;
  /** Span id of the caller's call that obtained the credential (`tctx.caller_span`). */
  readonly callerSpanId?: string | undefined;
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
  /**
   * Continue a task this service opened earlier, by its id: the request that answers an approval asked
   * in an earlier request (AI SDK, LangGraph, OpenAI Agents and Mastra resumes). What Writ remembered
   * for the task (decisions, pending approvals, settled calls) applies only to the same requester and
   * agent; anything else is judged afresh. The task-start record says `resumed: true`.
   */
  resume?: string;
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

function taskSchemas() {
  const principalSchema = z.object({
    kind: z.enum(['human', 'agent', 'service']),
    id: z.string().min(1).max(2048),
    issuer: z.string().optional(),
    name: z.string().optional(),
    claims: z.record(z.string(), z.unknown()).optional(),
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
    // a custom verifier may give one audience as a string
    audience: z.union([id, z.array(id).max(64)]).optional(),
    intentDigest: id.optional(),
    requester: z.object({ issuer: id, assurance: z.enum(['verified', 'asserted', 'claimed']) }).optional(),
    callerLog: id.optional(),
    callerSpanId: z
      .string()
      .regex(/^[0-9a-f]{16}$/)
      .optional(),
  });
  // what `writ.task` accepts (validated before anything runs)
  const task = z.strictObject({
    // tokens are not limited here: the identity provider refuses empty or oversized ones, recorded
    requester: z.union([z.string(), principalSchema]).optional(),
    inbound: inboundSchema.optional(),
    resume: z.string().min(1).max(256).optional(),
    agent: agentName,
    intent: z.string().max(8192).optional(),
    scope: scopeSchema.optional(),
    correlationId: z.string().min(1).max(256).optional(),
    conversationId: z.string().min(1).max(256).optional(),
    signal: signalSchema.optional(),
  });
  // what `writ.delegate` accepts
  const delegate = z.strictObject({
    agent: agentName,
    scope: scopeSchema.optional(),
    intent: z.string().max(8192).optional(),
    signal: signalSchema.optional(),
  });
  return { task, delegate };
}

let schemas: ReturnType<typeof taskSchemas> | undefined;

/** What `writ.task` accepts (validated before anything runs); built on first use. */
export const taskSchema = lazySchema(() => {
  schemas ??= taskSchemas();
  return schemas.task;
});
/** What `writ.delegate` accepts; built on first use. */
export const delegateSchema = lazySchema(() => {
  schemas ??= taskSchemas();
  return schemas.delegate;
});
