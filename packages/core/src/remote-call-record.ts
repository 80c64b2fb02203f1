/**
 * What one call to another service returned about the callee's own evidence, as the caller received it:
 * the callee's decision receipt (its log origin, the index and leaf hash of its decision record for the
 * call) and, when the callee refused the call, its refusal code. These are the callee's claims: the
 * caller's log commits to what was received; `writ explain` over both logs checks the receipt against
 * the callee's log (`joinLogs`). A refusal here is never a decision of the caller's Writ.
 *
 * @example
 * ```ts
 * import { createInMemoryAuditSink } from '@writ/core/testing';
 *
 * const audit = createInMemoryAuditSink();
 * // … calls that reach an instrumented MCP server run through createWrit({ audit, … }) …
 * const remote: RemoteCallRecord[] = audit.ofKind('outcome').flatMap((e) => e.outcome.remote ?? []);
 * remote.map((r) => (r.refusal ? `${r.tool} refused by ${r.by}: ${r.refusal.code}` : `${r.tool} → ${r.receipt?.log}#${r.receipt?.index}`));
 * ```
 */
export interface RemoteCallRecord {
  /** How the call was made. */
  readonly via: 'mcp' | 'http';
  /** Who answered: the audience the call was made for (the callee's resource URI), or the URL's origin. */
  readonly by: string;
  /** The remote tool (MCP) or `METHOD path` (HTTP). */
  readonly tool?: string | undefined;
  /** The callee's decision receipt for this call, as it sent it. */
  readonly receipt?: { readonly log: string; readonly index: number; readonly leafHash: string } | undefined;
  /** The callee refused the call (its code and text, as it sent them): reported by the callee. */
  readonly refusal?: { readonly code: string; readonly message?: string | undefined } | undefined;
  /** What the callee sent that could not be read as a receipt or refusal (kept, not used). */
  readonly problem?: string | undefined;
}
