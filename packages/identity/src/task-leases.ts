import type { Attribution, Credential } from '@writ/core';
import type { CallOptions } from '@writ/core/plugin';

/**
 * A credential as a task lease lists it: the credential, and for one obtained by token exchange where
 * it is revoked (RFC 7009) and as which client.
 *
 * @example
 * ```ts
 * const leased: LeasedCredential = {
 *   credential,
 *   revocation: { endpoint: 'https://login.example.com/token/revocation', clientId: 'writ-broker' },
 * };
 * await leases.hold(attribution, leased, { signal });
 * ```
 */
export interface LeasedCredential {
  readonly credential: Credential;
  /** Only for exchanged credentials: the authorization server's revocation endpoint and our client id. */
  readonly revocation?: { readonly endpoint: string; readonly clientId: string } | undefined;
}

/**
 * One run of a task, as a lease names it.
 *
 * @example
 * ```ts
 * const run: LeasedRun = { taskId: attribution.taskId, runId: attribution.runId };
 * await leases.release([run], { signal });
 * ```
 */
export interface LeasedRun {
  readonly taskId: string;
  readonly runId: string | undefined;
}

/**
 * Where a credential broker lists what it issued per run of a task, so that another process can close
 * the task when this one dies (fleet mode: `createPostgresTaskLeases` in `@writ/postgres`, with a reaper
 * that revokes the credentials of runs whose lease expired and records `task-end { status: 'abandoned' }`).
 *
 * The broker hands a credential out only after `hold` resolved: a credential no lease lists is never
 * used (a failing `hold` revokes it and refuses with `WRIT_CREDENTIAL_UNAVAILABLE`).
 *
 * @example
 * ```ts
 * import { createPostgresTaskLeases } from '@writ/postgres';
 *
 * const leases: TaskLeases = await createPostgresTaskLeases({ pool, service: 'support' });
 * const credentials = createCredentialBroker({ authority, revocations, leases });
 * ```
 */
export interface TaskLeases {
  readonly name: string;
  /** Lists a credential issued for a run of a task on that run's lease (opening the lease on the first). */
  hold(attribution: Attribution, leased: LeasedCredential, options: CallOptions): Promise<void>;
  /** The runs ended and their credentials were revoked by the process that ran them: their leases close. */
  release(runs: readonly LeasedRun[], options: CallOptions): Promise<void>;
}
