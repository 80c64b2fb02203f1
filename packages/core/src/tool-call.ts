/**
 * How risky a tool is; policies key off it (the default policy set asks a human for `high`).
 *
 * @example
 * ```ts
 * const risk: Risk = 'high';
 * const refund = writ.tool({ name: 'refund_order', input: refundInput, risk, execute: (args, ctx) => payments.refund(args, ctx.credential?.token) });
 * ```
 */
export type Risk = 'low' | 'medium' | 'high';

/**
 * What kind of tool (OpenTelemetry `gen_ai.tool.type`).
 *
 * @example
 * ```ts
 * const type: ToolType = 'datastore';
 * const search = writ.tool({ name: 'search_tickets', input: searchInput, type, risk: 'low', execute: ({ query }) => tickets.search(query) });
 * ```
 */
export type ToolType = 'function' | 'extension' | 'datastore';

/**
 * The thing a call acts on, in AuthZEN shape.
 *
 * @example
 * ```ts
 * const resource: Resource = { type: 'Order', id: '42', properties: { classification: 'confidential' } };
 * ```
 */
export interface Resource {
  readonly type: string;
  readonly id: string;
  readonly properties?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * One invocation of a tool, as the pipeline sees it after input validation.
 *
 * @example
 * ```ts
 * // built by the pipeline; middleware reads it:
 * const audit: WritMiddleware = { name: 'log', wrapExecute: async (state, next) => { console.log(state.call.name, state.call.id); return next(); } };
 * ```
 */
export interface ToolCall<Args = unknown> {
  /** Call id: the framework's tool call id when it has one, otherwise generated. */
  readonly id: string;
  readonly name: string;
  readonly description?: string | undefined;
  readonly type: ToolType;
  /** Validated (parsed) arguments. Never recorded unless capture is opted in. */
  readonly args: Args;
  /** `sha256:<hex>` of the RFC 8785 canonical JSON of `args`. */
  readonly argsDigest: string;
  readonly risk: Risk;
  /** Scope item the call needs (defaults to the tool name). */
  readonly permission: string;
  /** Audience of the downstream service the tool calls, when it needs its own credential. */
  readonly audience?: string | undefined;
  readonly resource: Resource;
  /** Data classification of what the tool touches (`public`, `internal`, `confidential`, `restricted`, …). */
  readonly dataClassification?: string | undefined;
}
