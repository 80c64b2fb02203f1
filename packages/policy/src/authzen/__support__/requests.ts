// Test support: core AuthorizationRequests as the pipeline builds them.
import type { AuthorizationRequest, Risk } from '@writ/core';

/** A request from agent `support` to run `action` on `resource`. */
export function agentRequest(
  action: string,
  resource: { type: string; id: string; properties?: Record<string, unknown> },
  options: { risk?: Risk; agent?: string; toolCallId?: string } = {},
): AuthorizationRequest {
  const risk = options.risk ?? 'low';
  const agent = options.agent ?? 'support';
  return {
    subject: {
      type: 'Agent',
      id: `spiffe://writ.test/agent/${agent}`,
      properties: {
        name: agent,
        assurance: 'asserted',
        requester: { kind: 'human', id: 'alice@example.com', assurance: 'verified' },
        chain: [
          { kind: 'agent', id: `spiffe://writ.test/agent/${agent}`, name: agent, assurance: 'asserted' },
        ],
        chainDepth: 1,
        autonomous: false,
      },
    },
    action: { name: action, properties: { risk, toolType: 'function', permission: action } },
    resource,
    context: {
      taskId: 'task-1',
      correlationId: 'corr-1',
      toolCallId: options.toolCallId ?? `call-${action}-${resource.id}`,
      intent: 'Help with order 42',
      scope: ['*'],
      inScope: true,
      risk,
      environment: 'test',
      chainDepth: 1,
      autonomous: false,
      argsDigest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000',
    },
  };
}
