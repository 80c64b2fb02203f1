import { WritError } from '@writ/core';
import type { ElicitingServer } from './approval-flow.js';
import type { UrlElicitation } from './approval-suspend.js';
import type { McpCall } from './mcp-call.js';
import type { McpAnnotationsLike } from './tool-hints.js';

/** The part of a registered tool the flow reads. @internal */
export interface McpToolLike {
  description?: string | undefined;
  annotations?: McpAnnotationsLike | undefined;
}

/** A tool handler as the SDK calls it. @internal */
export type Handler = (...params: unknown[]) => unknown;

/**
 * The SDK-specific part of `instrumentServer`: where an `McpServer` keeps its tools, which property of
 * a registered tool the SDK calls on each `tools/call`, and what that call's arguments mean.
 * @internal
 */
export interface ServerGlue<S, T extends McpToolLike, Extra, Auth> {
  /** The server's tool registry, or `WRIT_OPTIONS_INVALID` naming what is missing. */
  registry(server: S): { _registeredTools: Record<string, T> };
  /** The low-level server that sends elicitations. */
  elicitor(server: S): ElicitingServer;
  /** The property the SDK calls on each `tools/call` (`handler` in 1.x, `executor` in 2.x). */
  readonly property: string;
  /** Throws `WRIT_OPTIONS_INVALID` when a tool (or a handler assigned later) cannot be wrapped. */
  check(name: string, tool: T, handler: unknown): void;
  /** The call's arguments and request context, from the parameters the SDK called `property` with. */
  split(tool: T, params: unknown[]): { args: unknown; extra: Extra };
  /** What the flow needs to know about the request. */
  call(extra: Extra): McpCall<Auth>;
  /**
   * The SDK's own `UrlElicitationRequiredError` (JSON-RPC -32042), which its `McpServer` passes to the
   * client as the error of the `tools/call` (any other throw becomes a tool error result).
   */
  urlElicitationRequired(elicitations: UrlElicitation[], message: string): Error;
}

/**
 * What `instrumentServer` relies on beyond the SDK's public API, in both generations: `McpServer` keeps
 * its tools in the `_registeredTools` record. Checked loudly; `message` says what was expected.
 * @internal
 */
export function registryOf<T>(server: unknown, message: string): { _registeredTools: Record<string, T> } {
  const registry = (server as { _registeredTools?: unknown } | null)?._registeredTools;
  if (typeof server !== 'object' || server === null || typeof registry !== 'object' || registry === null) {
    throw new WritError('WRIT_OPTIONS_INVALID', message);
  }
  return server as { _registeredTools: Record<string, T> };
}
