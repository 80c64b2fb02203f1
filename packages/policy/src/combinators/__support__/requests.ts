// Test support: authorization requests shaped like the ones the core pipeline builds.
import type { AuthorizationRequest, Risk } from '@writ/core';
import type { CallOptions } from '@writ/core/plugin';

export interface RequestShape {
  tool?: string;
  risk?: Risk;
  inScope?: boolean;
  agent?: string;
  resourceId?: string;
  argsDigest?: string;
  toolCallId?: string;
  taskId?: string;
  correlationId?: string;
  environment?: string;
}

/** A request for one tool call by an agent acting for alice. */
export function authorizationRequest(shape: RequestShape = {}): AuthorizationRequest {
  const risk = shape.risk ?? 'low';
  const tool = shape.tool ?? 'lookup_order';
  const agent = shape.agent ?? 'support';
  const id = `spiffe://writ.test/agent/${agent}`;
  return {
    subject: {
      type: 'Agent',
      id,
      properties: {
        name: agent,
        assurance: 'verified',
        requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
        chain: [{ kind: 'agent', id, name: agent, assurance: 'verified' }],
        chainDepth: 1,
        autonomous: false,
      },
    },
    action: { name: tool, properties: { risk, toolType: 'function', permission: tool } },
    resource: { type: 'Order', id: shape.resourceId ?? '42' },
    context: {
      taskId: shape.taskId ?? 'task-1',
      correlationId: shape.correlationId ?? 'corr-1',
      toolCallId: shape.toolCallId ?? 'call-1',
      intent: 'Refund order 42',
      scope: ['*'],
      inScope: shape.inScope ?? true,
      risk,
      environment: shape.environment ?? 'test',
      chainDepth: 1,
      autonomous: false,
      argsDigest: shape.argsDigest ?? 'sha256:00',
    },
  };
}

/** Call options with a signal that never fires. */
export const NO_ABORT: CallOptions = Object.freeze({ signal: new AbortController().signal });
