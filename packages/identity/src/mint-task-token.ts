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
}

/**
 * Builds and signs a task token for an attribution: `sub` is the requester (or the first agent when
 * autonomous), `act` nests the agents with the current one outermost, `txn` is the task id.
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
      ...(attribution.requester === undefined ? { autonomous: true as const } : {}),
    },
  };
  const act = nestActors(actors);
  if (act !== undefined) claims.act = act;
  const token = await authority.sign(claims, { typ: options.typ ?? TASK_TOKEN_TYP });
  return { token, claims };
}
