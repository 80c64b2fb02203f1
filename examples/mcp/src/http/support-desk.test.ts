import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSupportDesk } from './support-desk.ts';

// biome-ignore lint/suspicious/noExplicitAny: records are read back from JSON and checked field by field
type LogRecord = Record<string, any>;

describe('the two-process MCP example (docs/guides/mcp.md, MCP over HTTP)', () => {
  it('desk and orders server in two processes over Streamable HTTP: session, allowedHosts, elicitation on the session, credentials for the server only, two logs that verify', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'writ-mcp-http-example-'));
    try {
      const result = await runSupportDesk({ dir });
      const output = result.lines.join('\n');
      expect(result.serverUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      expect(result.sessionId).toEqual(expect.any(String));
      expect(result.lines).toContain('< order 42: shipped');
      expect(result.lines).toContain('< order 42: refunded');
      expect(result.lines).toContain(
        '< ERROR Refused by Writ (WRIT_APPROVAL_REJECTED): refund_order was not approved: the user declined in the MCP client. The tool was not run.',
      );
      // the approvals came back over the session's stream, showing the complete arguments
      expect(output).toMatch(/\[desk\] {3}arguments \{"orderId":"42"\}, alice approves/);
      expect(output).toMatch(/\[desk\] {3}arguments \{"orderId":"43"\}, alice declines/);
      expect(result.foreignHostStatus).toBe(403);
      expect(result.lines).toContain('orders-mcp exited with code 0');
      expect(result.deskLogOk).toBe(true);
      expect(result.serverLogOk).toBe(true);

      // the server's records: the desk's task, requester and chain from the verified credential,
      // issued for the server's own URL (its jti is the credential's); the session id with each call
      const records = result.serverRecords as LogRecord[];
      const starts = records.filter((r) => r.kind === 'task-start');
      expect(starts).toHaveLength(3);
      for (const start of starts) {
        expect(start).toMatchObject({
          taskId: result.taskId,
          requester: { id: 'alice@example.com', assurance: 'verified', issuer: 'spiffe://support.example' },
          status: 'started',
        });
        expect(start.correlationUnverified).toBeUndefined();
      }
      const decisions = records.filter((r) => r.kind === 'decision');
      expect(decisions.map((d) => [d.call.name, d.decision.effect, d.refusal?.code ?? null])).toEqual([
        ['lookup_order', 'allow', null],
        ['refund_order', 'approval_required', null],
        ['refund_order', 'approval_required', 'WRIT_APPROVAL_REJECTED'],
      ]);
      for (const d of decisions) expect(d.call.framework.ids.sessionId).toBe(result.sessionId);
      // the two logs join: the credential the server verified is one the desk issued for the server's
      // URL alone (listed, revoked, when the desk's task ended), never the desk's task token
      const inbound = new Set(starts.map((s) => s.inbound.jti));
      expect(inbound.size).toBe(1);
      const desk = result.deskRecords as LogRecord[];
      const revoked = desk.filter((r) => r.kind === 'task-end').flatMap((r) => r.revoked ?? []);
      const sent = revoked.find((c: LogRecord) => inbound.has(c.jti));
      expect(sent).toMatchObject({ audience: result.serverUrl });
      const taskToken = desk.find((r) => r.kind === 'task-start')?.credential;
      expect(inbound.has(taskToken.jti)).toBe(false);
      expect(records.filter((r) => r.kind === 'approval').map((a) => a.approval.approver)).toEqual([
        { assurance: 'claimed', id: 'alice@example.com', issuer: 'spiffe://support.example', kind: 'human' },
        { assurance: 'claimed', id: 'alice@example.com', issuer: 'spiffe://support.example', kind: 'human' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
