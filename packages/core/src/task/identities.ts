import type { AgentDefinition } from '../agent.js';
import type { Config } from '../config.js';
import { WritError } from '../errors.js';
import { callService } from '../pipeline/deadline.js';
import type { Principal } from '../principal.js';
import { narrowScope } from '../scope.js';
import type { TaskOptions } from './task-options.js';

/** The requester of a new task: a token verified by the identity provider, or a principal the application asserts. */
export async function resolveRequester(
  config: Config,
  requester: TaskOptions['requester'],
  signal: AbortSignal,
) {
  if (requester === undefined) return undefined;
  if (typeof requester !== 'string') {
    // the application vouches for this principal; Writ records that it did not verify it
    return Object.freeze({ ...requester, assurance: 'asserted' as const });
  }
  const principal = await askIdentity(config, signal, 'verify the requester', (s) =>
    config.identity.verifyRequester(requester, { signal: s }),
  );
  return checkPrincipal(config, principal, 'requester');
}

/** The registry entry of an agent; refuses unregistered agents when there is a registry. */
export function registration(config: Config, agent: string): AgentDefinition | undefined {
  if (config.agents.size === 0) return undefined;
  const found = config.agents.get(agent);
  if (found === undefined) {
    throw new WritError('WRIT_IDENTITY_INVALID', `agent ${agent} is not in the agent registry`, {
      details: { reason: 'unregistered_agent', agent },
    });
  }
  return found;
}

/** A scope bounded by the agent's registered scope (`WRIT_SCOPE_EXCEEDED` beyond it). */
export function withinRegistration(
  registered: AgentDefinition | undefined,
  scope: readonly string[],
): readonly string[] {
  return registered === undefined ? scope : narrowScope(registered.scope, scope);
}

/** The workload identity of an agent, with its registry facts (owner, purpose). */
export async function resolveAgent(
  config: Config,
  agent: string,
  signal: AbortSignal,
  registered?: AgentDefinition,
): Promise<Principal> {
  const principal = await askIdentity(config, signal, `resolve agent ${agent}`, (s) =>
    config.identity.agentIdentity(agent, { signal: s }),
  );
  const checked = checkPrincipal(config, principal, 'agent');
  return Object.freeze({
    ...checked,
    name: checked.name ?? registered?.name ?? agent,
    ...(registered === undefined ? {} : { owner: registered.owner, purpose: registered.purpose }),
  });
}

function checkPrincipal(config: Config, principal: Principal, what: string): Principal {
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
      `identity provider "${config.identity.name}" returned a malformed ${what}`,
    );
  }
  return Object.freeze({ ...principal });
}

/** One question to the identity provider, within `timeouts.identityMs` (late = refused). */
function askIdentity(
  config: Config,
  signal: AbortSignal,
  what: string,
  run: (signal: AbortSignal) => Promise<Principal>,
): Promise<Principal> {
  return callService({
    ms: config.timeouts.identityMs,
    signal,
    run,
    timeout: () =>
      new WritError(
        'WRIT_IDENTITY_INVALID',
        `identity provider "${config.identity.name}" did not ${what} in time`,
      ),
  });
}
