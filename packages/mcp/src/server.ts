import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type {
  CallToolResult,
  ToolAnnotations as McpToolAnnotations,
  ServerNotification,
  ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  type AdaptedTool,
  type AdapterOptions,
  type AdapterToolHints,
  adaptTool,
  extractContext,
  extractTaskToken,
  type FrameworkApproval,
  getGlobalWrit,
  type InboundTask,
  isValidScopeItem,
  parseAdapterOptions,
  refusalMessage,
  runInContext,
  type TaskHandle,
  type ToolAnnotations,
  toWritError,
  uuidv7,
  validateOptions,
  type Writ,
  WritError,
} from '@writ/core';
import { z } from 'zod';
import { DEFAULTS } from './defaults.js';
import { type ApprovalPrompt, elicitApproval, previewArgs } from './elicitation.js';
import { isTaskHandler, toolRegistry } from './sdk.js';

/**
 * The `extra` argument MCP server tool handlers receive (SDK 1.x).
 *
 * @example
 * ```ts
 * const sessionOf = (extra: McpRequestExtra) => extra.sessionId ?? 'stdio';
 * ```
 */
export type McpRequestExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * Where a server may find the caller's task token: `params._meta["io.writ/txn-token"]` (`meta`), the
 * HTTP `Txn-Token` header of a Streamable HTTP request (`header`), or the transport's bearer token
 * (`authInfo`, what the SDK's `requireBearerAuth` middleware or your own auth puts on `req.auth`).
 *
 * @example
 * ```ts
 * // the bearer token of this server's transport is an OAuth token for the server, not a task token
 * const tokenSources: TaskTokenSource[] = ['meta', 'header'];
 * instrumentServer(server, { writ, agent: 'orders-mcp', verifyTaskToken, tokenSources });
 * ```
 */
export type TaskTokenSource = 'meta' | 'header' | 'authInfo';

/**
 * What a {@link TaskTokenVerifier} is told about the call the token came with.
 *
 * @example
 * ```ts
 * const verify: TaskTokenVerifier = (token, { tool, source }) => {
 *   log.debug({ tool, source }, 'verifying the caller’s task token');
 *   return verifyTaskToken(token, { issuer, audience, jwks });
 * };
 * ```
 */
export interface TaskTokenVerification {
  /** The tool being called. */
  readonly tool: string;
  /** Where the token was found. */
  readonly source: TaskTokenSource;
  /** The transport's auth info, when it has any. */
  readonly authInfo: AuthInfo | undefined;
  /** The MCP session id, when the transport has sessions. */
  readonly sessionId: string | undefined;
}

/**
 * Verifies a caller's task token and returns what it says (the shape of `@writ/identity`'s
 * `VerifiedTaskToken`). Throw to refuse: the error's code and message reach the client.
 *
 * @example
 * ```ts
 * import { verifyTaskToken } from '@writ/identity';
 * const verify: TaskTokenVerifier = (token) =>
 *   verifyTaskToken(token, { issuer: 'spiffe://support.example', audience: 'spiffe://support.example', jwks });
 * ```
 */
export type TaskTokenVerifier = (
  token: string,
  context: TaskTokenVerification,
) => InboundTask | Promise<InboundTask>;

/**
 * Options of {@link instrumentServer}: the options every Writ adapter takes (`writ`, `tools`, `defaults`)
 * plus who the server is and how it checks its callers.
 *
 * @example
 * ```ts
 * const options: InstrumentServerOptions = {
 *   writ,
 *   agent: 'orders-mcp',
 *   verifyTaskToken: (token) => verifyTaskToken(token, { issuer, audience, jwks }),
 *   tools: { refund_order: { risk: 'high', permission: 'orders:refund' } },
 * };
 * ```
 */
export interface InstrumentServerOptions extends AdapterOptions {
  /** Name of the server's own agent, appended to the caller's chain (resolved to its workload identity). */
  agent: string;
  /** Verifies the caller's task token; the server's records take the task id, requester and chain from it. */
  verifyTaskToken: TaskTokenVerifier;
  /** Refuse calls without a task token. @default DEFAULTS.requireTaskToken (true) */
  requireTaskToken?: boolean | undefined;
  /** Where to look for the task token, in order. @default DEFAULTS.tokenSources (['meta', 'header', 'authInfo']) */
  tokenSources?: readonly TaskTokenSource[] | undefined;
  /** Narrows the caller's scope on this server (never widens it: `WRIT_SCOPE_EXCEEDED`). @default the token's scope */
  scope?: readonly string[] | undefined;
  /** The text of the approval elicitation. @default `<check.message>. Allow <tool> with <args>?` */
  approvalMessage?: ((prompt: ApprovalPrompt) => string) | undefined;
}

/**
 * `_meta` key of a refused call's result: `{ code }`, the `WritError` code, so clients can tell Writ
 * refusals from tool errors without parsing text.
 *
 * @example
 * ```ts
 * const result = await client.callTool({ name: 'refund_order', arguments: { orderId: '42' } });
 * const refusal = result._meta?.[REFUSAL_META_KEY] as { code: string } | undefined;
 * if (refusal?.code === 'WRIT_APPROVAL_REJECTED') notify('The refund was not approved');
 * ```
 */
export const REFUSAL_META_KEY = 'io.writ/refusal';

const optionalFunction = <T>(message: string) =>
  z.custom<T>((v) => typeof v === 'function', { message }).optional();
const serverSchema = z.strictObject({
  agent: z.string().min(1).max(256),
  verifyTaskToken: z.custom<TaskTokenVerifier>((v) => typeof v === 'function', {
    message:
      'must be a function (token, context) => InboundTask, e.g. wrapping verifyTaskToken from @writ/identity',
  }),
  requireTaskToken: z.boolean().optional(),
  tokenSources: z
    .array(z.enum(['meta', 'header', 'authInfo']))
    .min(1)
    .optional(),
  scope: z
    .array(z.string().refine(isValidScopeItem, { message: 'invalid scope item' }))
    .max(1024)
    .optional(),
  approvalMessage: optionalFunction<(prompt: ApprovalPrompt) => string>(
    'must be a function (prompt) => string',
  ),
});

const instrumented = new WeakSet<object>();

type Handler = (...params: unknown[]) => unknown;

/**
 * Puts every tool of an MCP server (`McpServer` from `@modelcontextprotocol/sdk` 1.x) through Writ:
 * the tools already registered, those registered later (`registerTool`, `tool`) and handlers replaced
 * with `update({ callback })`. For each `tools/call` the server:
 *
 * 1. continues the caller's trace from `params._meta` (`traceparent`, `tracestate`, `baggage`), so its
 *    `execute_tool` span is a child of the client's span;
 * 2. reads the caller's task token (`_meta["io.writ/txn-token"]`, the `Txn-Token` header or the bearer
 *    token of `authInfo`) and verifies it with `verifyTaskToken`;
 * 3. runs the call in `writ.task({ agent, inbound })`: the records carry the caller's task id, requester
 *    and chain from the verified token (never from baggage), with this server's agent appended;
 * 4. decides it: allowed calls run; denied calls return `{ isError: true }` with the refusal text; calls
 *    needing approval ask the human at the client through elicitation and run only if approved.
 *
 * Calls without a token are refused (`requireTaskToken: false` runs them as the server agent's own
 * autonomous task); a token that fails verification is always refused. The tool never runs on a refusal.
 *
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { verifyTaskToken } from '@writ/identity';
 * import { instrumentServer } from '@writ/mcp';
 *
 * const server = new McpServer({ name: 'orders', version: '1.0.0' });
 * instrumentServer(server, {
 *   writ,
 *   agent: 'orders-mcp',
 *   verifyTaskToken: (token) => verifyTaskToken(token, { issuer, audience, jwks }),
 *   tools: { refund_order: { risk: 'high', permission: 'orders:refund' } },
 * });
 * server.registerTool('refund_order', { inputSchema: { orderId: z.string() } }, async ({ orderId }) => refund(orderId));
 * ```
 */
export function instrumentServer<S extends McpServer>(server: S, options: InstrumentServerOptions): S {
  const { writ, tools, defaults, ...rest } = parseAdapterOptions(options, 'instrumentServer');
  const settings = validateOptions(serverSchema, rest, 'instrumentServer');
  if (typeof server !== 'object' || server === null) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'instrumentServer: expected an McpServer');
  }
  if (instrumented.has(server)) {
    throw new WritError('WRIT_OPTIONS_INVALID', 'instrumentServer: this McpServer is already instrumented');
  }
  const registry = toolRegistry(server);
  const adapter = new ServerAdapter(server, {
    writ,
    tools,
    defaults,
    agent: settings.agent,
    verify: settings.verifyTaskToken,
    requireTaskToken: settings.requireTaskToken ?? DEFAULTS.requireTaskToken,
    tokenSources: settings.tokenSources ?? DEFAULTS.tokenSources,
    scope: settings.scope,
    approvalMessage: settings.approvalMessage,
  });
  const existing = Object.entries(registry._registeredTools);
  for (const [name, tool] of existing) adapter.check(name, tool); // all or nothing
  for (const [name, tool] of existing) adapter.wrap(name, tool);
  // every later registration (registerTool, tool, a rename through update) writes into this record
  registry._registeredTools = new Proxy(registry._registeredTools, {
    set(target, key, value: unknown) {
      if (typeof key === 'string' && typeof value === 'object' && value !== null) {
        adapter.wrap(key, value as RegisteredTool);
      }
      (target as Record<string | symbol, unknown>)[key] = value;
      return true;
    },
  });
  instrumented.add(server);
  return server;
}

interface ServerSettings {
  readonly writ: Writ | undefined;
  readonly tools: AdapterOptions['tools'];
  readonly defaults: AdapterToolHints | undefined;
  readonly agent: string;
  readonly verify: TaskTokenVerifier;
  readonly requireTaskToken: boolean;
  readonly tokenSources: readonly TaskTokenSource[];
  readonly scope: readonly string[] | undefined;
  readonly approvalMessage: ((prompt: ApprovalPrompt) => string) | undefined;
}

interface CachedTool {
  readonly name: string;
  readonly description: string | undefined;
  readonly annotations: McpToolAnnotations | undefined;
  readonly adapted: AdaptedTool;
}

/** One in-flight call: what runs once Writ lets it, and whether it started. */
interface PendingCall {
  readonly invoke: () => unknown;
  started: boolean;
}

class ServerAdapter {
  /** Current name of each registered tool (a rename through `update({ name })` changes it). */
  readonly #names = new WeakMap<RegisteredTool, string>();
  readonly #wrapped = new WeakSet<RegisteredTool>();
  readonly #adapted = new WeakMap<RegisteredTool, CachedTool>();
  /** Calls in flight, by the tool call id this adapter generated for them. */
  readonly #pending = new Map<string, PendingCall>();

  constructor(
    readonly server: McpServer,
    readonly settings: ServerSettings,
  ) {}

  /** Checks a tool can be wrapped (SDK shape, not a task tool, valid hints) without changing it. */
  check(name: string, tool: RegisteredTool): void {
    if (!('handler' in tool)) {
      // SDK < 1.24 kept the callback under another name
      throw new WritError(
        'WRIT_OPTIONS_INVALID',
        `instrumentServer: tool ${name} has no handler; @writ/mcp needs @modelcontextprotocol/sdk 1.24 or later (1.x)`,
      );
    }
    if (isTaskHandler(tool.handler)) throw unsupportedTaskTool(name);
    this.adaptedFor(tool, name); // invalid hints fail now, at registration
  }

  wrap(name: string, tool: RegisteredTool): void {
    this.check(name, tool);
    this.#names.set(tool, name);
    if (this.#wrapped.has(tool)) return;
    let current = tool.handler as unknown as Handler;
    const handler: Handler = (...params) => {
      // the SDK calls handler(args, extra) for tools with an input schema, handler(extra) otherwise
      const hasInput = tool.inputSchema !== undefined;
      const args: unknown = hasInput ? params[0] : {};
      const extra = (hasInput ? params[1] : params[0]) as McpRequestExtra;
      const target = current;
      return this.handle(tool, args, extra, () => (hasInput ? target(args, extra) : target(extra)));
    };
    Object.defineProperty(tool, 'handler', {
      configurable: true,
      enumerable: true,
      get: () => handler,
      set: (next: unknown) => {
        if (isTaskHandler(next)) throw unsupportedTaskTool(this.#names.get(tool) ?? name);
        current = next as Handler;
      },
    });
    this.#wrapped.add(tool);
  }

  private adaptedFor(tool: RegisteredTool, name: string = this.#names.get(tool) as string): AdaptedTool {
    const cached = this.#adapted.get(tool);
    if (
      cached !== undefined &&
      cached.name === name &&
      cached.description === tool.description &&
      cached.annotations === tool.annotations
    ) {
      return cached.adapted;
    }
    const { writ, tools, defaults } = this.settings;
    const adapted = adaptTool(
      DEFAULTS.frameworkName,
      { name, description: tool.description },
      (_args, ctx) => {
        const call = this.#pending.get(ctx.call.id);
        if (call === undefined) {
          throw new WritError('WRIT_INTERNAL', `@writ/mcp: no pending MCP call ${ctx.call.id} for ${name}`);
        }
        call.started = true;
        return call.invoke();
      },
      { writ, defaults, tools: { [name]: hintsFor(tool.annotations, tools?.[name], defaults) } },
    );
    this.#adapted.set(tool, { name, description: tool.description, annotations: tool.annotations, adapted });
    return adapted;
  }

  /** The elicitation text: the `approvalMessage` option's, or the default when it has none or throws. */
  private approvalText(prompt: ApprovalPrompt): string {
    const fallback = `${prompt.message}. Allow ${prompt.tool} with ${prompt.argsPreview}?`;
    try {
      const text = this.settings.approvalMessage?.(prompt);
      return typeof text === 'string' && text.length > 0 ? text : fallback;
    } catch {
      return fallback;
    }
  }

  private handle(
    tool: RegisteredTool,
    args: unknown,
    extra: McpRequestExtra,
    invoke: () => unknown,
  ): Promise<unknown> {
    const name = this.#names.get(tool) as string;
    // a server's context is what came over the wire: never the ambient context of whoever delivered
    // the message (in-process transports run the handler inside the client's async context)
    const ctx = extractContext((extra._meta ?? {}) as Record<string, unknown>, { context: ROOT_CONTEXT });
    return runInContext(ctx, () => this.serve(tool, name, args, extra, invoke));
  }

  private async serve(
    tool: RegisteredTool,
    name: string,
    args: unknown,
    extra: McpRequestExtra,
    invoke: () => unknown,
  ): Promise<unknown> {
    const { settings } = this;
    const writ = settings.writ ?? getGlobalWrit();
    if (writ === undefined) {
      return refusalResult(
        new WritError(
          'WRIT_NOT_CONFIGURED',
          `instrumentServer: no Writ instance to run ${name} on (pass options.writ or call setGlobalWrit)`,
        ),
      );
    }
    const found = findTaskToken(extra, settings.tokenSources);
    let inbound: InboundTask | undefined;
    if (found === undefined) {
      if (settings.requireTaskToken) {
        return this.refuse(
          tool,
          writ,
          args,
          extra,
          new WritError(
            'WRIT_TOKEN_INVALID',
            `${name} needs the caller's task token (params._meta["io.writ/txn-token"]) and the request carries none`,
            { details: { token: 'task token', reason: 'missing', tool: name } },
          ),
        );
      }
    } else {
      try {
        inbound = await settings.verify(found.token, {
          tool: name,
          source: found.source,
          authInfo: extra.authInfo,
          sessionId: extra.sessionId,
        });
      } catch (error) {
        return this.refuse(tool, writ, args, extra, toWritError(error, 'WRIT_TOKEN_INVALID'));
      }
    }
    const call: PendingCall = { invoke, started: false };
    try {
      return await writ.task(
        {
          agent: settings.agent,
          signal: extra.signal,
          ...(inbound === undefined ? {} : { inbound }),
          ...(settings.scope === undefined ? {} : { scope: settings.scope }),
        },
        (task) => this.call(tool, name, args, extra, call, task),
      );
    } catch (error) {
      // identity, scope or credential refusals of the task itself (recorded as a refused task-start)
      if (!call.started && WritError.isInstance(error)) return refusalResult(error);
      throw error;
    }
  }

  /**
   * Refuses a call whose caller could not be established (no or bad task token) and records the refusal
   * in the server's own autonomous task: the tool never runs, the evidence stays.
   */
  private async refuse(
    tool: RegisteredTool,
    writ: Writ,
    args: unknown,
    extra: McpRequestExtra,
    refusal: WritError,
  ): Promise<CallToolResult> {
    const frameworkIds: Record<string, string> = { requestId: String(extra.requestId) };
    if (extra.sessionId !== undefined) frameworkIds.sessionId = extra.sessionId;
    const adapted = this.adaptedFor(tool);
    await writ
      .task({ agent: this.settings.agent }, () =>
        adapted.run(args, { toolCallId: uuidv7(), frameworkIds, refusal }),
      )
      .catch(() => undefined);
    return refusalResult(refusal);
  }

  private async call(
    tool: RegisteredTool,
    name: string,
    args: unknown,
    extra: McpRequestExtra,
    call: PendingCall,
    task: TaskHandle,
  ): Promise<unknown> {
    const adapted = this.adaptedFor(tool);
    const toolCallId = uuidv7();
    const frameworkIds: Record<string, string> = { requestId: String(extra.requestId) };
    if (extra.sessionId !== undefined) frameworkIds.sessionId = extra.sessionId;
    const base = { toolCallId, signal: extra.signal, frameworkIds };
    this.#pending.set(toolCallId, call);
    try {
      const check = await adapted.check(args, base);
      if (check.effect === 'deny') return refusalResult(check.error, check.message);
      let approval: FrameworkApproval | undefined;
      if (check.effect === 'approval_required') {
        const argsPreview = previewArgs(args);
        const prompt: ApprovalPrompt = { tool: name, args, argsPreview, message: check.message };
        const answer = await elicitApproval(this.server, {
          message: this.approvalText(prompt),
          approval: { tool: name, bindingHash: check.bindingHash, expiresAt: check.expiresAt },
          relatedRequestId: extra.requestId,
          signal: extra.signal,
          timeoutMs: Math.max(1, check.expiresAt - Date.now()),
        });
        if (!answer.approved) {
          const requester = task.attribution.requester;
          const refusal = await adapted.reject(args, {
            ...base,
            reason: answer.reason,
            ...(answer.answered && requester !== undefined ? { approver: requester } : {}),
          });
          return refusalResult(
            refusal ?? new WritError('WRIT_APPROVAL_REJECTED', `${name} was not approved: ${answer.reason}`),
          );
        }
        approval = { approved: true, ...(answer.reason === undefined ? {} : { reason: answer.reason }) };
      }
      return await adapted.run(args, { ...base, ...(approval === undefined ? {} : { approval }) });
    } catch (error) {
      // a refusal (the tool never ran) is a result the model reads; the tool's own errors stay errors
      if (!call.started && WritError.isInstance(error)) return refusalResult(error);
      throw error;
    } finally {
      this.#pending.delete(toolCallId);
    }
  }
}

/** MCP tool annotations as Writ's; the tool's own Writ hints win over them, they win over `defaults`. */
function hintsFor(
  mcp: McpToolAnnotations | undefined,
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

function findTaskToken(
  extra: McpRequestExtra,
  sources: readonly TaskTokenSource[],
): { token: string; source: TaskTokenSource } | undefined {
  for (const source of sources) {
    let token: string | undefined;
    if (source === 'meta') {
      token = extractTaskToken((extra._meta ?? {}) as Record<string, unknown>, { format: 'mcp' });
    } else if (source === 'header') {
      const headers = extra.requestInfo?.headers;
      token = headers === undefined ? undefined : extractTaskToken(headers, { format: 'http' });
    } else {
      const bearer = extra.authInfo?.token;
      token = typeof bearer === 'string' && bearer.length > 0 ? bearer : undefined;
    }
    if (token !== undefined) return { token, source };
  }
  return undefined;
}

/** The tool result a refused call returns: what the model reads, plus the code for programs. */
function refusalResult(error: WritError, text: string = refusalMessage(error)): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text }],
    _meta: { [REFUSAL_META_KEY]: { code: error.code } },
  };
}

function unsupportedTaskTool(name: string): WritError {
  return new WritError(
    'WRIT_OPTIONS_INVALID',
    `instrumentServer: tool ${name} is a task tool (experimental registerToolTask), which @writ/mcp does not support; register it with registerTool`,
  );
}
