import type { ToolAnnotations } from '@writ/core';
import type { AdapterToolHints } from '@writ/core/adapter';

/** MCP tool annotations (the same in every SDK generation). @internal */
export interface McpAnnotationsLike {
  readOnlyHint?: boolean | undefined;
  destructiveHint?: boolean | undefined;
  idempotentHint?: boolean | undefined;
  openWorldHint?: boolean | undefined;
}

/**
 * A tool's Writ hints from its MCP annotations: the tool's own Writ hints (the `tools` option) win over
 * the annotations, which win over `defaults`. Only boolean annotations count. @internal
 */
export function hintsFor(
  mcp: McpAnnotationsLike | undefined,
  own: AdapterToolHints | undefined,
  defaults: AdapterToolHints | undefined,
): AdapterToolHints {
  const fromMcp: ToolAnnotations = {};
  if (typeof mcp?.readOnlyHint === 'boolean') fromMcp.readOnly = mcp.readOnlyHint;
  if (typeof mcp?.destructiveHint === 'boolean') fromMcp.destructive = mcp.destructiveHint;
  if (typeof mcp?.idempotentHint === 'boolean') fromMcp.idempotent = mcp.idempotentHint;
  if (typeof mcp?.openWorldHint === 'boolean') fromMcp.openWorld = mcp.openWorldHint;
  const annotations: ToolAnnotations = { ...defaults?.annotations, ...fromMcp, ...own?.annotations };
  return Object.keys(annotations).length === 0 ? { ...own } : { ...own, annotations };
}
