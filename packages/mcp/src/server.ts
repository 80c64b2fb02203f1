import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  type ServerNotification,
  type ServerRequest,
  UrlElicitationRequiredError,
} from '@modelcontextprotocol/sdk/types.js';
import { WritError } from '@writ/core';
import type { ElicitingServer } from './shared/approval-flow.js';
import { instrumentToolServer } from './shared/instrument-server.js';
import type {
  InstrumentServerOptionsOf,
  TaskTokenVerificationOf,
  TaskTokenVerifierOf,
} from './shared/options.js';
import type { ServerGlue } from './shared/server-glue.js';
import { isTaskHandler, toolRegistry } from './v1-tool-registry.js';

/**
 * The `extra` argument MCP server tool handlers receive (SDK 1.x).
 *
 * @example
 * ```ts
 * const sessionOf = (extra: McpRequestExtra) => extra.sessionId ?? 'stdio';
 * ```
 */
export type McpRequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * What a {@link TaskTokenVerifier} is told about the call the token came with (SDK 1.x `AuthInfo`).
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 *
 * const verify: TaskTokenVerifier = (token, { audience, tool, source }) => {
 *   log.debug({ tool, source }, 'verifying the caller’s credential');
 *   return verifyTaskToken(token, { issuer, audience, jwks });
 * };
 * ```
 */
export type TaskTokenVerification = TaskTokenVerificationOf<AuthInfo>;

/**
 * Verifies a caller's credential and returns what it says (the shape of `@writ/identity`'s
 * `VerifiedTaskToken`), for this server's audience only. Throw to refuse: the error's code and message
 * reach the client.
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 * const verify: TaskTokenVerifier = (token, { audience }) =>
 *   verifyTaskToken(token, { issuer: 'spiffe://support.example', audience, jwks, isRevoked });
 * ```
 */
export type TaskTokenVerifier = TaskTokenVerifierOf<AuthInfo>;

/**
 * Options of {@link instrumentServer}: the options every Writ adapter takes (`writ`, `tools`, `defaults`)
 * plus who the server is and how it checks its callers.
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 *
 * const options: InstrumentServerOptions = {
 *   writ,
 *   agent: 'orders-mcp',
 *   audience: 'https://orders.example.com/mcp', // the URL clients connect to
 *   verifyTaskToken: (token, { audience }) => verifyTaskToken(token, { issuer, audience, jwks }),
 *   tools: { refund_order: { risk: 'high', permission: 'orders:refund' } },
 * };
 * ```
 */
export type InstrumentServerOptions = InstrumentServerOptionsOf<AuthInfo>;

/** SDK 1.x: tools are `_registeredTools` entries whose `handler(args, extra)` (or `handler(extra)`) runs. */
const glue: ServerGlue<McpServer, RegisteredTool, McpRequestExtra, AuthInfo> = {
  registry: toolRegistry,
  elicitor: (server) => server.server as unknown as ElicitingServer,
  property: 'handler',
  check(name, tool, handler) {
    if (!('handler' in tool)) {
      // SDK < 1.24 kept the callback under another name
      throw new WritError(
        'WRIT_OPTIONS_INVALID',
        `instrumentServer: tool ${name} has no handler; @writ/mcp needs @modelcontextprotocol/sdk 1.24 or later (1.x)`,
      );
    }
    if (isTaskHandler(handler)) {
      throw new WritError(
        'WRIT_OPTIONS_INVALID',
        `instrumentServer: tool ${name} is a task tool (experimental registerToolTask), which @writ/mcp does not support; register it with registerTool`,
      );
    }
  },
  split(tool, params) {
    // the SDK calls handler(args, extra) for tools with an input schema, handler(extra) otherwise
    const hasInput = tool.inputSchema !== undefined;
    return {
      args: hasInput ? params[0] : {},
      extra: (hasInput ? params[1] : params[0]) as McpRequestExtra,
    };
  },
  call: (extra) => ({
    meta: (extra._meta ?? {}) as Record<string, unknown>,
    requestId: extra.requestId,
    sessionId: extra.sessionId,
    signal: extra.signal,
    authInfo: extra.authInfo,
    headers: extra.requestInfo?.headers,
  }),
  urlElicitationRequired: (elicitations, message) => new UrlElicitationRequiredError(elicitations, message),
};

/**
 * Puts every tool of an MCP server (`McpServer` from `@modelcontextprotocol/sdk` 1.x) through Writ:
 * the tools already registered, those registered later (`registerTool`, `tool`) and handlers replaced
 * with `update({ callback })`. For each `tools/call` the server:
 *
 * 1. continues the caller's trace from `params._meta` (`traceparent`, `tracestate`, `baggage`), so its
 *    `execute_tool` span is a child of the client's span;
 * 2. reads the caller's credential (`_meta["io.writ/txn-token"]`, the `Txn-Token` header or the bearer
 *    token of `authInfo`), verifies it with `verifyTaskToken` and refuses it unless it was issued for
 *    this server's `audience` (its resource URI);
 * 3. runs the call in `writ.task({ agent, inbound })`: the records carry the caller's task id, requester
 *    and chain from the verified token (never from baggage), with this server's agent appended;
 * 4. decides it: allowed calls run; denied calls return `{ isError: true }` with the refusal text; calls
 *    needing approval ask the human at the client through elicitation, showing the complete arguments
 *    and the binding hash, and run only if approved (recorded `claimed`, or `verified` with an approver
 *    token checked by `verifyApprover`).
 *
 * Calls without a token are refused (`requireTaskToken: false` runs them as the server agent's own
 * autonomous task); a token that fails verification is always refused. The tool never runs on a refusal.
 * For the 2.x SDK (`@modelcontextprotocol/server`) import from `@writ/mcp/v2`.
 *
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { verifyTaskToken } from '@writ/identity';
 * import { instrumentServer } from '@writ/mcp';
 * import { z } from 'zod';
 *
 * const server = new McpServer({ name: 'orders', version: '1.0.0' });
 * instrumentServer(server, {
 *   writ,
 *   agent: 'orders-mcp',
 *   audience: 'https://orders.example.com/mcp', // the URL clients connect to
 *   verifyTaskToken: (token, { audience }) => verifyTaskToken(token, { issuer, audience, jwks }),
 *   tools: { refund_order: { risk: 'high', permission: 'orders:refund' } },
 * });
 * server.registerTool('refund_order', { inputSchema: { orderId: z.string() } }, async ({ orderId }) => refund(orderId));
 * ```
 */
export function instrumentServer<S extends McpServer>(server: S, options: InstrumentServerOptions): S {
  return instrumentToolServer<S, RegisteredTool, McpRequestExtra, AuthInfo>(
    server,
    options,
    glue as unknown as ServerGlue<S, RegisteredTool, McpRequestExtra, AuthInfo>,
  );
}
