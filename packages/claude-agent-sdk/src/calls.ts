import { type Context, createContextKey } from '@opentelemetry/api';
import { type ToolContext, WritError } from '@writ/core';
import {
  type AdaptedTool,
  activeContext,
  adaptTool,
  type FrameworkApproval,
  refusalMessage,
  runInContext,
  TOOL_CONTEXT_KEY,
} from '@writ/core/adapter';
import { canonicalJson } from '@writ/core/plugin';
import { FRAMEWORK, type ParsedOptions } from './options.js';
import { handOver } from './tool-context.js';

/**
 * A call's key: its `tool_use` id, tool and arguments. A tool_use id is a hint, not an identity (a model
 * or a replayed transcript can present one id twice): a call with the same id but another tool or other
 * arguments is a call of its own, decided on its own.
 */
function keyOf(toolUseId: string, toolName: string, args: unknown): string {
  return canonicalJson([toolUseId, toolName, args ?? null]);
}

/** What Writ concluded about one tool call of the CLI, as its permission flow needs it. @internal */
export type Verdict =
  | { readonly kind: 'allowed' }
  | { readonly kind: 'denied'; readonly message: string }
  | { readonly kind: 'ask'; readonly message: string };

/** One tool call the CLI announced (`PreToolUse` or `canUseTool`), by its `tool_use` id. @internal */
export interface Call {
  readonly toolUseId: string;
  readonly toolName: string;
  readonly args: Record<string, unknown>;
  readonly adapted: AdaptedTool;
  /** The context the call is decided and run in: the task's, or a sub-agent's delegation. */
  readonly context: Context;
  readonly frameworkIds: Readonly<Record<string, string>>;
  verdict?: Verdict | undefined;
  /** Set while Writ holds the call open (span, records) for the CLI to run it. */
  running?: Running | undefined;
}

/** The pipeline's run of a call the CLI executes: settled by `PostToolUse` / `PostToolUseFailure`. */
interface Running {
  readonly settle: (outcome: { ok: true; value: unknown } | { ok: false; error: Error }) => void;
  /** The pipeline's run, settled once the outcome is recorded. */
  readonly done: Promise<void>;
  /** Forgets the tool context the pipeline handed the execution (credential, attribution, span). */
  forget: () => void;
}

/** What the adapted tool's implementation finds in the context: this call's hand-off to the CLI. */
interface Handoff {
  readonly outcome: Promise<unknown>;
  /** How the call is executed once Writ lets it run (a sub-agent call opens its delegation first). */
  readonly execute: (outcome: Promise<unknown>) => unknown;
}

/**
 * How a call is executed once Writ lets it run: call `ready()` when the CLI may run it, return what
 * settles with its outcome. @internal
 */
export type Execute = (outcome: Promise<unknown>, ready: () => void) => unknown;

const HANDOFF_KEY = createContextKey('writ.claude-agent-sdk.call');

/**
 * The calls of one `withWrit` options object (one query), by `tool_use` id, and the adapted tool per
 * tool name. A tool's implementation is the CLI itself: `run` starts the pipeline, which records the
 * decision and opens the span, then waits for the CLI to report the outcome. @internal
 */
export class Calls {
  readonly #options: ParsedOptions;
  readonly #tools = new Map<string, AdaptedTool>();
  readonly #calls = new Map<string, Call>();

  constructor(options: ParsedOptions) {
    this.#options = options;
  }

  get(toolUseId: string, toolName: string, args: unknown): Call | undefined {
    return this.#calls.get(keyOf(toolUseId, toolName, args));
  }

  /** The call announced with this id, tool and arguments, remembered until its outcome is recorded. */
  open(
    toolUseId: string,
    toolName: string,
    args: Record<string, unknown>,
    ids: Record<string, string>,
    context?: Context,
  ): Call {
    const key = keyOf(toolUseId, toolName, args);
    const known = this.#calls.get(key);
    if (known !== undefined) return known;
    const call: Call = {
      toolUseId,
      toolName,
      args,
      adapted: this.#tool(toolName),
      context: context ?? activeContext(),
      frameworkIds: Object.freeze({ ...ids }),
    };
    this.#calls.set(key, call);
    return call;
  }

  #tool(name: string): AdaptedTool {
    let adapted = this.#tools.get(name);
    if (adapted === undefined) {
      adapted = adaptTool(
        FRAMEWORK,
        { name },
        () => {
          const handoff = activeContext().getValue(HANDOFF_KEY) as Handoff | undefined;
          if (handoff === undefined) {
            throw new WritError('WRIT_INTERNAL', `${name} was run outside its Claude Code tool call`);
          }
          return handoff.execute(handoff.outcome);
        },
        { ...this.#options.adapter, tools: { [name]: this.#options.hints(name) }, defaults: undefined },
      );
      this.#tools.set(name, adapted);
    }
    return adapted;
  }

  /** Writ's decision about the call (`check`: recorded at once when refused). */
  async decide(call: Call): Promise<Verdict> {
    if (call.verdict !== undefined) return call.verdict;
    let verdict: Verdict;
    try {
      const check = await runInContext(call.context, () =>
        call.adapted.check(call.args, { toolCallId: call.toolUseId, frameworkIds: call.frameworkIds }),
      );
      verdict =
        check.effect === 'allow'
          ? { kind: 'allowed' }
          : check.effect === 'deny'
            ? { kind: 'denied', message: check.message }
            : { kind: 'ask', message: check.message };
    } catch {
      // No decision was possible here (no task, identity or audit down…): `run` goes through the whole
      // pipeline again, which refuses with the reason, recorded.
      verdict = { kind: 'allowed' };
    }
    call.verdict = verdict;
    return verdict;
  }

  /**
   * Starts the pipeline's run of the call and waits until Writ hands it to the CLI (decision record
   * durable, credential minted, span open): `undefined` then, or the refusal text for the model.
   */
  async start(
    call: Call,
    execute: Execute = (outcome, ready) => {
      ready();
      return outcome;
    },
    approval?: FrameworkApproval,
  ): Promise<string | undefined> {
    if (call.running !== undefined) return undefined;
    let settle!: Running['settle'];
    const outcome = new Promise<unknown>((resolve, reject) => {
      settle = (o) => (o.ok ? resolve(o.value) : reject(o.error));
    });
    let started!: (toolContext: ToolContext | undefined) => void;
    const handedOver = new Promise<ToolContext | undefined>((resolve) => {
      started = resolve;
    });
    const handoff: Handoff = {
      outcome,
      execute: (o) => {
        const toolContext = activeContext().getValue(TOOL_CONTEXT_KEY) as ToolContext | undefined;
        return execute(o, () => started(toolContext));
      },
    };
    const run = runInContext(call.context.setValue(HANDOFF_KEY, handoff), () =>
      call.adapted.run(call.args, {
        toolCallId: call.toolUseId,
        frameworkIds: call.frameworkIds,
        ...(approval === undefined ? {} : { approval }),
      }),
    );
    const running: Running = {
      settle,
      done: run.then(
        () => undefined,
        () => undefined,
      ),
      forget: () => {},
    };
    const first = await Promise.race([
      handedOver.then((toolContext) => ({ started: true as const, toolContext })),
      run.then(
        () => ({ started: false as const, error: undefined }),
        (error: unknown) => ({ started: false as const, error }),
      ),
    ]);
    if (first.started) {
      if (first.toolContext !== undefined) running.forget = handOver(call.toolUseId, first.toolContext);
      call.running = running;
      return undefined;
    }
    const error =
      first.error ??
      new WritError(
        'WRIT_ALREADY_EXECUTED',
        `tool call ${call.toolUseId} already ran; Claude Code must not run it again`,
      );
    call.verdict = { kind: 'denied', message: refusalMessage(error) };
    return call.verdict.message;
  }

  /**
   * Records the outcome the CLI reported for a call Writ let run, once the pipeline has recorded it, and
   * forgets the call: announced again, it is decided again (and the pipeline replays the recorded
   * result instead of letting it run twice). The CLI reports the input it ran; when that differs from
   * the one it announced, the one running call with this id is meant.
   */
  async settle(
    toolUseId: string,
    toolName: string,
    args: unknown,
    outcome: { ok: true; value: unknown } | { ok: false; error: Error },
  ): Promise<void> {
    let key = keyOf(toolUseId, toolName, args);
    if (this.#calls.get(key)?.running === undefined) {
      const running = [...this.#calls].filter(
        ([, c]) => c.toolUseId === toolUseId && c.running !== undefined,
      );
      if (running.length !== 1) return;
      key = (running[0] as [string, Call])[0];
    }
    await this.#settle(key, outcome);
  }

  async #settle(
    key: string,
    outcome: { ok: true; value: unknown } | { ok: false; error: Error },
  ): Promise<void> {
    const running = this.#calls.get(key)?.running;
    if (running === undefined) return;
    this.#calls.delete(key);
    running.settle(outcome);
    await running.done;
    running.forget();
  }

  /** Ends the calls (of one agent, or all) still waiting for an outcome: the agent stopped without one. */
  async settleAll(reason: string, which: (call: Call) => boolean = () => true): Promise<void> {
    const open = [...this.#calls].filter(([, c]) => c.running !== undefined && which(c));
    await Promise.all(open.map(([key]) => this.#settle(key, { ok: false, error: new Error(reason) })));
  }
}
