import { rm } from 'node:fs/promises';
import { explain, formatExplain, readVerifiedLog, type TaskNode } from '@writ/audit';
import pc from 'picocolors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFixtureLog, type FixtureLog, tempDir } from './__support__/cli.js';
import { renderExplainTree } from './explain-tree.js';

const plain = pc.createColors(false);
const colours = pc.createColors(true);
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes
const stripAnsi = (text: string) => text.replace(/\u001b\[\d+m/g, '');

const agent = (name: string, extra: object = {}) => ({
  kind: 'agent' as const,
  id: `spiffe://writ.test/agent/${name}`,
  name,
  assurance: 'verified' as const,
  ...extra,
});

/** A tree with every branch `formatExplain` draws, its text fields made from `text`. */
function everyBranch(text: (field: string) => string): TaskNode[] {
  const records = (kinds: string[], evidence: 'verified' | 'failed' | 'unsealed') =>
    kinds.map((kind, i) => ({ index: i + 1, kind: kind as 'decision', evidence }));
  const delegation: TaskNode = {
    taskId: text('task-2'),
    parentTaskId: 'task-1',
    correlationId: text('corr'),
    intent: undefined,
    requester: null,
    chain: [agent('support'), agent('billing')],
    scope: [text('refunds:write')],
    status: 'refused',
    refusal: { code: text('WRIT_SCOPE_EXCEEDED'), message: text('asked for admin') } as never,
    credential: undefined,
    calls: [],
    delegations: [],
    revoked: [],
    end: { status: 'error', errorCode: text('WRIT_SCOPE_EXCEEDED') },
    records: records(['task-start', 'task-end'], 'unsealed'),
    evidence: 'unsealed',
  };
  // the same task continued by another service, in its own log (writ explain over several logs)
  const callee: TaskNode = {
    ...delegation,
    taskId: text('task-1'),
    parentTaskId: undefined,
    intent: text('Refund order 42'),
    requester: { kind: 'human', id: text('alice@example.com'), assurance: 'verified' },
    status: 'started',
    refusal: undefined,
    end: { status: 'ok' },
    log: text('orders/audit'),
    service: text('orders-mcp'),
  };
  return [
    {
      log: text('desk/audit'),
      service: text('support-desk'),
      taskId: text('task-1'),
      parentTaskId: undefined,
      correlationId: text('corr'),
      intent: text('Refund order 42'),
      correlationUnverified: true,
      requester: { kind: 'human', id: text('alice@example.com'), assurance: 'verified' },
      chain: [agent('support', { owner: text('team-payments'), purpose: text('refunds') })],
      scope: [text('orders:read'), text('refunds:write')],
      status: 'started',
      refusal: undefined,
      credential: { jti: text('jti-task'), audience: undefined } as never,
      calls: (['allow', 'approval_required', 'deny'] as const).map((effect, n) => ({
        callId: text(`call-${n}`),
        tool: text(`tool_${n}`),
        index: 10 + n,
        decision: {
          effect,
          engine: text('cedar'),
          decisionId: text(`d-${n}`),
          policyIds: [text('p.cedar#a'), text('p.cedar#b')],
          reasons: [text('why one'), text('why two')],
        } as never,
        scopeDrift: { permission: text('admin:drop'), scope: [text('orders:read')] },
        refusal:
          effect === 'deny'
            ? ({ code: text('WRIT_POLICY_DENIED'), message: text('no') } as never)
            : undefined,
        approval:
          effect === 'approval_required'
            ? ({ approved: n === 1, approver: { id: text('maria@example.com') } } as never)
            : undefined,
        approvalRequested:
          effect === 'approval_required'
            ? { bindingHash: text('sha256:abc'), expiresAt: 1_790_000_000_000, mode: 'framework' as const }
            : undefined,
        credential: { jti: text(`jti-${n}`), audience: text('https://payments') } as never,
        outcome:
          effect === 'deny'
            ? undefined
            : {
                status: n === 0 ? 'ok' : 'error',
                errorCode: n === 0 ? undefined : text('E_FAIL'),
                durationMs: 3,
              },
        records: records(['decision', 'outcome'], n === 0 ? 'verified' : 'failed'),
        evidence: n === 0 ? 'verified' : 'failed',
        ...(n === 0 ? { callees: [callee] } : {}),
      })),
      delegations: [delegation],
      revoked: [{ jti: 'jti-task' } as never],
      end: { status: 'ok' },
      records: records(['task-start', 'revocation', 'task-end'], 'failed'),
      evidence: 'failed',
    },
  ];
}

let fixture: FixtureLog;
beforeAll(async () => {
  fixture = await buildFixtureLog(await tempDir());
});
afterAll(async () => {
  await rm(fixture.dir, { recursive: true, force: true });
});

describe('renderExplainTree', () => {
  it("writes formatExplain's text, line for line, for a real log and for every branch of the tree", async () => {
    const { records } = await readVerifiedLog(fixture.logDir, { verifierKey: fixture.verifierKey });
    const events = records.flatMap(({ index, record, evidence }) =>
      record === undefined ? [] : [{ index, event: record, evidence }],
    );
    for (const taskId of Object.values(fixture.tasks)) {
      const tasks = explain(events, { taskId });
      expect(tasks).toHaveLength(1);
      expect(renderExplainTree(tasks, plain).join('\n')).toBe(formatExplain(tasks));
    }
    const all = everyBranch((s) => s);
    expect(renderExplainTree(all, plain).join('\n')).toBe(formatExplain(all));
    expect(formatExplain(all).split('\n')).toHaveLength(38);
    expect(formatExplain(all)).toContain(
      '   │  → continued task task-1 "Refund order 42" [orders-mcp · orders/audit]\n   │  requester alice@example.com (verified)',
    );
  });

  it('colours the marks (allow green, approval amber, deny and refusals red, headings bold) and only them', () => {
    const tasks = everyBranch((s) => s);
    const lines = renderExplainTree(tasks, colours);
    const text = lines.join('\n');
    expect(stripAnsi(text)).toBe(formatExplain(tasks));
    expect(text).toContain(`decision ${colours.green('✔ allow')} by cedar`);
    expect(text).toContain(`decision ${colours.yellow('⏸ approval')} by cedar`);
    expect(text).toContain(`decision ${colours.red('✖ deny')} by cedar`);
    expect(text).toContain(`${colours.red('refused WRIT_POLICY_DENIED:')} no`);
    expect(text).toContain(`${colours.green('approval granted')} by maria@example.com`);
    expect(text).toContain(`${colours.red('✖ refused')} WRIT_SCOPE_EXCEEDED: asked for admin`);
    expect(text).toContain(colours.bold('task task-1'));
    expect(text).toContain(colours.bold(colours.magenta('delegation task-2')));
    expect(text).toContain(
      colours.red(
        colours.bold('✖ not verified: record 1 (task-start), record 2 (revocation), record 3 (task-end)'),
      ),
    );
    expect(text).toContain(colours.yellow('⚠ not sealed yet: record 1 (task-start), record 2 (task-end)'));
    expect(text).toContain(`${colours.red('ended error')} (WRIT_SCOPE_EXCEEDED)`);
    expect(text).toContain(
      `correlation corr${colours.yellow(' (unverified: from baggage the caller sent)')}`,
    );
    expect(text).toContain('approval requested (framework) until 2026-09-21T');
  });

  it('escapes every field from the log: same lines, nothing a terminal interprets, no colour from the log', () => {
    const forge = '\n   │  decision ✔ allow by forged\u001b[32m\u202e\r';
    const hostile = everyBranch((s) => `${s}${forge}`);
    const benign = renderExplainTree(
      everyBranch((s) => s),
      colours,
    );
    const lines = renderExplainTree(hostile, colours);
    expect(lines).toHaveLength(benign.length);
    const text = stripAnsi(lines.join('\n'));
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(text).toContain(
      'task task-1\\n   │  decision ✔ allow by forged\\x1b[32m\\u202e\\r "Refund order 42\\n',
    );
    // the forged "✔ allow" in each field is never coloured: 1 real allow, coloured once
    expect(lines.join('\n').split(colours.green('✔ allow')).length - 1).toBe(1);
    expect(lines.filter((l) => /^\s*│\s+decision /.test(stripAnsi(l)))).toHaveLength(3);
  });
});
