import type { AuthorizationRequest, Decision } from '@writ/core';
import { safeUrl } from '@writ/core/internal';
import { isJsonObject } from '../pdp/pdp-answer.js';
import { pdpUnavailable } from '../pdp/pdp-fetch.js';
import { type AuthZenInterpretation, interpretAuthZenResponse } from './authzen-response.js';
import type { AuthZenEvaluationsSemantic, AuthZenRequest, AuthZenResponse } from './authzen-types.js';

/**
 * Rewrites a PDP's answer before Writ reads it (the `mapResponse` option of `createAuthZenEngine`).
 *
 * @internal
 * @example
 * ```ts
 * const mapResponse: AuthZenResponseMapper = (response) => ({ ...response, context: { reason: String(response.context?.why) } });
 * ```
 */
export type AuthZenResponseMapper = (response: AuthZenResponse, request: AuthZenRequest) => AuthZenResponse;

/**
 * How an engine reads its PDP's answers.
 *
 * @internal
 * @example
 * ```ts
 * const reading: AuthZenReadOptions = { engine: 'authzen', includeAdminReasons: false, mapResponse };
 * ```
 */
export interface AuthZenReadOptions {
  /** The engine's name: the decisions' `engine`, and the start of messages. */
  readonly engine: string;
  readonly includeAdminReasons: boolean;
  readonly mapResponse?: AuthZenResponseMapper | undefined;
}

/**
 * Where an answer came from, for its decision ids and error details.
 *
 * @internal
 * @example
 * ```ts
 * const exchange: AuthZenExchange = { url, requestId: 'req-1', what: 'authzen: AuthZEN evaluation' };
 * ```
 */
export interface AuthZenExchange {
  readonly url: string;
  readonly requestId: string;
  readonly what: string;
}

/** Applies `mapResponse` to a well-formed answer, then reads it. */
function interpret(
  answer: unknown,
  wire: AuthZenRequest,
  options: AuthZenReadOptions,
): AuthZenInterpretation {
  let value = answer;
  const { mapResponse } = options;
  if (mapResponse !== undefined && isJsonObject(answer) && typeof answer.decision === 'boolean') {
    try {
      value = mapResponse(answer as unknown as AuthZenResponse, wire);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      return { ok: false, problem: `mapResponse failed: ${text}` };
    }
  }
  return interpretAuthZenResponse(value, { includeAdminReasons: options.includeAdminReasons });
}

function toDecision(
  outcome: Extract<AuthZenInterpretation, { ok: true }>,
  decisionId: string,
  request: AuthorizationRequest,
  engine: string,
): Decision {
  return {
    effect: outcome.effect,
    policyIds: outcome.policyIds,
    reasons: outcome.reasons,
    decisionId,
    engine,
    evaluatedContext: request,
    ...(outcome.obligations === undefined ? {} : { obligations: outcome.obligations }),
    ...(outcome.errors === undefined ? {} : { errors: outcome.errors }),
  };
}

const unusable = (exchange: AuthZenExchange, problem: string) =>
  pdpUnavailable(`${exchange.what} returned an unusable answer: ${problem}`, {
    endpoint: safeUrl(exchange.url),
    requestId: exchange.requestId,
    reason: 'invalid_response',
    problem,
  });

/**
 * A deny for a request the PDP did not (usably) decide: no policy ids, `reason` as the only reason, and
 * `error`, when given, as the decision's error.
 *
 * @internal
 * @example
 * ```ts
 * notEvaluated(request, 'req-1#2', 'not evaluated: the batch stopped early (deny_on_first_deny)', 'authzen');
 * ```
 */
export function notEvaluated(
  request: AuthorizationRequest,
  decisionId: string,
  reason: string,
  engine: string,
  error?: string,
): Decision {
  return {
    effect: 'deny',
    policyIds: [],
    reasons: [reason],
    decisionId,
    engine,
    evaluatedContext: request,
    ...(error === undefined ? {} : { errors: [error] }),
  };
}

/**
 * The decision of an Access Evaluation answer (after `mapResponse`, read by
 * {@link interpretAuthZenResponse}), with the request id sent as its id and Writ's request as its
 * `evaluatedContext`. An answer Writ cannot use (no boolean `decision`, a malformed `context`, a throwing
 * `mapResponse`) throws `WRIT_PDP_UNAVAILABLE` (`invalid_response`), which the pipeline records as a deny.
 *
 * @internal
 * @example
 * ```ts
 * const decision = readEvaluation({ decision: true }, wire, request, { url, requestId, what }, reading);
 * decision.effect; // 'allow'
 * ```
 */
export function readEvaluation(
  answer: unknown,
  wire: AuthZenRequest,
  request: AuthorizationRequest,
  exchange: AuthZenExchange,
  options: AuthZenReadOptions,
): Decision {
  const outcome = interpret(answer, wire, options);
  if (!outcome.ok) throw unusable(exchange, outcome.problem);
  return toDecision(outcome, exchange.requestId, request, options.engine);
}

/**
 * The decisions of an Access Evaluations answer, one per request in order, with ids
 * `<request id>#<index>`. The answer must have an `evaluations` array no longer than the batch
 * (`WRIT_PDP_UNAVAILABLE` otherwise). An item Writ cannot use is denied with the problem in `errors`; an
 * item the PDP did not answer is denied as not evaluated (it stopped early per `semantic`, or, with
 * `execute_all`, answered short). The other items stand.
 *
 * @internal
 * @example
 * ```ts
 * const decisions = readEvaluations(answer, wire, requests, 'deny_on_first_deny', { url, requestId, what }, reading);
 * ```
 */
export function readEvaluations(
  answer: Record<string, unknown>,
  wire: readonly AuthZenRequest[],
  requests: readonly AuthorizationRequest[],
  semantic: AuthZenEvaluationsSemantic,
  exchange: AuthZenExchange,
  options: AuthZenReadOptions,
): Decision[] {
  const items = answer.evaluations;
  if (!Array.isArray(items) || items.length > requests.length) {
    const problem = Array.isArray(items)
      ? `${items.length} answers for ${requests.length} evaluations`
      : 'evaluations must be an array';
    throw unusable(exchange, problem);
  }
  return requests.map((request, i) => {
    const decisionId = `${exchange.requestId}#${i}`;
    if (i >= items.length) {
      const why =
        semantic === 'execute_all'
          ? `not evaluated: the PDP answered ${items.length} of ${requests.length} evaluations`
          : `not evaluated: the batch stopped early (${semantic})`;
      return notEvaluated(request, decisionId, why, options.engine);
    }
    const outcome = interpret(items[i], wire[i] as AuthZenRequest, options);
    if (!outcome.ok) {
      const why = `unusable answer from the PDP: ${outcome.problem}`;
      return notEvaluated(request, decisionId, why, options.engine, outcome.problem);
    }
    return toDecision(outcome, decisionId, request, options.engine);
  });
}
