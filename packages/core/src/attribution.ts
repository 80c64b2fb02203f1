import type { CredentialRef } from './credential.js';
import type { InboundRecord } from './inbound-record.js';
import type { Principal } from './principal.js';

/**
 * Who is acting, for whom, why, and with what authority: the facts attached to every tool call made
 * inside a task. Read it with `getAttribution()` / `tryGetAttribution()`.
 *
 * @example
 * ```ts
 * await writ.task({ requester: aliceToken, agent: 'support', intent: 'Refund order 42', scope: ['orders:*'] }, async () => {
 *   const a = getAttribution();
 *   a.requester?.id; // 'alice@example.com'
 *   a.chain.map((p) => p.id); // ['spiffe://writ.local/agent/support']
 * });
 * ```
 */
export interface Attribution {
  /** Unique id of the task (one user request, or one autonomous call). */
  readonly taskId: string;
  /**
   * This run of the task: unique per `writ.task` / `writ.delegate` call. A task continued by several
   * requests (a service continuing its caller's task, a resume after an approval) has one run per
   * request; credentials are issued and revoked per run.
   */
  readonly runId?: string | undefined;
  /** Correlation id shared by everything the request caused, across services (W3C baggage `writ.correlation_id`). */
  readonly correlationId: string;
  /** The human (or service) the work is done for; `undefined` when autonomous. */
  readonly requester?: Principal | undefined;
  /** True when no requester stands behind the work (calls outside `writ.task`, scheduled jobs). */
  readonly autonomous: boolean;
  /** Agents that acted, outermost (orchestrator) first; the last is the current actor. Never empty. */
  readonly chain: readonly Principal[];
  /** What the requester asked for, in their words (digested into tokens, kept in records). */
  readonly intent?: string | undefined;
  /** What the current actor may do: scope items such as `orders:read`, `orders:*`, `*`. */
  readonly scope: readonly string[];
  /** Reference to the task credential (never the token). */
  readonly credential?: CredentialRef | undefined;
  /** Id of the enclosing task when this attribution belongs to a delegation. */
  readonly parentTaskId?: string | undefined;
  /** Conversation / thread id from the agent framework, when known (`gen_ai.conversation.id`). */
  readonly conversationId?: string | undefined;
  /** The caller's verified task token this task continues (`writ.task({ inbound })`), by reference. */
  readonly inbound?: InboundRecord | undefined;
}

/**
 * The current actor of an attribution (last in the chain).
 *
 * @example
 * ```ts
 * currentActor(getAttribution()).id; // 'spiffe://writ.local/agent/billing'
 * ```
 */
export function currentActor(attribution: Attribution): Principal {
  const actor = attribution.chain[attribution.chain.length - 1];
  if (actor === undefined) throw new TypeError('attribution chain is empty');
  return actor;
}

/**
 * Ids along the whole authority chain: requester first (when there is one), then every agent.
 *
 * @example
 * ```ts
 * authorityChain(getAttribution()); // ['alice@example.com', 'spiffe://…/agent/support', 'spiffe://…/agent/billing']
 * ```
 */
export function authorityChain(attribution: Attribution): string[] {
  const ids = attribution.chain.map((p) => p.id);
  return attribution.requester === undefined ? ids : [attribution.requester.id, ...ids];
}
