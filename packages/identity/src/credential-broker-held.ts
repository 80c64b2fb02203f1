import { type Attribution, type Credential, WritError } from '@writ/core';
import { runKey } from '@writ/core/plugin';
import type { BrokerSettings } from './credential-broker-options.js';
import { revokeToken } from './oidc/revocation.js';
import type { LeasedCredential, LeasedRun } from './task-leases.js';

/** A credential the broker handed out, and whether it came from a token endpoint (RFC 8693). */
interface Held {
  readonly credential: Credential;
  readonly exchanged: boolean;
}

/**
 * The revocation and lease side of the credential broker: what it issued per run of a task, listed on
 * the run's lease (when leases are kept) before it is handed out, and revoked when the run ends.
 *
 * @internal
 * @example
 * ```ts
 * const held = createHeldCredentials(resolveBrokerOptions({ authority }));
 * await held.hold(attribution, credential, false, signal);
 * await held.revokeRuns(taskId, held.runsOf(taskId, undefined), signal);
 * ```
 */
export interface HeldCredentials {
  /** The runs of a task to act on (`runKey`s): the one given, or all of them. */
  runsOf(taskId: string, runId: string | undefined): string[];
  /** Every credential still held for a task (not known revoked). */
  held(taskId: string): Credential[];
  /**
   * Holds a credential for its run and lists it on the run's lease (when leases are kept) first; a
   * credential no lease can list is revoked and `WRIT_CREDENTIAL_UNAVAILABLE` thrown.
   */
  hold(
    attribution: Attribution,
    credential: Credential,
    exchanged: boolean,
    signal: AbortSignal,
  ): Promise<Credential>;
  /** Forgets the runs, revokes what they held (not already revoked) and releases their leases. */
  revokeRuns(taskId: string, runs: readonly string[], signal: AbortSignal): Promise<Credential[]>;
}

/**
 * Creates the {@link HeldCredentials} of one credential broker.
 *
 * @internal
 * @example
 * ```ts
 * const held = createHeldCredentials(resolveBrokerOptions({ authority, leases }));
 * ```
 */
export function createHeldCredentials(settings: BrokerSettings): HeldCredentials {
  const { revocations, exchange, leases, report } = settings;
  /** What was issued, per run of a task (`runKey`: a task continued by parallel requests has several). */
  const byRun = new Map<string, Held[]>();
  const runs = new Map<string, LeasedRun>();

  const runsOf = (taskId: string, runId: string | undefined): string[] =>
    runId === undefined
      ? [...byRun.keys()].filter((run) => run.startsWith(`${taskId}\u0000`))
      : [runKey({ taskId, runId })];
  /** Whether a jti is known revoked; a list that cannot answer (stale) never stops a revocation. */
  const knownRevoked = (jti: string) => {
    try {
      return revocations.isRevoked(jti);
    } catch {
      return false;
    }
  };
  /** Revokes one credential: on the list (awaited: a shared list writes it), then remotely if exchanged. */
  const revokeOne = async ({ credential, exchanged }: Held, signal: AbortSignal) => {
    try {
      await revocations.revoke(credential.jti, credential.expiresAt);
    } catch (error) {
      report(
        WritError.isInstance(error)
          ? error
          : new WritError('WRIT_IDENTITY_UNAVAILABLE', 'the revocation could not be recorded', {
              cause: error,
              details: { jti: credential.jti },
            }),
      );
    }
    if (exchanged && exchange?.revocationEndpoint !== undefined) {
      try {
        await revokeToken({
          revocationEndpoint: exchange.revocationEndpoint,
          token: credential.token,
          tokenTypeHint: 'access_token',
          clientId: exchange.clientId,
          clientSecret: exchange.clientSecret,
          clientAuth: exchange.clientAuth,
          fetch: exchange.fetch,
          signal,
        });
      } catch (error) {
        report(
          WritError.isInstance(error)
            ? error
            : new WritError('WRIT_IDENTITY_UNAVAILABLE', 'remote revocation failed', { cause: error }),
        );
      }
    }
  };

  return {
    runsOf,
    held: (taskId) =>
      runsOf(taskId, undefined)
        .flatMap((run) => byRun.get(run) ?? [])
        .map((h) => h.credential)
        .filter((c) => !knownRevoked(c.jti)),
    async hold(attribution, credential, exchanged, signal) {
      const run = runKey(attribution);
      const list = byRun.get(run) ?? [];
      list.push({ credential, exchanged });
      byRun.set(run, list);
      runs.set(run, { taskId: attribution.taskId, runId: attribution.runId });
      if (leases === undefined) return credential;
      const leased: LeasedCredential =
        exchanged && exchange?.revocationEndpoint !== undefined
          ? { credential, revocation: { endpoint: exchange.revocationEndpoint, clientId: exchange.clientId } }
          : { credential };
      try {
        await leases.hold(attribution, leased, { signal });
      } catch (error) {
        // a credential no lease lists would outlive a crash unrecorded: it is revoked, never handed out
        byRun.set(
          run,
          list.filter((h) => h.credential !== credential),
        );
        await revokeOne({ credential, exchanged }, signal);
        throw new WritError(
          'WRIT_CREDENTIAL_UNAVAILABLE',
          `the credential could not be listed on its task lease (${leases.name})`,
          { cause: error, details: { jti: credential.jti } },
        );
      }
      return credential;
    },
    async revokeRuns(taskId, keys, signal) {
      const held = keys.flatMap((run) => byRun.get(run) ?? []);
      const ended: LeasedRun[] = [];
      for (const run of keys) {
        byRun.delete(run);
        const leased = runs.get(run);
        if (leased !== undefined) ended.push(leased);
        runs.delete(run);
      }
      const revoked: Credential[] = [];
      for (const h of held) {
        if (knownRevoked(h.credential.jti)) continue;
        await revokeOne(h, signal);
        revoked.push(h.credential);
      }
      if (leases !== undefined && ended.length > 0) {
        try {
          await leases.release(ended, { signal });
        } catch (error) {
          report(
            WritError.isInstance(error)
              ? error
              : new WritError('WRIT_CREDENTIAL_UNAVAILABLE', 'the task lease could not be released', {
                  cause: error,
                  details: { taskId },
                }),
          );
        }
      }
      return revoked;
    },
  };
}
