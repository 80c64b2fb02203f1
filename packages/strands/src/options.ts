import { type AdapterOptions, parseAdapterOptions } from '@writ/core/adapter';
import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';

/**
 * The framework name the adapter records as `call.framework.name` in decision records (beside
 * `call.framework.ids`: the Strands agent's `agentId` and `sessionId`).
 *
 * @example
 * ```ts
 * const fromStrands = records.filter((r) => r.kind === 'decision' && r.call.framework?.name === FRAMEWORK);
 * ```
 */
export const FRAMEWORK = 'strands';

/**
 * Options of {@link writPlugin}: the adapter kit's {@link AdapterOptions} (instance, per-tool hints,
 * defaults). Keys of `tools` name tools of the agents the plugin governs; they are checked at the start
 * of every invocation against the agent's tool registry: a key naming no tool refuses the invocation
 * with `WRIT_OPTIONS_INVALID`, naming the closest tool, before the model is asked. Strands' tool types
 * keep no literal names, so a hint's `resource` gets `unknown` arguments.
 *
 * @example
 * ```ts
 * const options: WritPluginOptions = {
 *   writ,
 *   tools: {
 *     lookup_order: { permission: 'orders:read', annotations: { readOnly: true } },
 *     refund_order: { permission: 'orders:refund', risk: 'high' },
 *   },
 * };
 * ```
 */
export interface WritPluginOptions extends AdapterOptions {}

/** Validates options once, up front; `WRIT_OPTIONS_INVALID` names the bad key. @internal */
export function parseOptions(options: WritPluginOptions | undefined): AdapterOptions {
  const { writ, tools, defaults, ...rest } = parseAdapterOptions(options, 'writPlugin');
  validateOptions(z.strictObject({}), rest, 'writPlugin');
  return Object.freeze({ writ, tools, defaults });
}
