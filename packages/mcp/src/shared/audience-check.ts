import { WritError } from '@writ/core';
import type { InboundTask } from '@writ/core/adapter';
import { namesResource } from './resource-uri.js';

/**
 * Refuses a verified credential that was not issued for this server: its `audience` (what the verifier
 * returned, as `@writ/identity`'s `verifyTaskToken` does) must name the server's resource URI. A verifier
 * that returns no audience is refused too, so a misconfigured verifier (one checking the issuer's
 * audience, say) cannot let a credential meant for another service through. @internal
 */
export function requireAudience(inbound: InboundTask, own: string): void {
  const given = (inbound as { audience?: unknown }).audience;
  const audiences = typeof given === 'string' ? [given] : Array.isArray(given) ? given : undefined;
  if (audiences === undefined || !audiences.every((a) => typeof a === 'string')) {
    throw new WritError(
      'WRIT_TOKEN_INVALID',
      "the credential verifier returned no audience: return the verified token (verifyTaskToken's result names its audience)",
      { details: { token: 'task token', reason: 'audience_unknown' } },
    );
  }
  if (!(audiences as string[]).some((a) => namesResource(a, own))) {
    throw new WritError(
      'WRIT_AUDIENCE_MISMATCH',
      `the credential was issued for ${audiences.join(', ') || 'no audience'}, not for this server (${own})`,
      { details: { token: 'task token', reason: 'audience', jti: inbound.jti } },
    );
  }
}
