import { createHash } from 'node:crypto';
import { type Attribution, type Credential, WritError } from '@writ/core';
import {
  clockSchema,
  fetchSchema,
  functionSchema,
  timeoutSchema,
  validateOptions,
} from '@writ/core/internal';
import {
  type CallCredentialRequest,
  type CallOptions,
  type CredentialBroker,
  createCredential,
  isScopeSubset,
  type RevokeTaskOptions,
  runKey,
  type TaskCredentialRequest,
} from '@writ/core/plugin';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { type LocalAuthority, localAuthoritySchema } from './local-authority.js';
import { mintTaskToken } from './mint-task-token.js';
import { clientAuthSchema } from './oidc/oauth-request.js';
import { revokeToken } from './oidc/revocation.js';
import { endpointUrl } from './oidc/secure-url.js';
import { type ExchangeTokenOptions, exchangeToken } from './oidc/token-exchange.js';
import { TOKEN_TYPES } from './oidc/token-types.js';
import { createRevocationList, type RevocationList } from './revocation-list.js';
import type { LeasedCredential, LeasedRun, TaskLeases } from './task-leases.js';
import { ACCESS_TOKEN_TYP } from './task-token.js';

/**
 * Defaults of {@link createCredentialBroker}: how long task tokens live and when they are renewed.
 *
 * @example
 * ```ts
 * // long-running tasks: tokens live twice as long, renewed with the same margin
 * const credentials = createCredentialBroker({
 *   authority,
 *   ttlSec: CREDENTIAL_BROKER_DEFAULTS.ttlSec * 2,
 *   renewBeforeSec: CREDENTIAL_BROKER_DEFAULTS.renewBeforeSec,
 * });
 * ```
 */
export const CREDENTIAL_BROKER_DEFAULTS = Object.freeze({
  /** Lifetime of task tokens and local credentials, seconds. @default 300 */
  ttlSec: 300,
  /** A credential with less than this left is renewed rather than reused, seconds. @default 60 */
  renewBeforeSec: 60,
});

/**
 * Where per-audience credentials come from when not minted locally: an RFC 8693 token endpoint.
 *
 * @example
 * ```ts
 * const exchange: TokenExchangeConfig = {
 *   tokenEndpoint: 'https://login.example.com/token',
 *   clientId: 'writ-broker',
 *   clientSecret: process.env.BROKER_SECRET,
 *   revocationEndpoint: 'https://login.example.com/token/revocation',
 *   audiences: ['https://payments.example.com'],
 * };
 * const credentials = createCredentialBroker({ authority, exchange });
 * ```
 */
export interface TokenExchangeConfig {
  tokenEndpoint: string;
  clientId: string;
  clientSecret?: string;
  clientAuth?: ExchangeTokenOptions['clientAuth'];
  /** RFC 7009 endpoint; exchanged credentials are revoked there when the task ends. */
  revocationEndpoint?: string;
  /** @default TOKEN_TYPES.accessToken */
  requestedTokenType?: string;
  /** Audiences to exchange for; others are minted locally. @default every audience */
  audiences?: readonly string[];
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * Options of {@link createCredentialBroker}.
 *
 * @example
 * ```ts
 * const revocations = createRevocationList();
 * const options: CreateCredentialBrokerOptions = {
 *   authority: await createLocalAuthority(),
 *   ttlSec: 120,
 *   revocations, // shared with verifyTaskToken({ isRevoked: revocations.isRevoked })
 *   onError: (error) => console.warn(`credential broker: ${error.code} ${error.message}`),
 * };
 * const credentials = createCredentialBroker(options);
 * ```
 */
export interface CreateCredentialBrokerOptions {
  /** Signs task tokens and local credentials. */
  authority: LocalAuthority;
  /** `aud` of task tokens. @default authority.issuer */
  taskAudience?: string;
  /** @default 300 */
  ttlSec?: number;
  /** @default 60 */
  renewBeforeSec?: number;
  /**
   * Where revoked `jti`s go; share it with `verifyTaskToken`. A list every replica sees
   * (`createPostgresRevocationList` in `@writ/postgres`) makes a revocation hold across a fleet.
   * @default a new in-process list
   */
  revocations?: RevocationList;
  /**
   * Task leases (fleet mode): every credential is listed on its run's lease before it is handed out, so
   * a reaper in another process can revoke it when this process dies mid-task. @default none
   */
  leases?: TaskLeases;
  /** Exchange per-audience credentials at an OAuth token endpoint (RFC 8693) instead of minting them. */
  exchange?: TokenExchangeConfig;
  /** @default Date.now */
  clock?: () => number;
  /** Failures that do not stop a task (remote revocation failed). */
  onError?: (error: WritError) => void;
}

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

interface Held {
  readonly credential: Credential;
  readonly exchanged: boolean;
}

const optionsSchema = z.strictObject({
  authority: localAuthoritySchema,
  taskAudience: z.string().min(1).optional(),
  ttlSec: z.number().int().min(5).max(86_400).optional(),
  renewBeforeSec: z.number().int().min(0).max(3_600).optional(),
  revocations: z
    .custom<RevocationList>(
      (v) => typeof v === 'object' && v !== null && typeof (v as RevocationList).revoke === 'function',
      {
        message: 'must be a RevocationList',
      },
    )
    .optional(),
  leases: z
    .custom<TaskLeases>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        typeof (v as TaskLeases).hold === 'function' &&
        typeof (v as TaskLeases).release === 'function',
      { message: 'must be TaskLeases ({ hold, release })' },
    )
    .optional(),
  exchange: z
    .strictObject({
      tokenEndpoint: endpointUrl(),
      clientId: z.string().min(1),
      clientSecret: z.string().optional(),
      clientAuth: clientAuthSchema.exclude(['none']).optional(),
      revocationEndpoint: endpointUrl().optional(),
      requestedTokenType: z.string().min(1).optional(),
      audiences: z.array(z.string().min(1)).optional(),
      fetch: fetchSchema.optional(),
      timeoutMs: timeoutSchema.optional(),
    })
    .optional(),
  clock: clockSchema.optional(),
  onError: functionSchema<(e: WritError) => void>().optional(),
});

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
  const o = validateOptions(
    optionsSchema,
    options,
    'createCredentialBroker',
  ) as CreateCredentialBrokerOptions;
  const authority = o.authority;
  const clock = o.clock ?? Date.now;
  const ttlSec = o.ttlSec ?? CREDENTIAL_BROKER_DEFAULTS.ttlSec;
  const renewBeforeMs = (o.renewBeforeSec ?? CREDENTIAL_BROKER_DEFAULTS.renewBeforeSec) * 1000;
  const taskAudience = o.taskAudience ?? authority.issuer;
  const revocations = o.revocations ?? createRevocationList({ clock });
  const exchange = o.exchange;
  const leases = o.leases;
  const report = (error: WritError) => {
    try {
      o.onError?.(error);
    } catch {
      // never let a reporting hook break a task
    }
  };
  /** What was issued, per run of a task (`runKey`: a task continued by parallel requests has several). */
  const byRun = new Map<string, Held[]>();
  const runs = new Map<string, LeasedRun>();
  const perAudience = new Map<string, Credential>();

  /** The runs of a task to act on: the one given, or all of them. */
  const runsOf = (taskId: string, runId: string | undefined): string[] =>
    runId === undefined
      ? [...byRun.keys()].filter((run) => run.startsWith(`${taskId}\u0000`))
      : [runKey({ taskId, runId })];
  /** Holds a credential for its run and lists it on the run's lease (when leases are kept) first. */
  const hold = async (
    attribution: Attribution,
    credential: Credential,
    exchanged: boolean,
    signal: AbortSignal,
  ): Promise<Credential> => {
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
  };
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
  const usable = (c: Credential | undefined): c is Credential =>
    c !== undefined && !revocations.isRevoked(c.jti) && c.expiresAt - clock() > renewBeforeMs;
  const checkLive = (c: Credential, what: string) => {
    if (revocations.isRevoked(c.jti))
      throw new WritError('WRIT_TOKEN_REVOKED', `${what} was revoked`, { details: { jti: c.jti } });
    if (c.expiresAt <= clock())
      throw new WritError('WRIT_TOKEN_EXPIRED', `${what} has expired`, { details: { jti: c.jti } });
  };

  const mintTask = async (request: TaskCredentialRequest, signal: AbortSignal): Promise<Credential> => {
    const { attribution } = request;
    const { token, claims } = await mintTaskToken(authority, {
      attribution,
      audience: taskAudience,
      ttlSec,
      now: clock(),
    });
    const credential = createCredential({
      token,
      jti: claims.jti,
      type: TOKEN_TYPES.txnToken,
      scope: attribution.scope,
      expiresAt: claims.exp * 1000,
    });
    return hold(attribution, credential, false, signal);
  };

  return {
    name: 'writ-broker',
    revocations,
    held: (taskId) =>
      runsOf(taskId, undefined)
        .flatMap((run) => byRun.get(run) ?? [])
        .map((h) => h.credential)
        .filter((c) => !knownRevoked(c.jti)),
    async issueTaskCredential(request: TaskCredentialRequest, callOptions: CallOptions): Promise<Credential> {
      const { attribution, parent } = request;
      if (parent !== undefined) {
        checkLive(parent, 'the delegating task token');
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
    async renewTaskCredential(
      request: TaskCredentialRequest & { credential: Credential },
      callOptions: CallOptions,
    ) {
      checkLive(request.credential, 'the task token');
      return mintTask(request, callOptions.signal);
    },
    async credentialFor(request: CallCredentialRequest, callOptions: CallOptions): Promise<Credential> {
      const { attribution, audience, taskCredential } = request;
      const key = `${runKey(attribution)}\u0000${audience}`;
      const cached = perAudience.get(key);
      if (usable(cached)) return cached;
      if (taskCredential === undefined) {
        throw new WritError(
          'WRIT_CREDENTIAL_UNAVAILABLE',
          `no task token to derive a credential for ${audience} from`,
        );
      }
      checkLive(taskCredential, 'the task token');
      let credential: Credential;
      if (
        exchange !== undefined &&
        (exchange.audiences === undefined || exchange.audiences.includes(audience))
      ) {
        const result = await exchangeToken({
          tokenEndpoint: exchange.tokenEndpoint,
          clientId: exchange.clientId,
          clientSecret: exchange.clientSecret,
          clientAuth: exchange.clientAuth,
          subjectToken: taskCredential.token,
          subjectTokenType: TOKEN_TYPES.txnToken,
          audience,
          scope: [...attribution.scope],
          requestedTokenType: exchange.requestedTokenType ?? TOKEN_TYPES.accessToken,
          fetch: exchange.fetch,
          timeoutMs: exchange.timeoutMs,
          signal: callOptions.signal,
        });
        if (result.scope !== undefined && !isScopeSubset(result.scope, attribution.scope)) {
          throw new WritError(
            'WRIT_SCOPE_EXCEEDED',
            'the token endpoint issued more scope than the task holds',
          );
        }
        credential = createCredential({
          token: result.accessToken,
          jti: jtiOf(result.accessToken),
          type: result.issuedTokenType,
          audience,
          scope: result.scope ?? attribution.scope,
          expiresAt: Math.min(result.expiresAt ?? taskCredential.expiresAt, taskCredential.expiresAt),
        });
        await hold(attribution, credential, true, callOptions.signal);
      } else {
        const remainingSec = Math.floor((taskCredential.expiresAt - clock()) / 1000);
        const { token, claims } = await mintTaskToken(authority, {
          attribution,
          audience,
          ttlSec: Math.max(1, Math.min(ttlSec, remainingSec)),
          typ: ACCESS_TOKEN_TYP,
          now: clock(),
        });
        credential = await hold(
          attribution,
          createCredential({
            token,
            jti: claims.jti,
            type: TOKEN_TYPES.accessToken,
            audience,
            scope: attribution.scope,
            expiresAt: claims.exp * 1000,
          }),
          false,
          callOptions.signal,
        );
      }
      perAudience.set(key, credential);
      return credential;
    },
    async revokeTask(taskId: string, callOptions: RevokeTaskOptions): Promise<readonly Credential[]> {
      const keys = runsOf(taskId, callOptions.runId);
      const held = keys.flatMap((run) => byRun.get(run) ?? []);
      const ended: LeasedRun[] = [];
      for (const run of keys) {
        byRun.delete(run);
        const leased = runs.get(run);
        if (leased !== undefined) ended.push(leased);
        runs.delete(run);
        for (const key of perAudience.keys()) if (key.startsWith(`${run}\u0000`)) perAudience.delete(key);
      }
      const revoked: Credential[] = [];
      for (const h of held) {
        if (knownRevoked(h.credential.jti)) continue;
        await revokeOne(h, callOptions.signal);
        revoked.push(h.credential);
      }
      if (leases !== undefined && ended.length > 0) {
        try {
          await leases.release(ended, { signal: callOptions.signal });
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

/** The `jti` of a JWT, or a digest-derived id for opaque tokens (never the token itself). */
function jtiOf(token: string): string {
  try {
    const jti = decodeJwt(token).jti;
    if (typeof jti === 'string' && jti.length > 0) return jti;
  } catch {
    // opaque token
  }
  return `sha256:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;
}
