import { type AdapterOptions, parseAdapterOptions } from '@writ/core/adapter';
import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';

/**
 * The framework name the adapter records as `call.framework.name` in decision records (the model's
 * call id, Genkit's tool request `ref`, is the record's `call.id`).
 *
 * @example
 * ```ts
 * const fromGenkit = records.filter((r) => r.kind === 'decision' && r.call.framework?.name === FRAMEWORK);
 * ```
 */
export const FRAMEWORK = 'genkit';

/**
 * Options of {@link writMiddleware}: the adapter kit's {@link AdapterOptions} (instance, per-tool hints,
 * defaults). Keys of `tools` name tools of the `generate` call the middleware governs; they are checked
 * at the start of every `generate` call against the request's tools: a key naming no tool refuses the
 * call with `WRIT_OPTIONS_INVALID`, naming the closest tool, before the model is asked. Genkit's tool
 * actions keep no literal names, so a hint's `resource` gets `unknown` arguments.
 *
 * @example
 * ```ts
 * const options: WritMiddlewareOptions = {
 *   writ,
 *   tools: {
 *     lookup_order: { permission: 'orders:read', annotations: { readOnly: true } },
 *     refund_order: { permission: 'orders:refund', risk: 'high' },
 *   },
 * };
 * ```
 */
export interface WritMiddlewareOptions extends AdapterOptions {}

/** Validates options once, up front; `WRIT_OPTIONS_INVALID` names the bad key. @internal */
export function parseOptions(options: WritMiddlewareOptions | undefined): AdapterOptions {
  const { writ, tools, defaults, ...rest } = parseAdapterOptions(options, 'writMiddleware');
  validateOptions(z.strictObject({}), rest, 'writMiddleware');
  return Object.freeze({ writ, tools, defaults });
}
