/**
 * `@writ/mcp/v2`: Writ for the Model Context Protocol TypeScript SDK 2.x (`@modelcontextprotocol/server`,
 * `@modelcontextprotocol/client`). The same behaviour and options as `@writ/mcp` (SDK 1.x): servers decide
 * and record every tool call under the caller's verified task token; clients carry trace context and
 * the task token in `params._meta`.
 * @packageDocumentation
 * @module @writ/mcp/v2
 */
export * from '../shared/public.js';
export { instrumentClient, type McpClientLike } from './client.js';
export {
  type InstrumentServerOptions,
  instrumentServer,
  type TaskTokenVerification,
  type TaskTokenVerifier,
} from './server.js';
