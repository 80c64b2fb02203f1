import { type Attribution, currentActor } from '../attribution.js';
import { fixedValue } from '../canonical-json.js';
import { checkDecision } from '../check-decision.js';
import { compose } from '../compose.js';
import type { AuthorizationRequest, Decision } from '../decision.js';
import { WritError } from '../errors.js';
import type { CallState } from '../middleware.js';
import type { Principal } from '../principal.js';
import { scopeCovers } from '../scope.js';
import { ATTR } from '../telemetry.js';
import { setDecisionAttributes } from './call-span.js';
import { callService } from './deadline.js';
import { principalRefs } from './record-base.js';
import type { CallRun } from './state.js';

/**
 * Stage 2: the decision. Reuses the decision `check` made for this very call (never decides twice);
 * otherwise applies the agent registry, builds the authorization request (through `transformRequest`
 * middleware) and asks the policy engine (through `wrapDecide`), within its deadline. Fills in
 * `run.request` and `run.decision`; a deny, a malformed answer or an unavailable engine refuses the call.
 */
export async function authorize(run: CallRun): Promise<void> {
  const { config, span } = run;
  const known = run.remembered;
  if (known?.decision !== undefined) {
    run.fromLedger = true;
    run.request = known.request;
    run.decision = known.decision;
    setDecisionAttributes(span, known.decision);
    if (known.failure !== undefined) throw known.failure;
    return;
  }
  const actor = currentActor(run.attribution);
  const registered = config.agents.get(actor.name ?? '');
  if (registered?.tools !== undefined && !registered.tools.includes(run.call.name)) {
    const reason = `${run.call.name} is not among the tools registered for agent ${registered.id}`;
    run.decision = {
      effect: 'deny',
      policyIds: ['writ:agent-registry'],
      reasons: [reason],
      decisionId: config.generateId(),
      engine: 'writ:registry',
      evaluatedContext: buildRequest(run),
    };
    setDecisionAttributes(span, run.decision);
    throw new WritError('WRIT_POLICY_DENIED', reason, {
      details: {
        tool: run.call.name,
        decisionId: run.decision.decisionId,
        policyIds: ['writ:agent-registry'],
        reasons: [reason],
      },
    });
  }
  let request = buildRequest(run);
  for (const transform of config.transformRequest) {
    request = await transform(request, run);
    if (typeof request !== 'object' || request === null) {
      throw new WritError('WRIT_MIDDLEWARE_INVALID', 'transformRequest must return an AuthorizationRequest');
    }
  }
  run.request = request;
  span.setAttribute(ATTR.WRIT_SCOPE_IN_SCOPE, request.context.inScope);
  let decision: Decision;
  try {
    decision = await decide(run);
  } catch (error) {
    const failure = WritError.isInstance(error, 'WRIT_ABORTED')
      ? error
      : WritError.isInstance(error) && error.code !== 'WRIT_INTERNAL'
        ? error
        : new WritError(
            'WRIT_PDP_UNAVAILABLE',
            `policy engine "${config.policy.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          );
    run.decision = {
      effect: 'deny',
      policyIds: [],
      reasons: [failure.message],
      decisionId: config.generateId(),
      engine: config.policy.name,
      evaluatedContext: request,
      errors: [failure.message],
    };
    setDecisionAttributes(span, run.decision);
    throw failure;
  }
  run.decision = decision;
  setDecisionAttributes(span, decision);
  if (decision.effect === 'deny') {
    const because = decision.reasons.length > 0 ? `: ${decision.reasons.join('; ')}` : '';
    throw new WritError(
      'WRIT_POLICY_DENIED',
      `${run.call.name} was denied by policy (${decision.engine})${because}`,
      {
        details: {
          tool: run.call.name,
          decisionId: decision.decisionId,
          policyIds: [...decision.policyIds],
          reasons: [...decision.reasons],
        },
      },
    );
  }
}

/** The authorization request of a call: subject = acting agent (requester and chain as properties). */
export function buildRequest(run: CallRun): AuthorizationRequest {
  const { attribution, call, config, def } = run;
  const { chain } = principalRefs(attribution);
  const inScope = scopeCovers(attribution.scope, call.permission);
  // keys in canonical order: the decision record carries this request (see records.ts)
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
      environment: config.environment,
      inScope,
      intent: attribution.intent,
      risk: call.risk,
      scope: attribution.scope,
      taskId: attribution.taskId,
      toolCallId: call.id,
    },
    resource: call.resource,
    subject: subjectOf(attribution),
  };
}

type Subject = AuthorizationRequest['subject'];

/** The subject of a task's requests, with the actor and `autonomous` it was built from. */
const subjects = new WeakMap<Attribution, { actor: Principal; autonomous: boolean; subject: Subject }>();

/**
 * The subject of an attribution's requests: the acting agent, its requester and chain (the frozen
 * references its records carry). Built once per attribution (every call of a task repeats it, and its
 * decision records then share it by reference: shared-context.ts compares it by identity first), frozen
 * so no engine or middleware can change what the next call's request says. Rebuilt if the actor or
 * `autonomous` it was built from is not the attribution's (an attribution is frozen: they cannot be).
 */
export function subjectOf(attribution: Attribution): Subject {
  const actor = currentActor(attribution);
  const known = subjects.get(attribution);
  if (known !== undefined && known.actor === actor && known.autonomous === attribution.autonomous)
    return known.subject;
  const { requester, chain } = principalRefs(attribution);
  const subject: Subject = Object.freeze({
    id: actor.id,
    properties: Object.freeze({
      assurance: actor.assurance,
      autonomous: attribution.autonomous,
      chain,
      chainDepth: chain.length,
      name: actor.name,
      ...(actor.owner === undefined ? {} : { owner: actor.owner }),
      ...(actor.purpose === undefined ? {} : { purpose: actor.purpose }),
      requester,
    }),
    type: actor.kind === 'service' ? 'Service' : 'Agent',
  });
  fixedValue(subject); // its first decision record's snapshot shares it
  subjects.set(attribution, { actor, autonomous: attribution.autonomous, subject });
  return subject;
}

/** Asks the policy engine, through the `wrapDecide` middleware, within `timeouts.policyMs`. */
function decide(run: CallRun): Promise<Decision> {
  const { config } = run;
  const check = (raw: unknown) =>
    checkDecision(raw, {
      engine: config.policy.name,
      request: run.request as AuthorizationRequest,
      generateId: config.generateId,
    });
  const inner = async (state: CallState): Promise<Decision> => {
    const request = state.request as AuthorizationRequest;
    const raw = await callService({
      ms: config.timeouts.policyMs,
      signal: state.signal,
      run: (signal) => config.policy.decide(request, { signal }),
      timeout: () =>
        new WritError(
          'WRIT_PDP_UNAVAILABLE',
          `policy engine "${config.policy.name}" did not answer within ${config.timeouts.policyMs} ms`,
        ),
    });
    return check(raw);
  };
  // with no wrapDecide middleware the engine's answer is checked once, in `inner` (same decision)
  return config.wrapDecide.length === 0 ? inner(run) : compose(config.wrapDecide, inner)(run).then(check);
}
