import type { Credential } from '@writ/core';
import type { CredentialBroker, RevokeTaskOptions } from '@writ/core/plugin';
import { createCallCredentials } from './credential-broker-call.js';
import { createHeldCredentials } from './credential-broker-held.js';
import { type CreateCredentialBrokerOptions, resolveBrokerOptions } from './credential-broker-options.js';
import { createTaskCredentials } from './credential-broker-task.js';
import type { RevocationList } from './revocation-list.js';

/**
 * A credential broker that also exposes its revocation list and the credentials it holds per task.
 *
 * @example
 * ```ts
 * const credentials: WritCredentialBroker = createCredentialBroker({ authority });
 * await writ.task({ requester: aliceToken, agent: 'support-bot' }, async (task) => {
 *   await lookup.execute({ orderId: '42' });
 *   console.log(credentials.held(task.attribution.taskId).map((c) => c.audience ?? 'task token'));
 * });
 * credentials.revocations.size; // the task's credentials are revoked once it ends
 * ```
 */
export interface WritCredentialBroker extends CredentialBroker {
  readonly revocations: RevocationList;
  /** Every credential still held for a task (not yet revoked). */
  held(taskId: string): readonly Credential[];
}

/**
 * Issues just-in-time, task-scoped, short-lived credentials and revokes them when the task ends:
 * - a **task token** at `writ.task` / `writ.delegate` start (a delegated token's scope must be covered by
 *   its parent's, else `WRIT_SCOPE_EXCEEDED`), renewed while the task runs;
 * - per tool **audience**, a credential minted locally (`typ: at+jwt`, never outliving the task token)
 *   or obtained by RFC 8693 token exchange, cached per run of the task and audience;
 * - at task end every credential's `jti` goes on the revocation list (and exchanged tokens are revoked at
 *   the RFC 7009 endpoint when one is configured);
 * - with `leases`, every credential is listed on its run's lease before it is handed out, and the lease
 *   is released once the run's credentials are revoked.
 *
 * @example
 * ```ts
 * import { createWrit } from '@writ/core';
 *
 * const authority = await createLocalAuthority();
 * const credentials = createCredentialBroker({ authority });
 * const writ = createWrit({ credentials, identity: createLocalIdentity({ authority }), policy, audit });
 * ```
 */
export function createCredentialBroker(options: CreateCredentialBrokerOptions): WritCredentialBroker {
  const settings = resolveBrokerOptions(options);
  const held = createHeldCredentials(settings);
  const tasks = createTaskCredentials(settings, held);
  const calls = createCallCredentials(settings, held);
  return {
    name: 'writ-broker',
    revocations: settings.revocations,
    held: (taskId) => held.held(taskId),
    issueTaskCredential: (request, callOptions) => tasks.issue(request, callOptions),
    renewTaskCredential: (request, callOptions) => tasks.renew(request, callOptions),
    credentialFor: (request, callOptions) => calls.credentialFor(request, callOptions),
    async revokeTask(taskId: string, callOptions: RevokeTaskOptions): Promise<readonly Credential[]> {
      const runs = held.runsOf(taskId, callOptions.runId);
      for (const run of runs) calls.forget(run);
      return held.revokeRuns(taskId, runs, callOptions.signal);
    },
  };
}
