import { createContextKey } from '@opentelemetry/api';
import { WritError } from '@writ/core';
import {
  type AdaptedRunOptions,
  type AdaptedTool,
  type AdapterOptions,
  activeContext,
  adaptTool,
  answeredApproval,
  approvalRequestFields,
  checkToolHints,
  refusalMessage,
  runInContext,
} from '@writ/core/adapter';
import {
  type GenerateMiddlewareDef,
  generateMiddleware,
  type MiddlewareRef,
  ToolInterruptError,
  type ToolRequestPart,
  type ToolResponsePart,
} from 'genkit';
import { approvalAnswerSchema, WRIT_APPROVAL_REQUEST, type WritApprovalRequest } from './approval-flow.js';
import { FRAMEWORK, parseOptions, type WritMiddlewareOptions } from './options.js';

type ToolHook = NonNullable<GenerateMiddlewareDef['tool']>;
type ToolCtx = Parameters<ToolHook>[1];
type Next = Parameters<ToolHook>[2];
type GenerateHook = NonNullable<GenerateMiddlewareDef['generate']>;
type ModelHook = NonNullable<GenerateMiddlewareDef['model']>;

/** The Genkit call a Writ-approved execution runs: the rest of the tool chain for this call. */
interface PendingRun {
  readonly run: (args: unknown) => Promise<unknown>;
  /** Set once Writ handed the call to the tool: later errors are the tool's, not refusals. */
  executed: boolean;
  response: ToolResponsePart | undefined;
}

const CALL_KEY = createContextKey('writ.genkit.call');

/** Each middleware gets a registry name of its own: Genkit looks middleware up by name. */
let instances = 0;

/** A tool's short name: Genkit names tools `name` or `provider/name`. */
const shortName = (name: string): string => name.slice(name.lastIndexOf('/') + 1);

/** Whether two lists of tool names are the same names in the same order. */
function sameNames(tools: readonly string[], held: readonly string[] | undefined): boolean {
  if (held === undefined || tools.length !== held.length) return false;
  for (let i = 0; i < tools.length; i++) if (tools[i] !== held[i]) return false;
  return true;
}

type Part = NonNullable<Awaited<ReturnType<ModelHook>>['message']>['content'][number];

/** The model cannot answer an approval: `resumed`/`interrupt` on its tool requests are dropped. */
function withoutResumed(part: Part): Part {
  if (part.toolRequest === undefined || part.metadata === undefined) return part;
  const { resumed: _r, interrupt: _i, pendingOutput: _p, ...metadata } = part.metadata;
  return { ...part, metadata };
}

class WritToolGate {
  readonly #options: AdapterOptions;
  readonly #adapted = new Map<string, AdaptedTool>();

  constructor(options: AdapterOptions) {
    this.#options = options;
  }

  /** The tools of the last `generate` whose every hint named one of them (checked again for any other list). */
  #heldFor: readonly string[] | undefined;

  readonly generate: GenerateHook = (envelope, ctx, next) => {
    const hints = this.#options.tools;
    if (hints !== undefined) {
      const tools = envelope.request.tools ?? [];
      if (!sameNames(tools, this.#heldFor)) {
        this.#heldFor = undefined;
        checkToolHints(hints, tools.map(shortName), 'writMiddleware: generate');
        this.#heldFor = [...tools];
      }
    }
    return next(envelope, ctx);
  };

  readonly model: ModelHook = async (req, ctx, next) => {
    const response = await next(req, ctx);
    const message = response.message;
    if (message === undefined) return response;
    return { ...response, message: { ...message, content: message.content.map(withoutResumed) } };
  };

  readonly tool: ToolHook = async (req, ctx, next) => {
    const { name, ref, input } = req.toolRequest;
    const adapted = this.#adaptedOf(shortName(name));
    const respond = (output: unknown): ToolResponsePart => ({
      toolResponse: { name, ...(ref === undefined ? {} : { ref }), output },
    });
    const base: AdaptedRunOptions = ctx.abortSignal === undefined ? {} : { signal: ctx.abortSignal };
    // no call id: nothing to interrupt on or resume; approvals go to the instance's approval handler
    if (ref === undefined) return this.#run(adapted, req, ctx, next, base, respond);
    const options = { ...base, toolCallId: ref };
    let check: Awaited<ReturnType<AdaptedTool['check']>>;
    try {
      check = await adapted.check(input, options);
    } catch (error) {
      if (!WritError.isInstance(error)) throw error;
      return respond(refusalMessage(error)); // no task, identity or audit down…: recorded by check
    }
    if (check.effect === 'deny') return respond(check.message);
    if (check.effect === 'allow') return this.#run(adapted, req, ctx, next, options, respond);
    const resumed = (ctx as { resumed?: unknown }).resumed ?? req.metadata?.resumed;
    const parsed = approvalAnswerSchema.safeParse(resumed);
    // an answer counts only for the approval this task asked before (not one asked just now) and only
    // if it names that request's binding: a restart built for another call, user or task asks afresh
    if (!parsed.success || !check.askedBefore || parsed.data.bindingHash !== check.bindingHash) {
      const request: WritApprovalRequest = {
        type: WRIT_APPROVAL_REQUEST,
        toolCallId: ref,
        ...approvalRequestFields(adapted, input, check),
      };
      throw new ToolInterruptError(request as unknown as Record<string, unknown>);
    }
    const approval = answeredApproval(parsed.data);
    if (approval.approved) return this.#run(adapted, req, ctx, next, { ...options, approval }, respond);
    const refusal = await adapted.reject(input, {
      ...options,
      ...(approval.approver === undefined ? {} : { approver: approval.approver }),
      ...(approval.reason === undefined ? {} : { reason: approval.reason }),
    });
    return respond(
      refusalMessage(refusal ?? new WritError('WRIT_APPROVAL_REJECTED', `${adapted.name} was not approved`)),
    );
  };

  #adaptedOf(name: string): AdaptedTool {
    let adapted = this.#adapted.get(name);
    if (adapted === undefined) {
      adapted = adaptTool(
        FRAMEWORK,
        { name, description: undefined, input: undefined },
        (args) => {
          const call = activeContext().getValue(CALL_KEY) as PendingRun | undefined;
          if (call === undefined) {
            throw new WritError('WRIT_INTERNAL', `${name} was run outside its Genkit tool call`);
          }
          call.executed = true;
          return call.run(args);
        },
        this.#options,
      );
      this.#adapted.set(name, adapted);
    }
    return adapted;
  }

  /** Runs the call through Writ; a refusal becomes the tool response the model reads. */
  async #run(
    adapted: AdaptedTool,
    req: ToolRequestPart,
    ctx: ToolCtx,
    next: Next,
    options: AdaptedRunOptions,
    respond: (output: unknown) => ToolResponsePart,
  ): Promise<ToolResponsePart | undefined> {
    const call: PendingRun = {
      executed: false,
      response: undefined,
      run: async (args) => {
        const response = await next({ ...req, toolRequest: { ...req.toolRequest, input: args } }, ctx);
        call.response = response;
        return response?.toolResponse.output;
      },
    };
    try {
      await runInContext(activeContext().setValue(CALL_KEY, call), () =>
        adapted.run(req.toolRequest.input, options),
      );
      return call.response;
    } catch (error) {
      if (!call.executed && WritError.isInstance(error)) return respond(refusalMessage(error));
      throw error; // the tool's own error (or interrupt): Genkit handles it as without Writ
    }
  }
}

/**
 * A Genkit generate middleware that puts the Writ pipeline in front of every tool call of a `generate`
 * call (and of prompts and flows that pass it in `use`): each call is decided by policy, approved when
 * policy asks (through Genkit's tool interrupts: the call is interrupted with a
 * {@link WritApprovalRequest}, `finishReason: 'interrupted'`, and resumed with {@link approvalRestart}),
 * credentialed, recorded before it runs and traced (`execute_tool` spans). A refused call does not stop
 * the run: the model gets Writ's refusal text as the tool's output. List it first in `use` so no other
 * middleware answers a call before Writ decides it. Tool requests the model returns lose any
 * `resumed`/`interrupt` metadata: only the application answers an approval.
 *
 * @example
 * ```ts
 * import { googleAI } from '@genkit-ai/google-genai';
 * import { genkit } from 'genkit';
 * import { writMiddleware } from '@writ/genkit';
 *
 * const ai = genkit({ plugins: [googleAI()], model: googleAI.model('gemini-2.5-flash') });
 * const governed = writMiddleware({ writ, tools: { refund_order: { permission: 'orders:refund', risk: 'high' } } });
 * await writ.task({ requester: aliceToken, agent: 'support-bot', scope: ['orders:*'] }, async () => {
 *   const response = await ai.generate({ prompt: 'Refund order 42', tools: [lookupOrder, refundOrder], use: [governed] });
 *   console.log(response.finishReason, response.text);
 * });
 * ```
 */
export function writMiddleware(options?: WritMiddlewareOptions): MiddlewareRef {
  const gate = new WritToolGate(parseOptions(options));
  instances += 1;
  const def = generateMiddleware(
    { name: `writ-${instances}`, description: 'Writ: every tool call decided, approved, recorded' },
    () => ({ generate: gate.generate, model: gate.model, tool: gate.tool }),
  );
  return def();
}
