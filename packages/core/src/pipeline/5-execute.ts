import { compose } from '../compose.js';
import { activeContext, runInContext } from '../context.js';
import type { Decision } from '../decision.js';
import type { CallState } from '../middleware.js';
import { TOOL_CONTEXT_KEY, type ToolContext } from '../tool-context.js';
import { abortError } from './deadline.js';
import { settleLazy } from './lazy-results.js';
import { attachRemoteCalls } from './remote-calls.js';
import type { CallRun } from './state.js';

/**
 * Stage 5: the tool itself, through the `wrapExecute` middleware, with its `ToolContext` (attribution,
 * credential, decision, span, signal) active. Runs only once the decision record is durable. A lazy
 * result (async generator, generator, async iterable, ReadableStream) is read to the end inside the call,
 * so its body runs with the credential live and the span open, and its failure is the call's outcome;
 * the caller gets a value of the same kind replaying what was read.
 */
export function execute(run: CallRun): Promise<unknown> {
  if (run.signal.aborted) return Promise.reject(abortError(run.signal));
  const ctx: ToolContext = {
    attribution: run.attribution,
    credential: run.credential,
    signal: run.signal,
    call: run.call,
    decision: run.decision as Decision,
    span: run.span,
  };
  // what the services this tool reaches return (receipts, refusals) goes to this call's outcome
  attachRemoteCalls(ctx, run.remote);
  const inner = (state: CallState): Promise<unknown> => {
    run.executed = true;
    const toolContext = activeContext().setValue(TOOL_CONTEXT_KEY, ctx);
    // a lazy result (generator, stream) is read to the end here: its body runs while the call is open
    return runInContext(toolContext, async () => settleLazy(await run.invoke(state.call.args, ctx)));
  };
  return compose(run.config.wrapExecute, inner)(run);
}
