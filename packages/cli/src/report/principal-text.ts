import { principalText as principalTextOf } from '@writ/audit/internal';
import type { PrincipalRef } from '@writ/core/plugin';

/**
 * The short name of an agent (or any principal): its recorded name, else the last segment of a SPIFFE
 * ID (`spiffe://shop.example.com/agent/order-researcher` → `order-researcher`), else its id. Upstream
 * agents of a continued task are recorded by id only: their SPIFFE IDs name them.
 *
 * @example
 * ```ts
 * agentName({ kind: 'agent', id: 'spiffe://shop.example.com/agent/order-researcher', assurance: 'verified' }); // 'order-researcher'
 * ```
 */
export function agentName(p: PrincipalRef): string {
  if (p.name !== undefined && p.name !== '') return p.name;
  const spiffe = /^spiffe:\/\/[^/]+\/(?:[^/]+\/)*([^/]+)$/.exec(p.id);
  return spiffe?.[1] ?? p.id;
}

/**
 * A requester or approver as text: `alice@example.com (verified)` (for a requester taken from a caller's
 * token, also its identity provider and the token's issuer), or who stands in for nobody.
 *
 * @example
 * ```ts
 * principalText(task.requester); // 'alice@example.com (verified)' or 'autonomous (no requester)'
 * ```
 */
export function principalText(
  p: PrincipalRef | null | undefined,
  nobody = 'autonomous (no requester)',
): string {
  // a requester carried in a caller's token says so (explain's text, one home)
  return p === null || p === undefined ? nobody : principalTextOf(p);
}
