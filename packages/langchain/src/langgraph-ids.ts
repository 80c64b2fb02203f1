/**
 * The LangGraph ids of the run a tool call belongs to, read from the runnable config, for the decision
 * record (`call.framework.ids`): `thread_id`, `run_id`, `checkpoint_ns`, `checkpoint_id`, `task_id`
 * and `node`, each only when LangGraph knows it (`run_id` only when the caller passed one).
 * @internal
 */
export function langGraphIds(config: unknown): Record<string, string> | undefined {
  if (!isRecord(config)) return undefined;
  const info = record(config.executionInfo);
  const configurable = record(config.configurable);
  const metadata = record(config.metadata);
  const ids: Record<string, string> = {};
  const put = (key: string, ...candidates: unknown[]) => {
    const value = candidates.find((c): c is string => typeof c === 'string' && c.length > 0);
    if (value !== undefined) ids[key] = value.slice(0, 256);
  };
  put('thread_id', info.threadId, configurable.thread_id, metadata.thread_id);
  put('run_id', info.runId, configurable.run_id, metadata.run_id, config.runId);
  put('checkpoint_ns', info.checkpointNs, configurable.checkpoint_ns, metadata.langgraph_checkpoint_ns);
  put('checkpoint_id', info.checkpointId, configurable.checkpoint_id);
  put('task_id', info.taskId);
  put('node', metadata.langgraph_node);
  return Object.keys(ids).length === 0 ? undefined : ids;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const record = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
