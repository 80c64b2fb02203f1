import { type Credential, WritError } from '@writ/core';
import {
  type CallOptions,
  createCredential,
  isScopeSubset,
  type TaskCredentialRequest,
} from '@writ/core/plugin';
import type { HeldCredentials } from './credential-broker-held.js';
import type { BrokerSettings } from './credential-broker-options.js';
import { mintTaskTokenLater } from './mint-task-token.js';
import { TOKEN_TYPES } from './oidc/token-types.js';

/**
 * Throws `WRIT_TOKEN_REVOKED` when a credential is on the revocation list, `WRIT_TOKEN_EXPIRED` when it
 * has expired; `what` names it in the message.
 *
 * @internal
 * @example
 * ```ts
 * checkLive(settings, parent, 'the delegating task token');
 * ```
 */
export function checkLive(settings: BrokerSettings, c: Credential, what: string): void {
  if (settings.revocations.isRevoked(c.jti))
    throw new WritError('WRIT_TOKEN_REVOKED', `${what} was revoked`, { details: { jti: c.jti } });
  if (c.expiresAt <= settings.clock())
    throw new WritError('WRIT_TOKEN_EXPIRED', `${what} has expired`, { details: { jti: c.jti } });
}

/**
 * The task-token side of the credential broker: issued at `writ.task` / `writ.delegate` start (a
 * delegated token's scope must be covered by its parent's) and renewed while the task runs.
 *
 * @internal
 * @example
 * ```ts
 * const tasks = createTaskCredentials(settings, createHeldCredentials(settings));
 * const token = await tasks.issue({ attribution }, { signal });
 * ```
 */
export interface TaskCredentials {
  issue(request: TaskCredentialRequest, callOptions: CallOptions): Promise<Credential>;
  renew(
    request: TaskCredentialRequest & { credential: Credential },
    callOptions: CallOptions,
  ): Promise<Credential>;
}

/**
 * Creates the {@link TaskCredentials} of one credential broker: task tokens signed by its authority for
 * its task audience, each held for its run.
 *
 * @internal
 * @example
 * ```ts
 * const tasks = createTaskCredentials(settings, held);
 * ```
 */
export function createTaskCredentials(settings: BrokerSettings, held: HeldCredentials): TaskCredentials {
  const mintTask = async (request: TaskCredentialRequest, signal: AbortSignal): Promise<Credential> => {
    const { attribution } = request;
    // signed when first read: a task token never leaves its process, and a tool server's continued task
    // (a call, its per-audience credential) does not read it; its jti and claims are fixed here
    const { token, claims } = await mintTaskTokenLater(settings.authority, {
      attribution,
      audience: settings.taskAudience,
      ttlSec: settings.ttlSec,
      now: settings.clock(),
      callerLog: request.log,
    });
    const credential = createCredential({
      token,
      jti: claims.jti,
      type: TOKEN_TYPES.txnToken,
      scope: attribution.scope,
      expiresAt: claims.exp * 1000,
    });
    return held.hold(attribution, credential, false, signal);
  };
  return {
    async issue(request, callOptions) {
      const { attribution, parent } = request;
      if (parent !== undefined) {
        checkLive(settings, parent, 'the delegating task token');
        if (!isScopeSubset(attribution.scope, parent.scope)) {
          throw new WritError(
            'WRIT_SCOPE_EXCEEDED',
            'a delegated task token cannot carry more scope than its parent',
            {
              details: { requested: [...attribution.scope], parent: [...parent.scope] },
            },
          );
        }
      }
      return mintTask(request, callOptions.signal);
    },
    async renew(request, callOptions) {
      checkLive(settings, request.credential, 'the task token');
      return mintTask(request, callOptions.signal);
    },
  };
}
