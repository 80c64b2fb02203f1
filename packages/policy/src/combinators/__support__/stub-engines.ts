// Test support: policy engines whose answers a test chooses. Real engines (Cedar, OPA) are exercised in
// their own folders; combinators only need to see effects, failures and garbage.
import type { AuthorizationRequest, Decision } from '@writ/core';
import type { CallOptions, DecisionEffect, Obligation, PolicyEngine } from '@writ/core/plugin';

/** What a stub answers. */
export type StubBehaviour =
  | DecisionEffect
  /** Rejects with a plain Error. */
  | 'throw'
  /** Throws synchronously from `decide`. */
  | 'throw-sync'
  /** Answers `allow` but with `errors` (the pipeline makes that a deny). */
  | 'errors'
  /** Answers something that is not a Decision. */
  | 'malformed'
  /** Never answers (until the signal fires, then rejects with its reason). */
  | 'hang';

export interface StubEngine extends PolicyEngine {
  readonly calls: AuthorizationRequest[];
  /** Signals the stub was called with. */
  readonly signals: AbortSignal[];
}

export interface StubOptions {
  deterministic?: boolean;
  obligations?: Obligation[];
}

/** A stub engine answering `behaviour` for every request. */
export function stubEngine(name: string, behaviour: StubBehaviour, options: StubOptions = {}): StubEngine {
  return decidingEngine(name, () => behaviour, options);
}

/** A stub engine whose behaviour is a function of the request. */
export function decidingEngine(
  name: string,
  choose: (request: AuthorizationRequest) => StubBehaviour,
  options: StubOptions = {},
): StubEngine {
  const calls: AuthorizationRequest[] = [];
  const signals: AbortSignal[] = [];
  let n = 0;
  return {
    name,
    deterministic: options.deterministic ?? false,
    calls,
    signals,
    decide(request: AuthorizationRequest, callOptions: CallOptions): Promise<Decision> {
      calls.push(request);
      signals.push(callOptions.signal);
      const behaviour = choose(request);
      if (behaviour === 'throw-sync') throw new Error(`${name} crashed`);
      return (async () => {
        const decisionId = `${name}-${++n}`;
        switch (behaviour) {
          case 'throw':
            throw new Error(`${name} is down`);
          case 'malformed':
            return { effect: 'maybe' } as unknown as Decision;
          case 'hang':
            return new Promise<Decision>((_, reject) => {
              callOptions.signal.addEventListener('abort', () => reject(callOptions.signal.reason), {
                once: true,
              });
            });
          case 'errors':
            return {
              effect: 'allow',
              policyIds: [`${name}-policy`],
              reasons: [],
              decisionId,
              engine: name,
              evaluatedContext: request,
              errors: [`${name} could not evaluate a condition`],
            };
          default:
            return {
              effect: behaviour,
              policyIds: [`${name}-policy`],
              reasons: [`${name} says ${behaviour}`],
              decisionId,
              engine: name,
              evaluatedContext: request,
              ...(options.obligations === undefined ? {} : { obligations: options.obligations }),
            };
        }
      })();
    },
  };
}
