import { ROOT_CONTEXT } from '@opentelemetry/api';
import { extractContext, getGlobalWrit, type TaskHandle, type Writ, WritError } from '@writ/core';
import {
  type AdaptedRunOptions,
  type AdaptedTool,
  adaptTool,
  approvalModeOf,
  checkToolHints,
  type FrameworkApproval,
  type InboundTask,
  runInContext,
} from '@writ/core/adapter';
import { uuidv7 } from '@writ/core/internal';
import { toWritError } from '@writ/core/plugin';
import { MCP_DEFAULTS } from '../defaults.js';
import type { ElicitingServer } from './approval-flow.js';
import { askApproval } from './approval-step.js';
import { pendingResponse, suspendedCallId } from './approval-suspend.js';
import { requireAudience } from './audience-check.js';
import { findTaskToken, frameworkIds, type McpCall } from './mcp-call.js';
import type { ServerSettings } from './options.js';
import { keepIn, type ReceiptSlot, withReceipt } from './receipt.js';
import { refusalResult } from './refusal.js';
import type { Handler, McpToolLike, ServerGlue } from './server-glue.js';
import { hintsFor, type McpAnnotationsLike } from './tool-hints.js';

interface CachedTool {
  readonly name: string;
  readonly description: string | undefined;
  readonly annotations: McpAnnotationsLike | undefined;
  readonly adapted: AdaptedTool;
}

/** The server's registered tools, as the hint check reads them. @internal */
export interface ToolSet {
  /** Names of the tools registered now. */
  names(): string[];
  /**
   * A number that changes whenever a tool is registered, removed or renamed; `undefined` when that
   * cannot be known (the names are then checked at every call).
   */
  version(): number | undefined;
}

/** One in-flight call: what runs once Writ lets it, and whether it started. */
interface InFlightCall {
  readonly invoke: () => unknown;
  started: boolean;
}

/**
 * The protocol's pause for a pending approval (the SDK's `URLElicitationRequiredError`), carried out of
 * the task as a value: the server's task ended normally (nothing failed), the error goes to the client.
 */
class Pause {
  constructor(readonly error: Error) {}
}

/**
 * Wraps the registered tools of one `McpServer` and runs each `tools/call` through Writ: the caller's
 * trace and task token, `writ.task({ agent, inbound })`, the decision, an elicitation when approval is
 * required, then the SDK's own handler. @internal
 */
export class ToolServer<S, T extends McpToolLike, Extra, Auth> {
  /** Current name of each registered tool (a rename through `update({ name })` changes it). */
  readonly #names = new WeakMap<T, string>();
  readonly #wrapped = new WeakSet<T>();
  readonly #adapted = new WeakMap<T, CachedTool>();
  /** The tool set version at which every hint last named a registered tool. */
  #hintsHeldAt: number | undefined;

  constructor(
    readonly settings: ServerSettings<Auth>,
    readonly glue: ServerGlue<S, T, Extra, Auth>,
    readonly elicitor: ElicitingServer,
    readonly toolSet: ToolSet,
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
      MCP_DEFAULTS.frameworkName,
      { name, description: tool.description },
      // every run of an MCP call hands Writ that call's own handler (`invoke`): this one never runs
      (_args, ctx) => {
        throw new WritError(
          'WRIT_INTERNAL',
          `@writ/mcp: no MCP call in flight with id ${ctx.call.id} for ${name}`,
        );
      },
      { writ, defaults, tools: { [name]: hintsFor(tool.annotations, tools?.[name], defaults) } },
    );
    this.#adapted.set(tool, { name, description: tool.description, annotations: tool.annotations, adapted });
    return adapted;
  }

  private handle(tool: T, args: unknown, request: McpCall<Auth>, invoke: () => unknown): Promise<unknown> {
    const name = this.#names.get(tool) as string;
    // a server's context is what came over the wire: never the ambient context of whoever delivered
    // the message (in-process transports run the handler inside the client's async context)
    const ctx = extractContext(request.meta, { context: ROOT_CONTEXT });
    return runInContext(ctx, () => this.serve(tool, name, args, request, invoke));
  }

  /** Answers one call, its result carrying the receipt of this server's decision record for it. */
  private async serve(
    tool: T,
    name: string,
    args: unknown,
    request: McpCall<Auth>,
    invoke: () => unknown,
  ): Promise<unknown> {
    const slot: ReceiptSlot = {};
    const result = await this.answer(tool, name, args, request, invoke, slot);
    return withReceipt(result, slot.receipt);
  }

  private async answer(
    tool: T,
    name: string,
    args: unknown,
    request: McpCall<Auth>,
    invoke: () => unknown,
    slot: ReceiptSlot,
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
    try {
      // a hint naming no registered tool (a typo) would leave the real tool on default facts: until
      // the options are fixed (or the tool is registered), every call is refused, and recorded
      this.checkHints();
    } catch (error) {
      return this.refuse(tool, writ, args, request, toWritError(error, 'WRIT_OPTIONS_INVALID'), slot);
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
          slot,
        );
      }
    } else {
      try {
        const verified = await settings.verify(found.token, {
          audience: settings.audience,
          tool: name,
          source: found.source,
          authInfo: request.authInfo,
          sessionId: request.sessionId,
        });
        requireAudience(verified, settings.audience);
        inbound = verified;
      } catch (error) {
        return this.refuse(tool, writ, args, request, toWritError(error, 'WRIT_TOKEN_INVALID'), slot);
      }
    }
    const call: InFlightCall = { invoke, started: false };
    try {
      const out = await writ.task(
        {
          agent: settings.agent,
          signal: request.signal,
          ...(inbound === undefined ? {} : { inbound }),
          ...(settings.scope === undefined ? {} : { scope: settings.scope }),
        },
        (task) => this.call(tool, name, args, request, call, task, writ, slot),
      );
      if (out instanceof Pause) throw out.error;
      return out;
    } catch (error) {
      // identity, scope or credential refusals of the task itself (recorded as a refused task-start)
      if (!call.started && WritError.isInstance(error)) return refusalResult(error);
      throw error;
    }
  }

  /**
   * Throws unless every hint names a registered tool. A check that passed holds until a tool is
   * registered, removed or renamed (the tool set's version changes); one that failed is made again at
   * the next call.
   */
  private checkHints(): void {
    const version = this.toolSet.version();
    if (version !== undefined && version === this.#hintsHeldAt) return;
    this.#hintsHeldAt = undefined;
    checkToolHints(this.settings.tools, this.toolSet.names(), 'instrumentServer');
    this.#hintsHeldAt = version;
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
    slot: ReceiptSlot,
  ): Promise<unknown> {
    const adapted = this.adaptedFor(tool);
    await writ
      .task({ agent: this.settings.agent }, () =>
        adapted.run(args, {
          toolCallId: uuidv7(),
          frameworkIds: frameworkIds(request),
          refusal,
          onReceipt: keepIn(slot),
        }),
      )
      .catch(() => undefined);
    return refusalResult(refusal);
  }

  private async call(
    tool: T,
    name: string,
    args: unknown,
    request: McpCall<Auth>,
    call: InFlightCall,
    task: TaskHandle,
    writ: Writ,
    slot: ReceiptSlot,
  ): Promise<unknown> {
    const adapted = this.adaptedFor(tool);
    // suspend mode: the client's retry (on any replica) is the same call, so it finds the approval
    const suspend = approvalModeOf(writ) === 'suspend';
    const toolCallId = suspend
      ? suspendedCallId(name, args, task.attribution.taskId, request.meta)
      : uuidv7();
    const base = {
      toolCallId,
      signal: request.signal,
      frameworkIds: frameworkIds(request),
      onReceipt: keepIn(slot),
      // this request's own handler, whichever run of the call gets to run it (in suspend mode a
      // client's retries share the tool call id, and only the run that claims the call runs)
      invoke: () => {
        call.started = true;
        return call.invoke();
      },
    };
    try {
      if (suspend) return await this.suspended(adapted, name, args, base);
      const check = await adapted.check(args, base);
      if (check.effect === 'deny') return refusalResult(check.error, check.message);
      let approval: FrameworkApproval | undefined;
      if (check.effect === 'approval_required') {
        const step = await askApproval({
          settings: this.settings as ServerSettings<unknown>,
          elicitor: this.elicitor,
          adapted,
          name,
          args,
          request,
          task,
          check,
          base,
        });
        if ('refusal' in step) return refusalResult(step.refusal);
        approval = step.approval;
      }
      return await adapted.run(args, { ...base, ...(approval === undefined ? {} : { approval }) });
    } catch (error) {
      // a refusal (the tool never ran) is a result the model reads; the tool's own errors stay errors
      if (!call.started && WritError.isInstance(error)) return refusalResult(error);
      throw error;
    }
  }

  /**
   * Suspend mode: runs the call through the pipeline, which decides it (or reuses the decision the call
   * ledger remembers for this call) and takes an approval answered from any process; an approval not
   * answered yet is opened and the call refused at once with the protocol's native pause: `URLElicitationRequiredError` naming `approvalUrl`, or a tool
   * error with the code and binding hash. Nothing waits in this process.
   */
  private async suspended(
    adapted: AdaptedTool,
    name: string,
    args: unknown,
    base: AdaptedRunOptions,
  ): Promise<unknown> {
    try {
      return await adapted.run(args, base);
    } catch (error) {
      if (!WritError.isInstance(error, 'WRIT_APPROVAL_PENDING')) throw error;
      const settings = this.settings as ServerSettings<unknown>;
      const response = pendingResponse(settings, this.elicitor, error, name);
      if ('result' in response) return response.result;
      return new Pause(
        this.glue.urlElicitationRequired([response.elicitation], response.elicitation.message),
      );
    }
  }
}
