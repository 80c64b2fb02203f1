import type { Context } from '@opentelemetry/api';
import type { RemoteCallRecord } from '../remote-call-record.js';
import { TOOL_CONTEXT_KEY, type ToolContext } from '../tool-context.js';

/**
 * What the services a running call reached returned (receipts, refusals), until its outcome is recorded:
 * `push` returns false once the outcome record was written (too late to be in it).
 */
export interface RemoteCalls {
  readonly records: readonly RemoteCallRecord[];
  push(record: RemoteCallRecord): boolean;
  /** The records so far; nothing is added after. */
  close(): readonly RemoteCallRecord[];
}

const byToolContext = new WeakMap<ToolContext, RemoteCalls>();

/** A fresh collector for one call. */
export function newRemoteCalls(): RemoteCalls {
  const records: RemoteCallRecord[] = [];
  let open = true;
  return {
    records,
    push(record) {
      if (!open) return false;
      records.push(record);
      return true;
    },
    close() {
      open = false;
      return records;
    },
  };
}

/** Makes `calls` the collector of the tool call whose `ToolContext` is `ctx`. */
export function attachRemoteCalls(ctx: ToolContext, calls: RemoteCalls): void {
  byToolContext.set(ctx, calls);
}

/** The collector of the tool call running in `context`, if any. */
export function remoteCallsOf(context: Context): RemoteCalls | undefined {
  const ctx = context.getValue(TOOL_CONTEXT_KEY) as ToolContext | undefined;
  return ctx === undefined ? undefined : byToolContext.get(ctx);
}
