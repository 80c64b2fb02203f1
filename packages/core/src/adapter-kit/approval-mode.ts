import { resolveConfig } from '../global.js';
import type { ApprovalMode } from '../pipeline/state.js';
import type { Writ } from '../writ.js';

/**
 * How calls needing approval wait on a Writ instance (its `approvalMode`): `block` (the instance's
 * approval handler is asked and awaited, one process) or `suspend` (the call is refused with
 * `WRIT_APPROVAL_PENDING` and runs again, in any process, once answered). An adapter whose framework
 * can wait for a human in-band (an MCP elicitation, say) reads it to choose between waiting and its
 * framework's native pause. The instance is `writ`, else the active task's, else the global one
 * (`WRIT_NOT_CONFIGURED` when there is none).
 *
 * @example
 * ```ts
 * if (check.effect === 'approval_required' && approvalModeOf(options.writ) === 'suspend') {
 *   // don't hold the request open: map the pause to the framework's own (a URL to answer at, a resume)
 * }
 * ```
 */
export function approvalModeOf(writ?: Writ | undefined): ApprovalMode {
  return resolveConfig(writ, 'approvalModeOf').approvalMode;
}
