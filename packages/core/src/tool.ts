import type { Span } from '@opentelemetry/api';
import type { AuditReceipt } from './interfaces.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import type { Resource, Risk, ToolType } from './tool-call.js';
import type { ToolContext } from './tool-context.js';

/**
 * Behaviour hints, as in MCP tool annotations. Defaults follow MCP: a tool is assumed to write
 * (`readOnly: false`) and, unless read-only, to be destructive.
 *
 * @example
 * ```ts
 * const annotations: ToolAnnotations = { readOnly: true, openWorld: false };
 * const lookup = writ.tool({ name: 'lookup_order', input, annotations, execute: ({ orderId }) => db.orders.get(orderId) });
 * lookup.annotations; // { readOnly: true, destructive: false, idempotent: false, openWorld: false }
 * ```
 */
export interface ToolAnnotations {
  /** @default false */
  readOnly?: boolean;
  /** @default !readOnly */
  destructive?: boolean;
  /** @default false */
  idempotent?: boolean;
  /** Whether the tool reaches an open world (web, email) rather than a closed system. @default true */
  openWorld?: boolean;
}

/**
 * Description of a tool, shared by `writ.tool`, `withAttribution` and `@attributed`.
 *
 * @example
 * ```ts
 * const refundOrder: ToolDescription = {
 *   name: 'refund_order',
 *   description: 'Refund an order, in full or in part',
 *   risk: 'high',
 *   audience: 'https://payments.example.com',
 *   permission: 'orders:refund',
 *   dataClassification: 'confidential',
 * };
 * const adapterOptions: AdapterOptions = { tools: { [refundOrder.name]: refundOrder } };
 * ```
 */
export interface ToolDescription<S extends StandardSchemaV1 = StandardSchemaV1> {
  /** Tool name: `[A-Za-z0-9_.-]`, 1–128 characters. */
  name: string;
  description?: string;
  /** Schema of the arguments (zod or any Standard Schema). Arguments are validated before anything else. */
  input?: S;
  /** The resource a call acts on. @default { type: 'Tool', id: name } */
  resource?: (args: StandardSchemaV1.InferOutput<S>) => Resource;
  /** @default 'medium' */
  risk?: Risk;
  /** Audience of the downstream service; the call then gets its own audience-bound credential. */
  audience?: string;
  /** Scope item the call needs. @default name */
  permission?: string;
  /** @default 'function' */
  type?: ToolType;
  annotations?: ToolAnnotations;
  /** Data classification of what the call touches. */
  dataClassification?: string | ((args: StandardSchemaV1.InferOutput<S>) => string | undefined);
}

/**
 * Options of `writ.tool`.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 *
 * const input = z.object({ orderId: z.string() });
 * const options: ToolOptions<typeof input, Promise<Order>> = {
 *   name: 'lookup_order',
 *   input,
 *   risk: 'low',
 *   annotations: { readOnly: true },
 *   resource: ({ orderId }) => ({ type: 'Order', id: orderId }),
 *   execute: async ({ orderId }) => db.orders.get(orderId),
 * };
 * const lookup = createWrit({ policy, audit }).tool(options);
 * ```
 */
export interface ToolOptions<S extends StandardSchemaV1, R> extends ToolDescription<S> {
  input: S;
  /** The tool itself; runs only once the pipeline has allowed and recorded the call. */
  execute: (args: StandardSchemaV1.InferOutput<S>, ctx: ToolContext) => R;
}

/**
 * Per-call options (used by framework adapters).
 *
 * @example
 * ```ts
 * const options: ExecuteOptions = { toolCallId: toolCall.id, signal: abortController.signal, span: frameworkSpan };
 * await lookup.execute({ orderId: '42' }, options);
 * ```
 */
export interface ExecuteOptions {
  /** The framework's tool call id. @default generated */
  toolCallId?: string;
  /** Abort the call. @default the task's signal */
  signal?: AbortSignal;
  /** A span to enrich instead of starting Writ's own `execute_tool` span (e.g. the framework's). */
  span?: Span;
  /**
   * Called with the receipt of the call's decision record (`{ log, index, leafHash }`) once the sink
   * appended it: before the tool runs when the call is allowed, or when it is refused. A callee returns
   * it to its caller (`calleeHeaders`, MCP `_meta["io.writ/receipt"]`). Under `durability: 'strict'` the
   * record is durable when this is called; under `batched` and `async` it is in the log (index and leaf
   * hash assigned) and may not be durable yet. A throw here is reported (`onError`), never the call's.
   */
  onReceipt?: (receipt: AuditReceipt) => void;
}

/**
 * A tool whose every call passes through the Writ pipeline.
 *
 * @example
 * ```ts
 * const lookup = writ.tool({ name: 'lookup_order', input: z.object({ orderId: z.string() }), risk: 'low', execute: async ({ orderId }) => db.orders.get(orderId) });
 * const order = await lookup.execute({ orderId: '42' });
 * ```
 */
export interface WritTool<S extends StandardSchemaV1 = StandardSchemaV1, R = unknown> {
  readonly name: string;
  readonly description: string | undefined;
  readonly input: S;
  readonly risk: Risk;
  readonly audience: string | undefined;
  readonly permission: string;
  readonly type: ToolType;
  readonly annotations: Readonly<Required<ToolAnnotations>>;
  /** Runs the call through the pipeline. Refusals reject with a `WritError`; tool errors are rethrown as-is. */
  execute(args: StandardSchemaV1.InferInput<S>, options?: ExecuteOptions): Promise<Awaited<R>>;
}
