import type { Attribution, Credential } from '@writ/core';
import { type AuditEventBase, type CredentialRef, toCredentialRef, toPrincipalRef } from '@writ/core/plugin';
import { z } from 'zod';
import { type TokenSealer, tokenBinding } from '../shared/token-seal.js';

/**
 * What a lease keeps of its task for the records a reaper writes: the fields every audit event carries
 * that only the task's own process knew.
 *
 * @internal
 */
export type LeaseAttribution = Pick<
  AuditEventBase,
  'autonomous' | 'chain' | 'conversationId' | 'correlationId' | 'intent' | 'parentTaskId' | 'requester'
>;

/**
 * One credential as a lease row lists it. `token` is kept only for an exchanged credential with a
 * revocation endpoint (RFC 7009 needs the token itself), sealed under the leases' `tokenKey` (never in
 * clear; without a key it is not kept), and dropped when the lease closes.
 *
 * @internal
 */
export interface LeaseCredential extends CredentialRef {
  readonly token?: string | undefined;
  readonly revocationEndpoint?: string | undefined;
  readonly clientId?: string | undefined;
}

/** @internal */
export function leaseAttribution(attribution: Attribution): LeaseAttribution {
  return {
    autonomous: attribution.autonomous,
    chain: attribution.chain.map(toPrincipalRef),
    conversationId: attribution.conversationId,
    correlationId: attribution.correlationId,
    intent: attribution.intent,
    parentTaskId: attribution.parentTaskId,
    requester: attribution.requester === undefined ? null : toPrincipalRef(attribution.requester),
  };
}

/** @internal */
export function leaseCredential(
  credential: Credential,
  revocation: { readonly endpoint: string; readonly clientId: string } | undefined,
  sealer: TokenSealer | undefined,
): LeaseCredential {
  const ref = toCredentialRef(credential);
  if (revocation === undefined) return ref;
  const listed = { ...ref, revocationEndpoint: revocation.endpoint, clientId: revocation.clientId };
  return sealer === undefined
    ? listed
    : { ...listed, token: sealer.seal(credential.token, tokenBinding(listed)) };
}

const text = (max: number) => z.string().min(1).max(max);
const principalRef = z.strictObject({
  kind: z.enum(['human', 'agent', 'service']),
  id: text(1_024),
  issuer: text(1_024).optional(),
  name: text(256).optional(),
  assurance: z.enum(['verified', 'asserted', 'claimed']),
  owner: text(256).optional(),
  purpose: text(1_024).optional(),
});

/**
 * A lease row's `attribution`, checked before anything of it reaches the audit log (a row edited in the
 * table must not write arbitrary records).
 *
 * @internal
 */
export const leaseAttributionSchema = z.strictObject({
  autonomous: z.boolean(),
  chain: z.array(principalRef).min(1).max(64),
  conversationId: text(256).optional(),
  correlationId: text(256),
  intent: z.string().max(8_192).optional(),
  parentTaskId: text(256).optional(),
  requester: principalRef.nullable(),
});

/** @internal a lease row's `credentials`. */
export const leaseCredentialsSchema = z
  .array(
    z.strictObject({
      jti: text(512),
      type: text(256),
      audience: text(2_048).optional(),
      expiresAt: z.number().finite(),
      token: text(24_576).optional(),
      revocationEndpoint: text(2_048).optional(),
      clientId: text(256).optional(),
    }),
  )
  .max(10_000);
