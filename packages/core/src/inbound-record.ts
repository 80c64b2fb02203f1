import type { Assurance } from './principal.js';

/**
 * Claims of a caller's credential the callee records when the token did not carry them (an older caller,
 * a token service that does not copy them): see {@link InboundRecord.missing}.
 *
 * @example
 * ```ts
 * const claim: InboundClaim = 'callerSpanId';
 * ```
 */
export type InboundClaim = 'intentDigest' | 'requester' | 'callerLog' | 'callerSpanId';

/**
 * What a callee records of the caller's credential it continued a task with (`TaskStartEvent.inbound`),
 * every field read from the verified, signed token (never from headers, `_meta` or baggage):
 * - `jti`, `audience`, `issuer`, `expiresAt`: the credential (`aud` as it named this service);
 * - `intentDigest`: `sha256:<hex>` of the caller's intent (`tctx.intent_digest`), checkable against the
 *   caller's record of the intent;
 * - `requester`: the identity provider that verified the requester and the assurance the caller stated
 *   (`sub_id` and `tctx.req_assurance`);
 * - `callerLog`: the origin of the caller's evidence log (`tctx.caller_log`);
 * - `callerSpanId`: the span of the caller's call that obtained the credential (`tctx.caller_span`);
 * - `missing`: which of those the token did not carry (absent when it carried them all).
 *
 * @example
 * ```ts
 * const inbound: InboundRecord = {
 *   audience: ['https://orders.example.com/mcp'],
 *   callerLog: 'writ.local/orchestrator/7f3a',
 *   callerSpanId: '5f0c2a1b9d8e7f60',
 *   expiresAt: 1767225600000,
 *   intentDigest: 'sha256:3b1f…',
 *   issuer: 'spiffe://writ.local',
 *   jti: 'a3f1c9e2-5d1b-4b8e-9c0f-1e2d3c4b5a69',
 *   requester: { assurance: 'verified', issuer: 'https://login.example.com' },
 * };
 * ```
 */
export interface InboundRecord {
  readonly audience: readonly string[];
  readonly callerLog?: string | undefined;
  readonly callerSpanId?: string | undefined;
  readonly expiresAt: number;
  readonly intentDigest?: string | undefined;
  readonly issuer: string;
  readonly jti: string;
  readonly missing?: readonly InboundClaim[] | undefined;
  readonly requester?: { readonly assurance: Assurance; readonly issuer: string } | undefined;
}
