import type { InboundRecord, PrincipalRef } from '@writ/core/plugin';

/**
 * How explain's text tree says who a principal is: `id (assurance)`; for a requester a callee took from
 * its caller's token (`via`), also the identity provider the token names and whose token carried it, so
 * nobody mistakes it for a verification done here. `esc` escapes each piece of text from the log.
 *
 * @internal
 * @example
 * ```ts
 * principalText(requester); // 'alice@example.com (verified by https://login.example.com, via the token of spiffe://writ.local)'
 * ```
 */
export function principalText(p: PrincipalRef | null, esc: (text: string) => string = same): string {
  if (p === null) return 'autonomous (no requester)';
  if (p.via === undefined) return `${esc(p.id)} (${esc(p.assurance)})`;
  return `${esc(p.id)} (${esc(p.assurance)} by ${esc(p.issuer ?? 'an unnamed issuer')}, via the token of ${esc(p.via)})`;
}

/**
 * The lines explain's text tree shows for a caller's credential a task continued with: the credential
 * (`jti`, issuer, audience, expiry), what the token carried (intent digest, the requester's identity
 * provider and assurance, the caller's log and span) and, as `missing`, what it did not. `esc` escapes
 * each piece of text from the log.
 *
 * @internal
 * @example
 * ```ts
 * const { lines, missing } = inboundText(task.inbound[0]);
 * ```
 */
export function inboundText(
  inbound: InboundRecord,
  esc: (text: string) => string = same,
): { lines: string[]; missing: string | undefined } {
  // a record read from a log may hold what the type does not promise (an older or a hand-made record)
  const given: unknown = inbound.audience;
  const audience = (Array.isArray(given) ? given : given === undefined ? [] : [given]).map(String);
  const expires = Number.isFinite(inbound.expiresAt)
    ? new Date(inbound.expiresAt).toISOString()
    : String(inbound.expiresAt);
  const lines = [
    `inbound credential ${esc(inbound.jti)} from ${esc(inbound.issuer)} for ${audience.length === 0 ? '(audience not recorded)' : audience.map(esc).join(', ')}, expires ${expires}`,
  ];
  const carried: string[] = [];
  if (inbound.requester !== undefined)
    carried.push(
      `requester's identity provider ${esc(inbound.requester.issuer)} (${esc(inbound.requester.assurance)})`,
    );
  if (inbound.intentDigest !== undefined) carried.push(`intent ${esc(inbound.intentDigest)}`);
  if (inbound.callerLog !== undefined) carried.push(`caller log ${esc(inbound.callerLog)}`);
  if (inbound.callerSpanId !== undefined) carried.push(`caller span ${esc(inbound.callerSpanId)}`);
  if (carried.length > 0) lines.push(`carried: ${carried.join('; ')}`);
  const missing =
    !Array.isArray(inbound.missing) || inbound.missing.length === 0
      ? undefined
      : `⚠ the caller's token does not carry: ${inbound.missing.map((m) => esc(String(m))).join(', ')}`;
  return { lines, missing };
}

const same = (text: string) => text;
