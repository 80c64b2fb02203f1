import { createHash } from 'node:crypto';
import { type Credential, WritError } from '@writ/core';
import {
  type CallCredentialRequest,
  type CallOptions,
  createCredential,
  isScopeSubset,
  runKey,
} from '@writ/core/plugin';
import { decodeJwt } from 'jose';
import type { HeldCredentials } from './credential-broker-held.js';
import type { BrokerSettings } from './credential-broker-options.js';
import { checkLive } from './credential-broker-task.js';
import { mintTaskTokenLater } from './mint-task-token.js';
import { exchangeToken } from './oidc/token-exchange.js';
import { TOKEN_TYPES } from './oidc/token-types.js';
import { ACCESS_TOKEN_TYP } from './task-token.js';

/**
 * The per-call side of the credential broker: a credential per tool audience, minted locally
 * (`typ: at+jwt`, never outliving the task token, signed when its `token` is first read) or obtained by
 * RFC 8693 token exchange, cached per run of the task and audience until it is revoked or close to expiry.
 *
 * @internal
 * @example
 * ```ts
 * const calls = createCallCredentials(settings, held);
 * const credential = await calls.credentialFor({ attribution, audience, taskCredential }, { signal });
 * ```
 */
export interface CallCredentials {
  credentialFor(request: CallCredentialRequest, callOptions: CallOptions): Promise<Credential>;
  /** Drops the cached credentials of a run (`runKey`) that ended. */
  forget(run: string): void;
}

/**
 * Creates the {@link CallCredentials} of one credential broker; each credential is held for its run.
 *
 * @internal
 * @example
 * ```ts
 * const calls = createCallCredentials(settings, createHeldCredentials(settings));
 * ```
 */
export function createCallCredentials(settings: BrokerSettings, held: HeldCredentials): CallCredentials {
  const { authority, clock, ttlSec, renewBeforeMs, revocations, exchange } = settings;
  const perAudience = new Map<string, Credential>();
  const usable = (c: Credential | undefined): c is Credential =>
    c !== undefined && !revocations.isRevoked(c.jti) && c.expiresAt - clock() > renewBeforeMs;

  return {
    forget(run) {
      for (const key of perAudience.keys()) if (key.startsWith(`${run}\u0000`)) perAudience.delete(key);
    },
    async credentialFor(request, callOptions) {
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
      checkLive(settings, taskCredential, 'the task token');
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
        await held.hold(attribution, credential, true, callOptions.signal);
      } else {
        const remainingSec = Math.floor((taskCredential.expiresAt - clock()) / 1000);
        // signed when first read, like the task token: a tool that calls no downstream service (and a
        // tool server's call of one) never reads it; its jti, claims and key are fixed here
        const { token, claims } = await mintTaskTokenLater(authority, {
          attribution,
          audience,
          ttlSec: Math.max(1, Math.min(ttlSec, remainingSec)),
          typ: ACCESS_TOKEN_TYP,
          now: clock(),
          callerLog: request.log,
          callerSpanId: request.spanId,
        });
        credential = await held.hold(
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
