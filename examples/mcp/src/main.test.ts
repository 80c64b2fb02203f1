import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMcpExample } from './mcp-example.ts';

describe('the MCP example (docs/guides/mcp.md)', () => {
  it('allows, denies, asks approval through elicitation, and leaves two logs that verify', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'writ-mcp-example-'));
    try {
      const result = await runMcpExample({ dir });
      const output = result.lines.join('\n');
      expect(result.ran).toEqual(['lookup_order 42', 'refund_order 42']);
      expect(result.clientLogOk).toBe(true);
      expect(result.serverLogOk).toBe(true);
      expect(result.lines).toContain(
        '  [server] lookup_order for alice@example.com via spiffe://support.example/agent/support-bot -> spiffe://orders.example/agent/orders-mcp',
      );
      expect(result.lines).toContain('< order 42: shipped');
      expect(output).toMatch(
        /< ERROR Refused by Writ \(WRIT_POLICY_DENIED\): delete_customer .*The tool was not run\./,
      );
      expect(output).toMatch(/\[client\] asked: refund_order needs human approval \(cedar\)/);
      // the approver saw the complete arguments and the binding hash
      expect(output).toMatch(/\[client\] {3}arguments: \{"orderId":"42"\} \(binding sha256:[0-9a-f]{8}…\)/);
      expect(result.lines).toContain('< order 42: refunded');
      expect(result.lines).toContain(
        '< ERROR Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved: the user declined in the MCP client. The tool was not run.',
      );
      // every server span hangs under its client span, in the same trace
      const traces = result.lines.filter((l) => l.includes(' -> execute_tool '));
      expect(traces).toEqual([
        '  tools/call lookup_order -> execute_tool lookup_order [allow] same trace',
        '  tools/call delete_customer -> execute_tool delete_customer [deny] same trace',
        '  tools/call refund_order -> execute_tool refund_order [approval_required] same trace',
        '  tools/call refund_order -> execute_tool refund_order [approval_required] same trace',
      ]);
      expect(result.lines).toContain('verify client log: OK');
      expect(result.lines).toContain('verify server log: OK');
      const chain =
        'chain spiffe://support.example/agent/support-bot -> spiffe://orders.example/agent/orders-mcp';
      expect(result.lines.filter((l) => l.includes('| task '))).toEqual([
        `  lookup_order: allow | task = client task | for alice@example.com | ${chain}`,
        `  delete_customer: deny -> refused WRIT_POLICY_DENIED | task = client task | for alice@example.com | ${chain}`,
        // answered through the client: alice as claimed, never as verified
        `  refund_order: approval_required approval given by alice@example.com (claimed) | task = client task | for alice@example.com | ${chain}`,
        `  refund_order: approval_required -> refused WRIT_APPROVAL_REJECTED approval refused by alice@example.com (claimed) | task = client task | for alice@example.com | ${chain}`,
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
