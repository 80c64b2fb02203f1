import type { Attribution } from '../attribution.js';
import type { Config } from '../config.js';
import { WritError } from '../errors.js';
import type { Principal } from '../principal.js';
import { narrowScope, parseScope } from '../scope.js';
import { registration, resolveAgent, withinRegistration } from './identities.js';
import type { InboundTask, TaskOptions } from './task-options.js';

/** The attribution of a task continued from a verified task token. */
export async function continueInbound(
  config: Config,
  inbound: InboundTask,
  agentName: string,
  options: TaskOptions,
  taskId: string,
  correlationId: string,
  signal: AbortSignal,
): Promise<Attribution> {
  if (inbound.expiresAt <= config.clock()) {
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
  const registered = registration(config, agentName);
  const scope = withinRegistration(
    registered,
    narrowScope(parseScope(inbound.scope), options.scope === undefined ? undefined : options.scope),
  );
  const agent = await resolveAgent(config, agentName, signal, registered);
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
