import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registryOf } from './shared/server-glue.js';

/**
 * The tool registry of an SDK 1.x `McpServer` (`_registeredTools`; since 1.24 the SDK calls
 * `tool.handler` afresh on every `tools/call`), or `WRIT_OPTIONS_INVALID` naming what is missing.
 * @internal
 */
export function toolRegistry(server: McpServer): { _registeredTools: Record<string, RegisteredTool> } {
  // 2.x's McpServer has the same registry but calls `executor`, not `handler`; it dropped `tool()`
  const v1 = typeof (server as { tool?: unknown } | null)?.tool === 'function';
  return registryOf<RegisteredTool>(
    v1 ? server : null,
    'instrumentServer: expected an McpServer from @modelcontextprotocol/sdk 1.x (its tool registry was not found); @writ/mcp supports the 1.x SDK only (for @modelcontextprotocol/server 2.x, import from @writ/mcp/v2)',
  );
}

/** Whether a registered handler is an experimental task handler (`registerToolTask`). @internal */
export function isTaskHandler(handler: unknown): boolean {
  return typeof handler === 'object' && handler !== null && 'createTask' in handler;
}
