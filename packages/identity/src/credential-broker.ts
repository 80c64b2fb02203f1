import { createHash } from 'node:crypto';
import { type Credential, WritError } from '@writ/core';
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
  /** Where revoked `jti`s go; share it with `verifyTaskToken`. @default a new in-process list */
  revocations?: RevocationList;
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
 *   the RFC 7009 endpoint when one is configured).
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
  const report = (error: WritError) => {
    try {
      o.onError?.(error);
    } catch {
      // never let a reporting hook break a task
    }
  };
  /** What was issued, per run of a task (`runKey`: a task continued by parallel requests has several). */
  const byRun = new Map<string, Held[]>();
  const perAudience = new Map<string, Credential>();

  /** The runs of a task to act on: the one given, or all of them. */
  const runsOf = (taskId: string, runId: string | undefined): string[] =>
    runId === undefined
      ? [...byRun.keys()].filter((run) => run.startsWith(`${taskId}\u0000`))
      : [runKey({ taskId, runId })];
  const hold = (run: string, credential: Credential, exchanged: boolean) => {
    const list = byRun.get(run) ?? [];
    list.push({ credential, exchanged });
    byRun.set(run, list);
    return credential;
  };
  const usable = (c: Credential | undefined): c is Credential =>
    c !== undefined && !revocations.isRevoked(c.jti) && c.expiresAt - clock() > renewBeforeMs;
  const checkLive = (c: Credential, what: string) => {
    if (revocations.isRevoked(c.jti))
      throw new WritError('WRIT_TOKEN_REVOKED', `${what} was revoked`, { details: { jti: c.jti } });
    if (c.expiresAt <= clock())
      throw new WritError('WRIT_TOKEN_EXPIRED', `${what} has expired`, { details: { jti: c.jti } });
  };

  const mintTask = async (request: TaskCredentialRequest): Promise<Credential> => {
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
    return hold(runKey(attribution), credential, false);
  };

  return {
    name: 'writ-broker',
    revocations,
    held: (taskId) =>
      runsOf(taskId, undefined)
        .flatMap((run) => byRun.get(run) ?? [])
        .map((h) => h.credential)
        .filter((c) => !revocations.isRevoked(c.jti)),
    async issueTaskCredential(request: TaskCredentialRequest, _options: CallOptions): Promise<Credential> {
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
      return mintTask(request);
    },
    async renewTaskCredential(
      request: TaskCredentialRequest & { credential: Credential },
      _options: CallOptions,
    ) {
      checkLive(request.credential, 'the task token');
      return mintTask(request);
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
        hold(runKey(attribution), credential, true);
      } else {
        const remainingSec = Math.floor((taskCredential.expiresAt - clock()) / 1000);
        const { token, claims } = await mintTaskToken(authority, {
          attribution,
          audience,
          ttlSec: Math.max(1, Math.min(ttlSec, remainingSec)),
          typ: ACCESS_TOKEN_TYP,
          now: clock(),
        });
        credential = hold(
          runKey(attribution),
          createCredential({
            token,
            jti: claims.jti,
            type: TOKEN_TYPES.accessToken,
            audience,
            scope: attribution.scope,
            expiresAt: claims.exp * 1000,
          }),
          false,
        );
      }
      perAudience.set(key, credential);
      return credential;
    },
    async revokeTask(taskId: string, callOptions: RevokeTaskOptions): Promise<readonly Credential[]> {
      const runs = runsOf(taskId, callOptions.runId);
      const held = runs.flatMap((run) => byRun.get(run) ?? []);
      for (const run of runs) {
        byRun.delete(run);
        for (const key of perAudience.keys()) if (key.startsWith(`${run}\u0000`)) perAudience.delete(key);
      }
      const revoked: Credential[] = [];
      for (const { credential, exchanged } of held) {
        if (revocations.isRevoked(credential.jti)) continue;
        revocations.revoke(credential.jti, credential.expiresAt);
        revoked.push(credential);
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
              signal: callOptions.signal,
            });
          } catch (error) {
            report(
              WritError.isInstance(error)
                ? error
                : new WritError('WRIT_IDENTITY_UNAVAILABLE', 'remote revocation failed', { cause: error }),
            );
          }
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
