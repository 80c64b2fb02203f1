import {
  type AuthInfo,
  type McpServer,
  type RegisteredTool,
  type ServerContext,
  UrlElicitationRequiredError,
} from '@modelcontextprotocol/server';
import { WritError } from '@writ/core';
import type { ElicitingServer } from '../shared/approval-flow.js';
import { instrumentToolServer } from '../shared/instrument-server.js';
import type {
  InstrumentServerOptionsOf,
  TaskTokenVerificationOf,
  TaskTokenVerifierOf,
} from '../shared/options.js';
import { registryOf, type ServerGlue } from '../shared/server-glue.js';

/**
 * What a {@link TaskTokenVerifier} is told about the call the token came with (`authInfo` is the 2.x
 * SDK's `ctx.http.authInfo`).
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 *
 * const verify: TaskTokenVerifier = (token, { audience, tool }) => {
 *   log.debug({ tool }, 'verifying the caller’s credential');
 *   return verifyTaskToken(token, { issuer, audience, jwks });
 * };
 * ```
 */
export type TaskTokenVerification = TaskTokenVerificationOf<AuthInfo>;

/**
 * Verifies a caller's credential for this server's audience (for SDK 2.x servers); throw to refuse.
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 * const verify: TaskTokenVerifier = (token, { audience }) => verifyTaskToken(token, { issuer, audience, jwks });
 * ```
 */
export type TaskTokenVerifier = TaskTokenVerifierOf<AuthInfo>;

/**
 * Options of {@link instrumentServer} (SDK 2.x): the same as `@writ/mcp`'s.
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

const NOT_V2 =
  'instrumentServer: expected an McpServer from @modelcontextprotocol/server 2.x (@writ/mcp/v2); for @modelcontextprotocol/sdk 1.x, import from @writ/mcp';

/** SDK 2.x: tools are `_registeredTools` entries whose `executor(args, ctx)` the SDK runs on each call. */
const glue: ServerGlue<McpServer, RegisteredTool, ServerContext, AuthInfo> = {
  registry(server) {
    // 1.x's McpServer has the same registry but still has the deprecated `tool()`; 2.x removed it
    if (typeof (server as { tool?: unknown } | null)?.tool === 'function') {
      throw new WritError('WRIT_OPTIONS_INVALID', NOT_V2);
    }
    return registryOf<RegisteredTool>(server, `${NOT_V2} (its tool registry was not found)`);
  },
  elicitor: (server) => server.server as unknown as ElicitingServer,
  property: 'executor',
  check(name, _tool, executor) {
    if (typeof executor !== 'function') {
      throw new WritError(
        'WRIT_OPTIONS_INVALID',
        `instrumentServer: tool ${name} has no executor; @writ/mcp/v2 needs @modelcontextprotocol/server 2.x`,
      );
    }
  },
  split: (tool, [args, ctx]) => ({
    // the SDK passes undefined arguments to tools without an input schema
    args: tool.inputSchema === undefined ? {} : args,
    extra: ctx as ServerContext,
  }),
  call: (ctx) => ({
    meta: (ctx.mcpReq._meta ?? {}) as Record<string, unknown>,
    requestId: ctx.mcpReq.id,
    sessionId: ctx.sessionId,
    signal: ctx.mcpReq.signal,
    authInfo: ctx.http?.authInfo,
    headers: ctx.http?.req?.headers,
  }),
  urlElicitationRequired: (elicitations, message) => new UrlElicitationRequiredError(elicitations, message),
};

/**
 * Puts every tool of an MCP server (`McpServer` from `@modelcontextprotocol/server` 2.x) through Writ,
 * exactly like `@writ/mcp`'s `instrumentServer` does for SDK 1.x: tools registered before or after it
 * and callbacks replaced or renamed with `update()`; each `tools/call` continues the caller's trace from
 * `params._meta`, verifies the caller's credential for this server's `audience` (`_meta["io.writ/txn-token"]`,
 * the `Txn-Token` header of `ctx.http.req`, or the bearer token of `ctx.http.authInfo`), runs in `writ.task({ agent, inbound })`
 * and is decided: denied calls return `{ isError: true }` with the refusal text, calls needing approval
 * ask the human at the client through elicitation.
 *
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/server';
 * import { verifyTaskToken } from '@writ/identity';
 * import { instrumentServer } from '@writ/mcp/v2';
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
 * server.registerTool('refund_order', { inputSchema: z.object({ orderId: z.string() }) }, async ({ orderId }) =>
 *   refund(orderId),
 * );
 * ```
 */
export function instrumentServer<S extends McpServer>(server: S, options: InstrumentServerOptions): S {
  return instrumentToolServer<S, RegisteredTool, ServerContext, AuthInfo>(
    server,
    options,
    glue as unknown as ServerGlue<S, RegisteredTool, ServerContext, AuthInfo>,
  );
}
