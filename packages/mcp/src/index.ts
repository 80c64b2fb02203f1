/**
 * `@writ/mcp`: Writ for the Model Context Protocol (`@modelcontextprotocol/sdk` 1.x). Servers decide and
 * record every tool call under the caller's verified task token; clients carry trace context and the
 * task token in `params._meta`. For the 2.x SDK packages, import from `@writ/mcp/v2`.
 * @packageDocumentation
 * @module @writ/mcp
 */
export { instrumentClient, type McpClientLike } from './client.js';
export {
  type InstrumentServerOptions,
  instrumentServer,
  type McpRequestExtra,
  type TaskTokenVerification,
  type TaskTokenVerifier,
} from './server.js';
export * from './shared/public.js';
