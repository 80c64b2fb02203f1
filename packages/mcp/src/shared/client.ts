import {
  type Attributes,
  type Context,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { injectContext, type ToolContext, tryGetAttribution, WritError } from '@writ/core';
import {
  ATTR,
  activeContext,
  EXECUTE_TOOL,
  hopCredential,
  RECEIPT_META_KEY,
  recordRemoteCall,
  runInContext,
  TASK_TOKEN_META_KEY,
  TOOL_CONTEXT_KEY,
} from '@writ/core/adapter';
import { validateOptions } from '@writ/core/internal';
import { z } from 'zod';
import { MCP_DEFAULTS } from '../defaults.js';
import { VERSION } from '../version.js';
import { CALL_ID_META_KEY } from './approval-suspend.js';
import { REFUSAL_META_KEY } from './refusal.js';
import { resourceUri, resourceUriProblem } from './resource-uri.js';

/**
 * Options of `instrumentClient`: the server's audience (required unless `taskToken: false`); the rest
 * are optional, see `MCP_DEFAULTS`.
 *
 * @example
 * ```ts
 * import { trace } from '@opentelemetry/api';
 *
 * const options: InstrumentClientOptions = {
 *   audience: 'https://orders.example.com/mcp', // the URL the client connects to
 *   tracer: trace.getTracer('support-bot'),
 * };
 * instrumentClient(client, options);
 * ```
 */
export interface InstrumentClientOptions {
  /**
   * The server's audience: its resource URI (RFC 8707, as the MCP authorization specification names
   * it), normally the URL the client connects to (`https://orders.example.com/mcp`; canonicalised with
   * `resourceUri`). Each call carries a credential issued for this audience only, so no other server can
   * use what this one is sent. Required unless `taskToken: false`: Writ does not guess it from the
   * transport.
   */
  audience?: string | URL | undefined;
  /**
   * Send a credential in `params._meta["io.writ/txn-token"]`: one minted or exchanged for `audience` by
   * the task's credential broker (inside a Writ tool whose credential is already for that audience,
   * that credential), never the task token. Nothing is sent outside a task.
   * @default MCP_DEFAULTS.taskToken (true)
   */
  taskToken?: boolean | undefined;
  /** Tracer for the CLIENT spans. @default trace.getTracer(MCP_DEFAULTS.tracerName, VERSION) at each call */
  tracer?: Tracer | undefined;
}

/** The call parameters both SDK generations' `callTool` take first. @internal */
interface CallParams {
  name: string;
  _meta?: Record<string, unknown> | undefined;
}

/** Any MCP client: `callTool(params, ...)` resolving to a tool result. @internal */
export interface CallToolClient {
  callTool: (...args: never[]) => Promise<unknown>;
}

const optionsSchema = z.strictObject({
  audience: z
    .custom<string | URL>((v) => resourceUriProblem(v) === undefined, {
      error: (issue) => `${String(issue.input)} ${resourceUriProblem(issue.input)}`,
    })
    .optional(),
  taskToken: z.boolean().optional(),
  tracer: z
    .custom<Tracer>((v) => typeof v === 'object' && v !== null && 'startSpan' in v, {
      message: 'must be an OpenTelemetry Tracer',
    })
    .optional(),
});

const instrumented = new WeakSet<object>();

/**
 * `instrumentClient` of both SDK generations: wraps `client.callTool`, whatever follows `params` in its
 * signature, with a CLIENT span and `_meta` carrying trace context and the caller's credential.
 * @internal
 */
export function instrumentCallTool<C extends CallToolClient>(
  client: C,
  options?: InstrumentClientOptions,
): C {
  const parsed = validateOptions(optionsSchema, options, 'instrumentClient');
  if (typeof client !== 'object' || client === null || typeof client.callTool !== 'function') {
    throw new WritError('WRIT_OPTIONS_INVALID', 'instrumentClient: expected an MCP Client (with callTool)');
  }
  if (instrumented.has(client)) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'instrumentClient: this Client is already instrumented');
  }
  const sendToken = parsed.taskToken ?? MCP_DEFAULTS.taskToken;
  if (sendToken && parsed.audience === undefined) {
    throw new WritError(
      'WRIT_OPTIONS_INVALID',
      "instrumentClient: options.audience: required: the server's resource URI (RFC 8707), e.g. new URL('https://orders.example.com/mcp'), the URL you connect to (or taskToken: false)",
    );
  }
  const audience = parsed.audience === undefined ? undefined : resourceUri(parsed.audience);
  const original = client.callTool as unknown as (params: CallParams, ...rest: unknown[]) => Promise<unknown>;
  const callTool = async (params: CallParams, ...rest: unknown[]): Promise<unknown> => {
    const parent = activeContext();
    const attributes: Attributes = {
      'mcp.method.name': 'tools/call',
      [ATTR.GEN_AI_OPERATION_NAME]: EXECUTE_TOOL,
      [ATTR.GEN_AI_TOOL_NAME]: params.name,
    };
    const sessionId = (client as { transport?: { sessionId?: unknown } }).transport?.sessionId;
    if (typeof sessionId === 'string') attributes['mcp.session.id'] = sessionId;
    const attribution = tryGetAttribution(parent);
    if (attribution !== undefined) {
      attributes[ATTR.WRIT_TASK_ID] = attribution.taskId;
      attributes[ATTR.WRIT_CORRELATION_ID] = attribution.correlationId;
    }
    const span = (parsed.tracer ?? trace.getTracer(MCP_DEFAULTS.tracerName, VERSION)).startSpan(
      `tools/call ${params.name}`,
      { kind: SpanKind.CLIENT, attributes },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    const carrier: Record<string, unknown> = {};
    injectContext(carrier, { context: ctx, format: 'mcp' });
    const meta: Record<string, unknown> = { ...params._meta, ...carrier };
    // the Writ tool call this call is made from names it: a server in suspend mode tells two calls
    // with the same arguments apart by it, and knows the caller's retry of one call
    const from = parent.getValue(TOOL_CONTEXT_KEY) as ToolContext | undefined;
    if (from !== undefined && meta[CALL_ID_META_KEY] === undefined) meta[CALL_ID_META_KEY] = from.call.id;
    try {
      if (sendToken && audience !== undefined) {
        // the credential is Writ's to set: never one the caller left in _meta (a task token, say)
        delete meta[TASK_TOKEN_META_KEY];
        // a credential for this server's audience only: never the task token
        const credential = await runInContext(ctx, () => hopCredential(audience, { tool: params.name }));
        if (credential !== undefined) {
          meta[TASK_TOKEN_META_KEY] = credential.token;
          span.setAttribute(ATTR.WRIT_CREDENTIAL_JTI, credential.jti);
        }
      }
      const request = { ...params, _meta: meta };
      const result = await runInContext(ctx, () => original.call(client, request, ...rest));
      if ((result as { isError?: unknown }).isError === true) {
        span.setAttribute(ATTR.ERROR_TYPE, 'tool_error');
        span.setStatus({ code: SpanStatusCode.ERROR, message: toolErrorText(result) });
      }
      recordAnswer(parent, params.name, audience, result);
      return result;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      const code = (error as { code?: unknown }).code;
      span.recordException(failure);
      span.setAttribute(
        ATTR.ERROR_TYPE,
        typeof code === 'number' || typeof code === 'string' ? String(code) : failure.name,
      );
      span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
      throw error;
    } finally {
      span.end();
    }
  };
  client.callTool = callTool as C['callTool'];
  instrumented.add(client);
  return client;
}

/**
 * What the server said about its own records (its decision receipt, its refusal code), recorded in the
 * outcome of the Writ tool call this call is made from: as the server's claims, never as this side's
 * decision.
 */
function recordAnswer(parent: Context, tool: string, audience: string | undefined, result: unknown): void {
  const meta = (result as { _meta?: unknown } | null)?._meta;
  if (typeof meta !== 'object' || meta === null) return;
  const receipt = (meta as Record<string, unknown>)[RECEIPT_META_KEY];
  const refused = (meta as Record<string, unknown>)[REFUSAL_META_KEY];
  if (receipt === undefined && refused === undefined) return;
  const message = (result as { isError?: unknown }).isError === true ? toolErrorText(result) : undefined;
  const refusal =
    typeof refused === 'object' && refused !== null && message !== undefined
      ? { ...refused, message }
      : refused;
  recordRemoteCall(
    {
      via: 'mcp',
      by: audience ?? 'an MCP server (no audience given)',
      tool,
      ...(receipt === undefined ? {} : { receipt }),
      ...(refusal === undefined ? {} : { refusal }),
    },
    parent,
  );
}

function toolErrorText(result: unknown): string | undefined {
  const content = (result as { content?: unknown }).content;
  if (!Array.isArray(content)) return undefined;
  const first = content.find(
    (c): c is { type: 'text'; text: string } =>
      typeof c === 'object' && c !== null && c.type === 'text' && typeof c.text === 'string',
  );
  return first?.text.slice(0, 1000);
}
