import { randomUUID } from 'node:crypto';
import { type Attribution, WritError } from '@writ/core';
import { sha256Hex } from '@writ/core/plugin';
import type { LocalAuthority } from './local-authority.js';
import { nestActors, TASK_TOKEN_TYP, type TaskTokenClaims } from './task-token.js';

/**
 * Options of {@link mintTaskToken}.
 *
 * @example
 * ```ts
 * import { getAttribution } from '@writ/core';
 *
 * const options: MintTaskTokenOptions = {
 *   attribution: getAttribution(),
 *   audience: 'https://payments.example.com',
 *   ttlSec: 60,
 *   typ: ACCESS_TOKEN_TYP,
 *   scope: ['payments:refund'],
 * };
 * const { token } = await mintTaskToken(authority, options);
 * ```
 */
export interface MintTaskTokenOptions {
  attribution: Attribution;
  audience: string | readonly string[];
  /** Lifetime in seconds. */
  ttlSec: number;
  /** `typ` header. @default TASK_TOKEN_TYP */
  typ?: string;
  /** Scope to carry. @default the attribution's scope */
  scope?: readonly string[];
  /** @default Date.now() */
  now?: number;
  /** Origin of the minting instance's evidence log, carried as `tctx.caller_log`. */
  callerLog?: string | undefined;
  /** W3C span id of the call the credential is for, carried as `tctx.caller_span`. */
  callerSpanId?: string | undefined;
}

/**
 * Builds and signs a task token for an attribution: `sub` is the requester (or the first agent when
 * autonomous), `act` nests the agents with the current one outermost, `txn` is the task id; `sub_id`
 * names the identity provider that verified the requester, `tctx` carries the intent digest, the
 * requester's assurance and, when given, the caller's log origin and span id.
 *
 * @example
 * ```ts
 * const { token, claims } = await mintTaskToken(authority, { attribution, audience: 'spiffe://writ.local', ttlSec: 300 });
 * ```
 */
export async function mintTaskToken(
  authority: LocalAuthority,
  options: MintTaskTokenOptions,
): Promise<{ token: string; claims: TaskTokenClaims }> {
  const claims = taskTokenClaims(authority, options);
  const token = await authority.sign(claims, { typ: options.typ ?? TASK_TOKEN_TYP });
  return { token, claims };
}

/**
 * {@link mintTaskToken} with the signature made when the token is first read: the claims (`jti`, `iat`,
 * `exp`) and the key are fixed now, and `token()` returns the bytes `mintTaskToken` would have returned
 * now. A credential broker hands out `token` as the credential's lazily read secret, so a task token
 * that never leaves the process (a tool server's continued task) costs no signature. An authority whose
 * key is held by a remote signer signs now.
 *
 * @internal
 * @example
 * ```ts
 * const { token, claims } = await mintTaskTokenLater(authority, { attribution, audience, ttlSec: 300 });
 * const credential = createCredential({ token, jti: claims.jti, type, scope, expiresAt: claims.exp * 1000 });
 * ```
 */
export async function mintTaskTokenLater(
  authority: LocalAuthority,
  options: MintTaskTokenOptions,
): Promise<{ token: () => string; claims: TaskTokenClaims }> {
  const claims = taskTokenClaims(authority, options);
  const header = { typ: options.typ ?? TASK_TOKEN_TYP };
  const later = authority.signLater?.(claims, header);
  if (later !== undefined) return { token: later, claims };
  const token = await authority.sign(claims, header);
  return { token: () => token, claims };
}

/** The claims of a task token (see {@link mintTaskToken}), with a fresh `jti`. */
function taskTokenClaims(authority: LocalAuthority, options: MintTaskTokenOptions): TaskTokenClaims {
  const { attribution } = options;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  const agents = attribution.chain.map((p) => p.id);
  if (agents.length === 0)
    throw new WritError('WRIT_IDENTITY_INVALID', 'a task token needs at least one agent');
  const subject = attribution.requester?.id ?? (agents[0] as string);
  const actors = attribution.requester === undefined ? agents.slice(1) : agents;
  const requester = agents.length >= 2 ? (agents[agents.length - 2] as string) : (agents[0] as string);
  const claims: TaskTokenClaims = {
    iss: authority.issuer,
    sub: subject,
    aud: typeof options.audience === 'string' ? options.audience : [...options.audience],
    txn: attribution.taskId,
    scope: [...(options.scope ?? attribution.scope)].join(' '),
    iat: now,
    exp: now + options.ttlSec,
    jti: randomUUID(),
    req_wl: requester,
    tctx: {
      correlation_id: attribution.correlationId,
      ...(attribution.intent === undefined ? {} : { intent_digest: sha256Hex(attribution.intent) }),
      ...(attribution.parentTaskId === undefined ? {} : { parent_txn: attribution.parentTaskId }),
      ...(attribution.requester === undefined
        ? { autonomous: true as const }
        : { req_assurance: attribution.requester.assurance }),
      ...(options.callerLog === undefined ? {} : { caller_log: options.callerLog }),
      ...(options.callerSpanId === undefined ? {} : { caller_span: options.callerSpanId }),
    },
  };
  const idp = attribution.requester?.issuer;
  if (attribution.requester !== undefined && idp !== undefined)
    claims.sub_id = { format: 'iss_sub', iss: idp, sub: subject };
  const act = nestActors(actors);
  if (act !== undefined) claims.act = act;
  return claims;
}
