import { WritError } from '@writ/core';
import type { InboundTask } from '@writ/core/adapter';
import { functionSchema, validateOptions } from '@writ/core/internal';
import type { Assurance } from '@writ/core/plugin';
import { scopeCovers } from '@writ/core/plugin';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { z } from 'zod';
import { tokenError, type VerificationKey, verifyJwt } from './jwt.js';
import { ACCESS_TOKEN_TYP, readActors, TASK_TOKEN_TYP, type TaskTokenClaims } from './task-token.js';

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
export interface VerifiedTaskToken extends InboundTask {
  readonly audience: readonly string[];
  readonly issuedAt: number;
  readonly correlationId: string | undefined;
  /** `sha256:<hex>` of the caller's intent (`tctx.intent_digest`). */
  readonly intentDigest: string | undefined;
  /** Who verified the requester (`sub_id.iss`) and how the caller established them (`tctx.req_assurance`). */
  readonly requester: { readonly issuer: string; readonly assurance: Assurance } | undefined;
  /** Origin of the caller's evidence log (`tctx.caller_log`). */
  readonly callerLog: string | undefined;
  /** W3C span id of the caller's call that obtained the credential (`tctx.caller_span`). */
  readonly callerSpanId: string | undefined;
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
  isRevoked: functionSchema<(jti: string) => boolean>().optional(),
  requiredScope: z.union([z.string(), z.array(z.string())]).optional(),
  clockToleranceSec: z.number().min(0).max(300).optional(),
  currentDate: z.date().optional(),
  maxTokenBytes: z.number().int().positive().optional(),
});

/** What a task token is called in messages and `details.token`. @internal */
export const TASK_TOKEN_WHAT = 'task token';
const WHAT = TASK_TOKEN_WHAT;

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
  const carried = readCarried(claims, tctx, autonomous, shape);
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
    intentDigest: carried.intentDigest,
    requester: carried.requester,
    callerLog: carried.callerLog,
    callerSpanId: carried.callerSpanId,
    parentTaskId: typeof tctx?.parent_txn === 'string' ? tctx.parent_txn : undefined,
    requestingWorkload: typeof claims.req_wl === 'string' ? claims.req_wl : undefined,
    claims,
  });
}

const ASSURANCES: readonly string[] = ['verified', 'asserted', 'claimed'];
const SPAN_ID = /^(?!0{16})[0-9a-f]{16}$/;
/** A non-empty single-line string of at most 1024 characters (log origins, digests). */
const isLine = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= 1024 && !/[\n\r]/.test(v);

/**
 * What the caller carried for the callee to stand alone, from the signed claims only: the intent
 * digest, the requester's identity provider (`sub_id`, RFC 9493 `iss_sub`) and assurance
 * (`tctx.req_assurance`), the caller's log origin and span id. A claim present but malformed refuses
 * the token (`WRIT_TOKEN_INVALID`); an absent one is `undefined` (an older caller).
 */
function readCarried(
  claims: TaskTokenClaims,
  tctx: TaskTokenClaims['tctx'] | undefined,
  autonomous: boolean,
  shape: (reason: string, message: string) => Error,
): Pick<VerifiedTaskToken, 'intentDigest' | 'requester' | 'callerLog' | 'callerSpanId'> {
  const t = (tctx ?? {}) as Record<string, unknown>;
  const digest = t.intent_digest;
  if (digest !== undefined && !isLine(digest))
    throw shape('claim_tctx', 'tctx.intent_digest must be a digest string (Writ: sha256:<hex>)');
  const log = t.caller_log;
  if (log !== undefined && !isLine(log))
    throw shape('claim_tctx', 'tctx.caller_log must be a log origin (one line)');
  const span = t.caller_span;
  if (span !== undefined && (typeof span !== 'string' || !SPAN_ID.test(span)))
    throw shape('claim_tctx', 'tctx.caller_span must be a W3C span id (16 lowercase hex, not all zero)');
  const assurance = t.req_assurance;
  if (assurance !== undefined && (typeof assurance !== 'string' || !ASSURANCES.includes(assurance)))
    throw shape('claim_tctx', 'tctx.req_assurance must be verified, asserted or claimed');
  const subId = (claims as { sub_id?: unknown }).sub_id;
  let idp: string | undefined;
  if (subId !== undefined) {
    if (typeof subId !== 'object' || subId === null || Array.isArray(subId))
      throw shape('claim_sub_id', 'sub_id must be a subject identifier object (RFC 9493)');
    const id = subId as { format?: unknown; iss?: unknown; sub?: unknown };
    // other formats (email, phone, …) name no identity provider: not a requester provenance
    if (id.format === 'iss_sub') {
      if (!isLine(id.iss) || id.sub !== claims.sub)
        throw shape('claim_sub_id', "sub_id (iss_sub) must name an issuer and the token's sub");
      idp = id.iss;
    }
  }
  return {
    intentDigest: digest as string | undefined,
    // the requester's provenance needs both halves; an autonomous task has no requester
    requester:
      autonomous || idp === undefined || assurance === undefined
        ? undefined
        : Object.freeze({ issuer: idp, assurance: assurance as Assurance }),
    callerLog: log as string | undefined,
    callerSpanId: span as string | undefined,
  };
}
