// Test support: a CallRun for one stage at a time, on an in-memory configuration.
import type { Span } from '@opentelemetry/api';
import { z } from 'zod';
import type { Attribution } from '../../attribution.js';
import { digest } from '../../canonical-json.js';
import { type Config, createConfig } from '../../config.js';
import type { TaskState } from '../../context.js';
import type { WritOptions } from '../../options.js';
import { createInMemoryAuditSink, createInMemoryPolicy } from '../../testing/index.js';
import type { ToolDescription } from '../../tool.js';
import { defineTool } from '../../tool-definition.js';
import { NO_SPAN } from '../call-span.js';
import { type CallRun, type Invoke, newCallRun, type RunOptions } from '../state.js';

export const ALICE_ATTRIBUTION: Attribution = Object.freeze({
  taskId: 'task-1',
  correlationId: 'corr-1',
  requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
  autonomous: false,
  chain: [{ kind: 'agent', id: 'spiffe://writ.local/agent/support', name: 'support', assurance: 'verified' }],
  intent: 'refund order 42',
  scope: ['*'],
} as Attribution);

export const REFUND: ToolDescription = {
  name: 'refund_order',
  input: z.object({ orderId: z.string(), amount: z.number().positive() }),
  resource: (args) => ({ type: 'Order', id: (args as { orderId: string }).orderId }),
  risk: 'high',
};

export interface RunFixture {
  readonly config: Config;
  readonly audit: ReturnType<typeof createInMemoryAuditSink>;
  readonly run: CallRun;
}

/** A call of `tool` with `args` in a task of `attribution`, on a configuration from `options`. */
export function callRun(
  input: {
    readonly tool?: ToolDescription;
    readonly args?: unknown;
    readonly options?: RunOptions;
    readonly writ?: WritOptions;
    readonly attribution?: Attribution;
    readonly invoke?: Invoke;
    readonly span?: Span;
  } = {},
): RunFixture {
  const audit = createInMemoryAuditSink();
  const config = createConfig({
    policy: createInMemoryPolicy({ fallback: 'allow' }),
    audit,
    ...input.writ,
  });
  const attribution = input.attribution ?? ALICE_ATTRIBUTION;
  const task: TaskState = { attribution, writ: undefined };
  const def = defineTool(input.tool ?? REFUND, 'test');
  const rawArgs = input.args ?? { orderId: '42', amount: 30 };
  const run = newCallRun({
    config,
    task,
    def,
    rawArgs,
    rawDigest: digest(rawArgs),
    options: input.options ?? {},
    invoke: input.invoke ?? ((args) => args),
    span: input.span ?? NO_SPAN,
    callId: 'call-1',
    key: undefined,
  });
  return { config, audit, run };
}
