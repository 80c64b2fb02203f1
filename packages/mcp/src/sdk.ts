import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WritError } from '@writ/core';

/**
 * What `instrumentServer` relies on beyond the SDK's public API: `McpServer` 1.x keeps its tools in the
 * `_registeredTools` record and (since 1.24) calls `tool.handler` afresh on every `tools/call`.
 * Checked loudly, at instrumentation and at each registration.
 * @internal
 */
interface McpServerInternals {
  _registeredTools: Record<string, RegisteredTool>;
}

/**
 * The tool registry of an SDK 1.x `McpServer`, or `WRIT_OPTIONS_INVALID` naming what is missing.
 * @internal
 */
export function toolRegistry(server: McpServer): McpServerInternals {
  const internals = server as unknown as Partial<McpServerInternals> | null;
  const registry = internals?._registeredTools;
  if (
    typeof internals !== 'object' ||
    internals === null ||
    typeof registry !== 'object' ||
    registry === null
  ) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      'instrumentServer: expected an McpServer from @modelcontextprotocol/sdk 1.x (its tool registry was not found); @writ/mcp supports the 1.x SDK only',
    );
  }
  return internals as McpServerInternals;
}

/** Whether a registered handler is an experimental task handler (`registerToolTask`). @internal */
export function isTaskHandler(handler: unknown): boolean {
  return typeof handler === 'object' && handler !== null && 'createTask' in handler;
}
