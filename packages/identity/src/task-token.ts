import { randomUUID } from 'node:crypto';
import { type Attribution, WritError } from '@writ/core';
import { validateOptions } from '@writ/core/internal';
import { scopeCovers, sha256Hex } from '@writ/core/plugin';
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload } from 'jose';
import { z } from 'zod';
import { tokenError, type VerificationKey, verifyJwt } from './jwt.js';
import type { LocalAuthority } from './local-authority.js';
import { bearerToken } from './oidc/bearer-token.js';
import { TOKEN_TYPES } from './oidc/token-types.js';

/**
 * `typ` of task tokens (Transaction Tokens draft).
 *
 * @example
 * ```ts
 * // accept task tokens only, not per-audience credentials minted from them
 * await verifyTaskToken(token, { issuer, audience, jwks, types: [TASK_TOKEN_TYP] });
 * ```
 */
export const TASK_TOKEN_TYP = 'txntoken+jwt';
/**
 * `typ` of per-audience credentials (RFC 9068 JWT access tokens).
 *
 * @example
 * ```ts
 * // a service that accepts only the audience-bound credentials Writ issues per tool
 * await verifyTaskToken(token, { issuer, audience: 'https://payments.example.com', jwks, types: [ACCESS_TOKEN_TYP] });
 * ```
 */
export const ACCESS_TOKEN_TYP = 'at+jwt';
/**
 * Token type URI of task tokens (Transaction Tokens draft); `TOKEN_TYPES.txnToken`.
 *
 * @example
 * ```ts
 * import { getToolContext } from '@writ/core';
 *
 * const taskCredential = getToolContext().credential;
 * if (taskCredential?.type === TXN_TOKEN_TYPE) console.log('the tool holds the task token itself');
 * ```
 */
export const TXN_TOKEN_TYPE = TOKEN_TYPES.txnToken;
/**
 * Token type URI of access tokens; `TOKEN_TYPES.accessToken`.
 *
 * @example
 * ```ts
 * const exchange: TokenExchangeConfig = {
 *   tokenEndpoint: 'https://login.example.com/token',
 *   clientId: 'writ-broker',
 *   requestedTokenType: ACCESS_TOKEN_TYPE,
 * };
 * ```
 */
export const ACCESS_TOKEN_TYPE = TOKEN_TYPES.accessToken;

const MAX_ACT_DEPTH = 32;

/**
 * Nested RFC 8693 actor claim: the current actor outermost.
 *
 * @example
 * ```ts
 * // billing-bot, delegated to by support-bot, is acting now
 * const act: ActClaim = {
 *   sub: 'spiffe://writ.local/agent/billing-bot',
 *   act: { sub: 'spiffe://writ.local/agent/support-bot' },
 * };
 * ```
 */
export interface ActClaim {
  readonly sub: string;
  readonly act?: ActClaim;
}

/**
 * The claims of a task token (or a per-audience credential minted from it).
 *
 * @example
 * ```ts
 * const verified = await verifyTaskToken(token, { issuer, audience, jwks });
 * const claims: Readonly<TaskTokenClaims> = verified.claims;
 * console.log(claims.txn, claims.scope.split(' '), claims.tctx.correlation_id, claims.act?.sub);
 * ```
 */
export interface TaskTokenClaims extends JWTPayload {
  iss: string;
  /** The human requester, or the first agent when the task is autonomous. */
  sub: string;
  aud: string | string[];
  /** Task id. */
  txn: string;
  /** Space-separated scope (RFC 8693 §4.2). */
  scope: string;
  iat: number;
  exp: number;
  jti: string;
  /** Nested actors, current outermost. Absent for an autonomous single agent. */
  act?: ActClaim;
  /** The workload that asked for the token. */
  req_wl: string;
  /** Transaction context: digest of the intent, correlation id, parent task. */
  tctx: { intent_digest?: string; correlation_id: string; parent_txn?: string; autonomous?: true };
}

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

function nestActors(actors: readonly string[]): ActClaim | undefined {
  let act: ActClaim | undefined;
  for (const sub of actors) act = act === undefined ? { sub } : { sub, act };
  return act;
}

/**
 * Options of {@link verifyTaskToken}: whose tokens this service trusts, for which audience, and what
 * scope a caller must hold.
 *
 * @example
 * ```ts
 * const revocations = createRevocationList();
 * const options: VerifyTaskTokenOptions = {
 *   issuer: 'spiffe://writ.local',
 *   audience: 'https://payments.example.com',
 *   jwks: authority.jwks(),
 *   isRevoked: revocations.isRevoked,
 *   requiredScope: ['payments:refund'],
 * };
 * const verified = await verifyTaskToken(token, options);
 * ```
 */
export interface VerifyTaskTokenOptions {
  /** Expected issuer(s): the local authority's `issuer`, or your token service's. */
  issuer: string | readonly string[];
  /** This service's audience: the token's `aud` must contain it. */
  audience: string | readonly string[];
  /** Trusted keys: a JWKS object (e.g. `authority.jwks()`), or a jose key resolver (`createRemoteJWKSet`). */
  jwks: JSONWebKeySet | VerificationKey;
  /** @default ['EdDSA'] */
  algorithms?: readonly string[];
  /** Accepted `typ` headers. @default [TASK_TOKEN_TYP, ACCESS_TOKEN_TYP] */
  types?: readonly string[];
  /** Revocation check (e.g. a revocation list's `isRevoked`). Revoked tokens are refused. */
  isRevoked?: (jti: string) => boolean | Promise<boolean>;
  /** Scope item(s) the caller must hold, each covered by the token's scope. */
  requiredScope?: string | readonly string[];
  /** @default 5 */
  clockToleranceSec?: number;
  currentDate?: Date;
  maxTokenBytes?: number;
}

/**
 * What a verified task token says: the task, who it is for, which agents acted, and the scope.
 *
 * @example
 * ```ts
 * const verified: VerifiedTaskToken = await verifyTaskToken(token, { issuer, audience, jwks });
 * if (!verified.autonomous) console.log(`task ${verified.taskId} for ${verified.subject} via ${verified.actors.join(' > ')}`);
 * await writ.task({ agent: 'payments-api', inbound: verified }, () => refund.execute({ orderId: '42' }));
 * ```
 */
export interface VerifiedTaskToken {
  readonly taskId: string;
  readonly jti: string;
  readonly issuer: string;
  readonly audience: readonly string[];
  /** The requester (or the first agent when autonomous). */
  readonly subject: string;
  /** Acting agents, outermost (orchestrator) first; the last is the one presenting the token. */
  readonly actors: readonly string[];
  /** No human requester: `subject` is the first agent. */
  readonly autonomous: boolean;
  readonly scope: readonly string[];
  readonly issuedAt: number;
  /** Epoch ms. */
  readonly expiresAt: number;
  readonly correlationId: string | undefined;
  readonly intentDigest: string | undefined;
  readonly parentTaskId: string | undefined;
  readonly requestingWorkload: string | undefined;
  readonly claims: Readonly<TaskTokenClaims>;
}

const verifySchema = z.strictObject({
  issuer: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  jwks: z.custom<JSONWebKeySet | VerificationKey>(
    (v) => typeof v === 'function' || (typeof v === 'object' && v !== null),
    { message: 'must be a JWKS object or a key resolver' },
  ),
  algorithms: z.array(z.string()).min(1).optional(),
  types: z.array(z.string()).min(1).optional(),
  isRevoked: z
    .custom<(jti: string) => boolean>((v) => typeof v === 'function', { message: 'must be a function' })
    .optional(),
  requiredScope: z.union([z.string(), z.array(z.string())]).optional(),
  clockToleranceSec: z.number().min(0).max(300).optional(),
  currentDate: z.date().optional(),
  maxTokenBytes: z.number().int().positive().optional(),
});

const WHAT = 'task token';

/**
 * Verifies a task token (or a per-audience credential) as a downstream service: signature with pinned
 * algorithms, issuer, audience, `exp`/`iat`/`nbf`, `typ`, the shape of `txn`/`scope`/`act`, revocation
 * and, optionally, required scope. Refusals are `WritError`s with specific codes (`WRIT_TOKEN_EXPIRED`,
 * `WRIT_TOKEN_REVOKED`, `WRIT_AUDIENCE_MISMATCH`, `WRIT_SCOPE_EXCEEDED`, …).
 *
 * @example
 * ```ts
 * const verified = await verifyTaskToken(req.headers['txn-token'], {
 *   issuer: 'spiffe://writ.local', audience: 'https://payments.example.com', jwks, requiredScope: 'orders:refund',
 * });
 * verified.subject; // 'alice@example.com'
 * verified.actors;  // ['spiffe://writ.local/agent/support', 'spiffe://writ.local/agent/billing']
 * ```
 */
export async function verifyTaskToken(
  token: unknown,
  options: VerifyTaskTokenOptions,
): Promise<VerifiedTaskToken> {
  const o = validateOptions(verifySchema, options, 'verifyTaskToken') as VerifyTaskTokenOptions;
  const key = typeof o.jwks === 'function' ? o.jwks : createLocalJWKSet(o.jwks as JSONWebKeySet);
  const { payload, header } = await verifyJwt(token, key, {
    what: WHAT,
    algorithms: o.algorithms ?? ['EdDSA'],
    issuer: o.issuer,
    audience: o.audience,
    requiredClaims: ['exp', 'iat', 'jti', 'iss', 'sub', 'aud', 'txn', 'scope'],
    clockToleranceSec: o.clockToleranceSec,
    currentDate: o.currentDate,
    maxTokenBytes: o.maxTokenBytes,
  });
  const types = o.types ?? [TASK_TOKEN_TYP, ACCESS_TOKEN_TYP];
  if (typeof header.typ !== 'string' || !types.includes(header.typ)) {
    throw tokenError(
      'WRIT_TOKEN_INVALID',
      WHAT,
      'typ',
      `typ ${JSON.stringify(header.typ)} is not a task token type`,
    );
  }
  const claims = payload as TaskTokenClaims;
  const shape = (reason: string, message: string) => tokenError('WRIT_TOKEN_INVALID', WHAT, reason, message);
  if (typeof claims.txn !== 'string' || claims.txn.length === 0)
    throw shape('claim_txn', 'txn must be a task id');
  if (typeof claims.jti !== 'string' || claims.jti.length === 0)
    throw shape('claim_jti', 'jti must be a string');
  if (typeof claims.sub !== 'string' || claims.sub.length === 0)
    throw shape('claim_sub', 'sub must be a string');
  if (typeof claims.scope !== 'string') throw shape('claim_scope', 'scope must be a space-separated string');
  const actors = readActors(claims.act);
  if (actors === undefined) throw shape('claim_act', 'act must be nested { sub, act? } objects');
  if (o.isRevoked !== undefined && (await o.isRevoked(claims.jti))) {
    throw tokenError('WRIT_TOKEN_REVOKED', WHAT, 'revoked', 'token was revoked (its task has ended)', {
      jti: claims.jti,
    });
  }
  const scope = claims.scope.split(' ').filter((s) => s.length > 0);
  const required =
    o.requiredScope === undefined
      ? []
      : typeof o.requiredScope === 'string'
        ? [o.requiredScope]
        : o.requiredScope;
  const missing = required.filter((item) => !scopeCovers(scope, item));
  if (missing.length > 0) {
    throw new WritError(
      'WRIT_SCOPE_EXCEEDED',
      `${WHAT} refused: scope does not cover ${missing.join(', ')}`,
      {
        details: { token: WHAT, reason: 'insufficient_scope', missing },
      },
    );
  }
  const tctx = typeof claims.tctx === 'object' && claims.tctx !== null ? claims.tctx : undefined;
  // `sub` is the first agent itself when the task is autonomous (no human requester)
  const autonomous = tctx?.autonomous === true;
  const chain = autonomous ? [claims.sub, ...[...actors].reverse()] : [...actors].reverse();
  if (chain.length === 0)
    throw shape('claim_act', 'a task token with a human subject must name its acting agents');
  return Object.freeze({
    taskId: claims.txn,
    jti: claims.jti,
    issuer: claims.iss,
    audience: typeof claims.aud === 'string' ? [claims.aud] : [...claims.aud],
    subject: claims.sub,
    actors: chain,
    autonomous,
    scope,
    issuedAt: claims.iat * 1000,
    expiresAt: claims.exp * 1000,
    correlationId: typeof tctx?.correlation_id === 'string' ? tctx.correlation_id : undefined,
    intentDigest: typeof tctx?.intent_digest === 'string' ? tctx.intent_digest : undefined,
    parentTaskId: typeof tctx?.parent_txn === 'string' ? tctx.parent_txn : undefined,
    requestingWorkload: typeof claims.req_wl === 'string' ? claims.req_wl : undefined,
    claims,
  });
}

/** Current-first list of actor subjects, or `undefined` when malformed. An absent claim is []. */
function readActors(act: unknown): string[] | undefined {
  const out: string[] = [];
  let node = act;
  while (node !== undefined) {
    if (out.length >= MAX_ACT_DEPTH || typeof node !== 'object' || node === null || Array.isArray(node))
      return undefined;
    const { sub, act: inner } = node as { sub?: unknown; act?: unknown };
    if (typeof sub !== 'string' || sub.length === 0) return undefined;
    out.push(sub);
    node = inner;
  }
  return out;
}

/**
 * Options of {@link verifyTaskTokenFromRequest}: those of {@link verifyTaskToken}, plus whether a bearer
 * token may stand in for the `Txn-Token` header.
 *
 * @example
 * ```ts
 * const options: VerifyTaskTokenFromRequestOptions = {
 *   issuer: 'spiffe://writ.local',
 *   audience: 'https://payments.example.com',
 *   jwks,
 *   allowBearer: true, // callers that can only set Authorization
 * };
 * const verified = await verifyTaskTokenFromRequest(request, options);
 * ```
 */
export interface VerifyTaskTokenFromRequestOptions extends VerifyTaskTokenOptions {
  /** Also accept `Authorization: Bearer <token>` when `Txn-Token` is absent. @default false */
  allowBearer?: boolean;
}

/**
 * A Fetch `Request`, or anything with Node-style `headers`.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from 'node:http';
 *
 * const fromNode = (req: IncomingMessage): RequestLike => req;
 * const fromFetch: RequestLike = new Request('https://payments.example.com/refunds', {
 *   headers: { 'txn-token': token },
 * });
 * ```
 */
export type RequestLike = { headers: Headers | Record<string, string | string[] | undefined> };

/**
 * Framework-neutral request helper: reads the `Txn-Token` header (or, when allowed, a bearer token) from
 * a Fetch `Request` or a Node `IncomingMessage`-like object and verifies it. A missing token is
 * `WRIT_TOKEN_INVALID` (`reason: 'missing'`).
 *
 * @example
 * ```ts
 * app.use(async (req, res, next) => {
 *   req.task = await verifyTaskTokenFromRequest(req, { issuer, audience: 'https://payments.example.com', jwks });
 *   next();
 * });
 * ```
 */
export async function verifyTaskTokenFromRequest(
  request: RequestLike,
  options: VerifyTaskTokenFromRequestOptions,
): Promise<VerifiedTaskToken> {
  const { allowBearer, ...verifyOptions } = options;
  const read = (name: string): string | undefined => {
    const headers = request.headers;
    if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
    const record = headers as Record<string, string | string[] | undefined>;
    const key = Object.keys(record).find((k) => k.toLowerCase() === name);
    const value = key === undefined ? undefined : record[key];
    if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
    return value;
  };
  let token = read('txn-token');
  if (token === undefined && allowBearer === true) token = bearerToken(request, { optional: true });
  if (token === undefined)
    throw tokenError('WRIT_TOKEN_INVALID', WHAT, 'missing', 'the request carries no task token');
  return verifyTaskToken(token.trim(), verifyOptions);
}
