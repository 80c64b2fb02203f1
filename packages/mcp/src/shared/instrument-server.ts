import { WritError } from '@writ/core';
import { type InstrumentServerOptionsOf, parseServerOptions } from './options.js';
import type { McpToolLike, ServerGlue } from './server-glue.js';
import { ToolServer } from './tool-server.js';

const instrumented = new WeakSet<object>();

/**
 * `instrumentServer` of both SDK generations: validates the options, wraps the tools already
 * registered (all or nothing) and, through a proxy on the registry, every tool registered or renamed
 * later.
 * @internal
 */
export function instrumentToolServer<S, T extends McpToolLike, Extra, Auth>(
  server: S,
  options: InstrumentServerOptionsOf<Auth>,
  glue: ServerGlue<S, T, Extra, Auth>,
): S {
  const settings = parseServerOptions(options);
  if (typeof server !== 'object' || server === null) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'instrumentServer: expected an McpServer');
  }
  if (instrumented.has(server)) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'instrumentServer: this McpServer is already instrumented');
  }
  const registry = glue.registry(server);
  // hints may name tools registered after this call: they are checked against the registered tools
  // whenever the set of tools may have changed (a hint naming none of them refuses the call, recorded)
  let changes = 0;
  let tools: Record<string, T> | undefined;
  const adapter = new ToolServer(settings, glue, glue.elicitor(server), {
    names: () => Object.keys(registry._registeredTools),
    // every write and delete through the proxy below counts; a registry that is not the proxy (replaced
    // after this call) has no count, and its names are checked at every call
    version: () => (registry._registeredTools === tools ? changes : undefined),
  });
  const existing = Object.entries(registry._registeredTools);
  for (const [name, tool] of existing) adapter.check(name, tool); // all or nothing
  for (const [name, tool] of existing) adapter.wrap(name, tool);
  // every later registration, removal (`remove()`, `update({ name: null })`) and rename through
  // `update({ name })` writes into or deletes from this record
  tools = new Proxy(registry._registeredTools, {
    set(target, key, value: unknown) {
      changes++;
      if (typeof key === 'string' && typeof value === 'object' && value !== null) {
        adapter.wrap(key, value as T);
      }
      (target as Record<string | symbol, unknown>)[key] = value;
      return true;
    },
    deleteProperty(target, key) {
      changes++;
      return Reflect.deleteProperty(target, key);
    },
    defineProperty(target, key, descriptor) {
      changes++;
      return Reflect.defineProperty(target, key, descriptor);
    },
  });
  registry._registeredTools = tools;
  instrumented.add(server);
  return server;
}
