import { trace } from '@opentelemetry/api';
import { digest } from '../canonical-json.js';
import type { Config } from '../config.js';
import { activeContext, tryGetTaskState } from '../context.js';
import type { Credential } from '../credential.js';
import { WritError } from '../errors.js';
import { resolveConfig } from '../global.js';
import { callService, NEVER } from '../pipeline/deadline.js';
import { validSpanId } from '../telemetry.js';
import type { ToolCall } from '../tool-call.js';
import { TOOL_CONTEXT_KEY, type ToolContext } from '../tool-context.js';
import type { Writ } from '../writ.js';

/**
 * Options of {@link hopCredential}.
 *
 * @example
 * ```ts
 * const options: HopCredentialOptions = { tool: 'lookup_order', signal: AbortSignal.timeout(5_000) };
 * const credential = await hopCredential('https://orders.example.com/mcp', options);
 * ```
 */
export interface HopCredentialOptions {
  /**
   * The remote tool (or operation) the hop calls: named in the request to the credential broker when no
   * Writ tool call is executing. @default 'hop'
   */
  readonly tool?: string | undefined;
  /** Aborts the broker request. @default the task's signal */
  readonly signal?: AbortSignal | undefined;
  /** The instance whose broker issues the credential. @default the active task's */
  readonly writ?: Writ | undefined;
}

/**
 * The credential a hop to another service carries: minted or exchanged for THAT service's audience (its
 * resource URI, RFC 8707), never the task token, which does not leave the process that minted it.
 * - outside any task: `undefined` (there is no authority to carry);
 * - inside a Writ tool call whose credential is already for `audience`: that credential;
 * - otherwise: the task's credential broker's `credentialFor` that audience, cached per run of the task
 *   and audience by the broker and revoked with the run, within `timeouts.credentialMs`. Outside a tool
 *   call the broker is asked with a call that describes the hop (`type: 'extension'`, the remote tool's
 *   name, resource `{ type: 'Service', id: audience }`, no arguments). The broker is told this
 *   instance's log origin and the span of the call (the Writ tool call's `execute_tool` span, which its
 *   records name; outside a tool call, the active span), which a Writ broker signs into the credential
 *   (`tctx.caller_log`, `tctx.caller_span`) for the callee to record;
 * - no credential broker configured: `undefined` (the instance issues no credentials at all).
 *
 * A broker failure rejects with `WRIT_CREDENTIAL_UNAVAILABLE` (or the broker's own `WRIT_SCOPE_EXCEEDED`,
 * `WRIT_TOKEN_REVOKED`, `WRIT_TOKEN_EXPIRED`): the caller sends nothing rather than another credential.
 *
 * @example
 * ```ts
 * import { hopCredential, TASK_TOKEN_HEADER } from '@writ/core/adapter';
 *
 * const credential = await hopCredential('https://payments.example.com');
 * const headers: Record<string, string> = {};
 * if (credential !== undefined) headers[TASK_TOKEN_HEADER] = credential.token;
 * await fetch('https://payments.example.com/refunds', { method: 'POST', headers, body });
 * ```
 */
export async function hopCredential(
  audience: string,
  options: HopCredentialOptions = {},
): Promise<Credential | undefined> {
  if (typeof audience !== 'string' || audience.length === 0) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'hopCredential: audience must be a non-empty string');
  }
  const ctx = activeContext();
  const task = tryGetTaskState(ctx);
  if (task === undefined) return undefined;
  const tool = ctx.getValue(TOOL_CONTEXT_KEY) as ToolContext | undefined;
  if (tool?.credential !== undefined && tool.credential.audience === audience) return tool.credential;
  const config = resolveConfig(options.writ, 'hopCredential');
  const broker = config.credentials;
  if (broker === undefined) return undefined;
  const call = tool?.call ?? hopCall(config, audience, options.tool ?? 'hop');
  // the credential leaves the process: the task's start record is durable first
  await task.startDurable?.();
  return callService({
    ms: config.timeouts.credentialMs,
    signal: options.signal ?? task.signal ?? NEVER,
    run: (signal) =>
      broker.credentialFor(
        {
          attribution: task.attribution,
          call,
          audience,
          taskCredential: task.credential,
          log: config.audit?.origin,
          // the span the caller's records name: its tool call's, else whatever span is active
          spanId: validSpanId((tool?.span ?? trace.getSpan(ctx))?.spanContext()),
        },
        { signal },
      ),
    timeout: () =>
      new WritError(
        'WRIT_CREDENTIAL_UNAVAILABLE',
        `credential broker "${broker.name}" did not answer within ${config.timeouts.credentialMs} ms`,
      ),
    passes: [
      'WRIT_CREDENTIAL_UNAVAILABLE',
      'WRIT_SCOPE_EXCEEDED',
      'WRIT_TOKEN_REVOKED',
      'WRIT_TOKEN_EXPIRED',
    ],
    failure: (error) =>
      new WritError(
        'WRIT_CREDENTIAL_UNAVAILABLE',
        `no credential for ${audience}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      ),
  });
}

const NO_ARGS = digest(null);

/** The call a broker is asked about for a hop made outside any Writ tool call. */
function hopCall(config: Config, audience: string, tool: string): ToolCall {
  return {
    id: config.generateId(),
    name: tool,
    type: 'extension',
    args: null,
    argsDigest: NO_ARGS,
    risk: 'medium',
    permission: tool,
    audience,
    resource: { type: 'Service', id: audience },
  };
}
