import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  extractContext,
  getGlobalWrit,
  type TaskHandle,
  type ToolAnnotations,
  type Writ,
  WritError,
} from '@writ/core';
import {
  type AdaptedTool,
  type AdapterToolHints,
  adaptTool,
  extractTaskToken,
  type FrameworkApproval,
  type HeadersLike,
  type InboundTask,
  runInContext,
} from '@writ/core/adapter';
import { uuidv7 } from '@writ/core/internal';
import { toWritError } from '@writ/core/plugin';
import { DEFAULTS } from '../defaults.js';
import {
  type ElicitingServer,
  elicitApproval,
  previewArgs,
  type WritApprovalRequest,
} from './approval-flow.js';
import {
  type InstrumentServerOptionsOf,
  parseServerOptions,
  type ServerSettings,
  type TaskTokenSource,
} from './options.js';
import { refusalResult } from './refusal.js';

/** MCP tool annotations (the same in every SDK generation). @internal */
export interface McpAnnotationsLike {
  readOnlyHint?: boolean | undefined;
  destructiveHint?: boolean | undefined;
  idempotentHint?: boolean | undefined;
  openWorldHint?: boolean | undefined;
}

/** The part of a registered tool the flow reads. @internal */
export interface McpToolLike {
  description?: string | undefined;
  annotations?: McpAnnotationsLike | undefined;
}

/** What the flow needs to know about one `tools/call`, whatever the SDK generation. @internal */
export interface McpCall<Auth> {
  /** `params._meta` of the request. */
  readonly meta: Record<string, unknown>;
  readonly requestId: string | number;
  readonly sessionId: string | undefined;
  readonly signal: AbortSignal;
  readonly authInfo: (Auth & { readonly token?: unknown }) | undefined;
  /** The HTTP request's headers (Streamable HTTP), when there is one. */
  readonly headers: Record<string, unknown> | HeadersLike | undefined;
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
}

interface CachedTool {
  readonly name: string;
  readonly description: string | undefined;
  readonly annotations: McpAnnotationsLike | undefined;
  readonly adapted: AdaptedTool;
}

/** One in-flight call: what runs once Writ lets it, and whether it started. */
interface PendingCall {
  readonly invoke: () => unknown;
  started: boolean;
}

const instrumented = new WeakSet<object>();

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
  const adapter = new ToolServer(settings, glue, glue.elicitor(server));
  const existing = Object.entries(registry._registeredTools);
  for (const [name, tool] of existing) adapter.check(name, tool); // all or nothing
  for (const [name, tool] of existing) adapter.wrap(name, tool);
  // every later registration (and a rename through update) writes into this record
  registry._registeredTools = new Proxy(registry._registeredTools, {
    set(target, key, value: unknown) {
      if (typeof key === 'string' && typeof value === 'object' && value !== null) {
        adapter.wrap(key, value as T);
      }
      (target as Record<string | symbol, unknown>)[key] = value;
      return true;
    },
  });
  instrumented.add(server);
  return server;
}

class ToolServer<S, T extends McpToolLike, Extra, Auth> {
  /** Current name of each registered tool (a rename through `update({ name })` changes it). */
  readonly #names = new WeakMap<T, string>();
  readonly #wrapped = new WeakSet<T>();
  readonly #adapted = new WeakMap<T, CachedTool>();
  /** Calls in flight, by the tool call id this adapter generated for them. */
  readonly #pending = new Map<string, PendingCall>();

  constructor(
    readonly settings: ServerSettings<Auth>,
    readonly glue: ServerGlue<S, T, Extra, Auth>,
    readonly elicitor: ElicitingServer,
  ) {}

  /** Checks a tool can be wrapped (SDK shape, valid hints) without changing it. */
  check(name: string, tool: T): void {
    this.glue.check(name, tool, (tool as Record<string, unknown>)[this.glue.property]);
    this.adaptedFor(tool, name); // invalid hints fail now, at registration
  }

  wrap(name: string, tool: T): void {
    this.check(name, tool);
    this.#names.set(tool, name);
    if (this.#wrapped.has(tool)) return;
    const { property } = this.glue;
    let current = (tool as Record<string, unknown>)[property] as Handler;
    const wrapped: Handler = (...params) => {
      const { args, extra } = this.glue.split(tool, params);
      const target = current;
      return this.handle(tool, args, this.glue.call(extra), () => target(...params));
    };
    Object.defineProperty(tool, property, {
      configurable: true,
      enumerable: true,
      get: () => wrapped,
      set: (next: unknown) => {
        this.glue.check(this.#names.get(tool) ?? name, tool, next);
        current = next as Handler;
      },
    });
    this.#wrapped.add(tool);
  }

  private adaptedFor(tool: T, name: string = this.#names.get(tool) as string): AdaptedTool {
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
  private approvalText(prompt: WritApprovalRequest): string {
    const fallback = `${prompt.message}. Allow ${prompt.tool} with ${prompt.argsPreview}?`;
    try {
      const text = this.settings.approvalMessage?.(prompt);
      return typeof text === 'string' && text.length > 0 ? text : fallback;
    } catch {
      return fallback;
    }
  }

  private handle(tool: T, args: unknown, request: McpCall<Auth>, invoke: () => unknown): Promise<unknown> {
    const name = this.#names.get(tool) as string;
    // a server's context is what came over the wire: never the ambient context of whoever delivered
    // the message (in-process transports run the handler inside the client's async context)
    const ctx = extractContext(request.meta, { context: ROOT_CONTEXT });
    return runInContext(ctx, () => this.serve(tool, name, args, request, invoke));
  }

  private async serve(
    tool: T,
    name: string,
    args: unknown,
    request: McpCall<Auth>,
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
    const found = findTaskToken(request, settings.tokenSources);
    let inbound: InboundTask | undefined;
    if (found === undefined) {
      if (settings.requireTaskToken) {
        return this.refuse(
          tool,
          writ,
          args,
          request,
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
          authInfo: request.authInfo,
          sessionId: request.sessionId,
        });
      } catch (error) {
        return this.refuse(tool, writ, args, request, toWritError(error, 'WRIT_TOKEN_INVALID'));
      }
    }
    const call: PendingCall = { invoke, started: false };
    try {
      return await writ.task(
        {
          agent: settings.agent,
          signal: request.signal,
          ...(inbound === undefined ? {} : { inbound }),
          ...(settings.scope === undefined ? {} : { scope: settings.scope }),
        },
        (task) => this.call(tool, name, args, request, call, task),
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
    tool: T,
    writ: Writ,
    args: unknown,
    request: McpCall<Auth>,
    refusal: WritError,
  ): Promise<unknown> {
    const adapted = this.adaptedFor(tool);
    await writ
      .task({ agent: this.settings.agent }, () =>
        adapted.run(args, { toolCallId: uuidv7(), frameworkIds: frameworkIds(request), refusal }),
      )
      .catch(() => undefined);
    return refusalResult(refusal);
  }

  private async call(
    tool: T,
    name: string,
    args: unknown,
    request: McpCall<Auth>,
    call: PendingCall,
    task: TaskHandle,
  ): Promise<unknown> {
    const adapted = this.adaptedFor(tool);
    const toolCallId = uuidv7();
    const base = { toolCallId, signal: request.signal, frameworkIds: frameworkIds(request) };
    this.#pending.set(toolCallId, call);
    try {
      const check = await adapted.check(args, base);
      if (check.effect === 'deny') return refusalResult(check.error, check.message);
      let approval: FrameworkApproval | undefined;
      if (check.effect === 'approval_required') {
        const prompt: WritApprovalRequest = {
          tool: name,
          args,
          argsPreview: previewArgs(args),
          message: check.message,
          bindingHash: check.bindingHash,
          expiresAt: check.expiresAt,
        };
        const answer = await elicitApproval(this.elicitor, {
          message: this.approvalText(prompt),
          approval: { tool: name, bindingHash: check.bindingHash, expiresAt: check.expiresAt },
          relatedRequestId: request.requestId,
          signal: request.signal,
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

/** `call.framework.ids` of the decision record: the JSON-RPC request id and the MCP session id. */
function frameworkIds(request: McpCall<unknown>): Record<string, string> {
  const ids: Record<string, string> = { requestId: String(request.requestId) };
  if (request.sessionId !== undefined) ids.sessionId = request.sessionId;
  return ids;
}

/** MCP tool annotations as Writ's; the tool's own Writ hints win over them, they win over `defaults`. */
function hintsFor(
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

/** The caller's task token: the first of `sources` that carries one. */
function findTaskToken(
  request: McpCall<unknown>,
  sources: readonly TaskTokenSource[],
): { token: string; source: TaskTokenSource } | undefined {
  for (const source of sources) {
    let token: string | undefined;
    if (source === 'meta') {
      token = extractTaskToken(request.meta, { format: 'mcp' });
    } else if (source === 'header') {
      token =
        request.headers === undefined ? undefined : extractTaskToken(request.headers, { format: 'http' });
    } else {
      const bearer = request.authInfo?.token;
      token = typeof bearer === 'string' && bearer.length > 0 ? bearer : undefined;
    }
    if (token !== undefined) return { token, source };
  }
  return undefined;
}
