import type { Attribution } from '../attribution.js';
import type { Config } from '../config.js';
import type { Credential } from '../credential.js';
import { toWritError, WritError } from '../errors.js';
import { callService, NEVER } from '../pipeline/deadline.js';
import { appendQuietly, revocationEvent } from '../pipeline/records.js';

/**
 * Revokes every credential the broker issued for a task and records what was revoked in a revocation
 * record of its own. Runs when a task's start record was refused; failures are reported (`onError`),
 * never thrown.
 */
export async function revokeTask(config: Config, attribution: Attribution, reason: string): Promise<void> {
  const revoked = await revokeCredentials(config, attribution);
  if (revoked.length > 0) await appendQuietly(config, revocationEvent(config, attribution, revoked, reason));
}

/**
 * Revokes every credential the broker issued for this run of a task and returns them, without recording
 * (the caller records them: the task-end record carries those revoked at the end). Failures are
 * reported (`onError`), never thrown: nothing is returned then.
 */
export async function revokeCredentials(
  config: Config,
  attribution: Attribution,
): Promise<readonly Credential[]> {
  const broker = config.credentials;
  if (broker === undefined) return [];
  try {
    return await callService({
      ms: config.timeouts.credentialMs,
      signal: NEVER,
      run: (signal) => broker.revokeTask(attribution.taskId, { signal, runId: attribution.runId }),
      timeout: () =>
        new WritError(
          'WRIT_CREDENTIAL_UNAVAILABLE',
          `credential broker "${broker.name}" did not revoke in time`,
        ),
    });
  } catch (error) {
    config.report(
      toWritError(
        error,
        'WRIT_CREDENTIAL_UNAVAILABLE',
        `revoking the credentials of task ${attribution.taskId} failed`,
      ),
    );
    return [];
  }
}
