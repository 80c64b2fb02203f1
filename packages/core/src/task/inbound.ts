import type { Attribution } from '../attribution.js';
import type { Config } from '../config.js';
import { WritError } from '../errors.js';
import type { InboundClaim, InboundRecord } from '../inbound-record.js';
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
  // the requester was not verified here: the caller's token carried who verified them and how sure
  // the caller was (`via` names the token's issuer); an older token names neither, and its issuer stands
  const requester = (id: string): Principal =>
    Object.freeze({
      kind: 'human' as const,
      id,
      assurance: inbound.requester?.assurance ?? ('verified' as const),
      issuer: inbound.requester?.issuer ?? inbound.issuer,
      via: inbound.issuer,
    });
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
    requester: inbound.autonomous ? undefined : requester(inbound.subject),
    autonomous: inbound.autonomous,
    chain: Object.freeze([...callers.map((id) => verified(id, 'agent')), agent]),
    intent: options.intent,
    scope,
    parentTaskId: inbound.parentTaskId,
    conversationId: options.conversationId,
    inbound: inboundRecord(inbound),
  };
}

/**
 * What the task-start records of the caller's verified token (`TaskStartEvent.inbound`), keys in
 * canonical order; `missing` lists the claims the token did not carry.
 */
export function inboundRecord(inbound: InboundTask): InboundRecord {
  const missing: InboundClaim[] = [];
  if (inbound.intentDigest === undefined) missing.push('intentDigest');
  if (inbound.requester === undefined && !inbound.autonomous) missing.push('requester');
  if (inbound.callerLog === undefined) missing.push('callerLog');
  if (inbound.callerSpanId === undefined) missing.push('callerSpanId');
  const sorted: Record<string, unknown> = {
    audience: Object.freeze(
      typeof inbound.audience === 'string' ? [inbound.audience] : [...(inbound.audience ?? [])],
    ),
    ...(inbound.callerLog === undefined ? {} : { callerLog: inbound.callerLog }),
    ...(inbound.callerSpanId === undefined ? {} : { callerSpanId: inbound.callerSpanId }),
    expiresAt: inbound.expiresAt,
    ...(inbound.intentDigest === undefined ? {} : { intentDigest: inbound.intentDigest }),
    issuer: inbound.issuer,
    jti: inbound.jti,
    ...(missing.length === 0 ? {} : { missing: Object.freeze(missing) }),
    ...(inbound.requester === undefined || inbound.autonomous
      ? {}
      : {
          requester: Object.freeze({
            assurance: inbound.requester.assurance,
            issuer: inbound.requester.issuer,
          }),
        }),
  };
  return Object.freeze(sorted) as unknown as InboundRecord;
}
