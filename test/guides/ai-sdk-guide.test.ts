// Issue 10 acceptance: a reader following the Quick start and the Vercel AI SDK guide gets a working
// instrumented agent. The guide's "Wrap the tools" block and its approval continuation run as one module,
// as written, against the built packages. What the guide leaves to the reader is supplied before it: the
// user's token (from the local authority the zero-config runtime uses), a database, a payments client,
// and the model: the AI SDK's own MockLanguageModelV4, scripted to look order 42 up and refund 250 on it,
// then answer from what its tools said.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logRecords, pageBlocks, removeScratch, runModule, runShell, scratchDir } from './run-docs.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) removeScratch(dir);
});

const RUNTIME = `
import { createLocalAuthority, createLocalIdentity } from '@writ/identity';
import { MockLanguageModelV4 } from 'ai/test';
import type { ModelMessage } from 'ai';

const userIdToken = await createLocalIdentity({
  authority: await createLocalAuthority({ dir: '.writ/keys' }),
}).issueRequesterToken({ sub: 'alice@example.com' });
const db = { orders: { get: async (id: string) => ({ id, status: 'delivered' }) } };
const payments = {
  refund: async (orderId: string, amount: number) => {
    console.log(\`REFUNDED \${orderId} \${amount}\`);
    return { refundId: 're_1' };
  },
};
const usage = {
  inputTokens: { total: 20, noCache: 20, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 10, text: 10, reasoning: undefined },
};
let turn = 0;
const model = new MockLanguageModelV4({
  doGenerate: async ({ prompt }) => {
    turn += 1;
    if (turn === 1) {
      return {
        content: [
          { type: 'tool-call' as const, toolCallId: 'call_1', toolName: 'lookup_order', input: '{"orderId":"42"}' },
          { type: 'tool-call' as const, toolCallId: 'call_2', toolName: 'refund_order', input: '{"orderId":"42","amount":250}' },
        ],
        finishReason: { unified: 'tool-calls' as const, raw: 'tool_calls' },
        usage,
        warnings: [],
      };
    }
    const told = prompt.flatMap((m) => (m.role === 'tool' ? m.content : []));
    const refunded = told.some((p) => p.type === 'tool-result' && p.toolCallId === 'call_2' && p.output.type === 'json');
    return {
      content: [{ type: 'text' as const, text: refunded ? 'MODEL: refunded 250 on order 42' : 'MODEL: no refund' }],
      finishReason: { unified: 'stop' as const, raw: 'stop' },
      usage,
      warnings: [],
    };
  },
});
const messages: ModelMessage[] = [{ role: 'user', content: 'Order 42 arrived damaged: please refund 250.' }];
`;

interface StoredRecord {
  kind: string;
  taskId: string;
  call?: { name: string };
  decision?: { effect: string };
  outcome?: { status: string };
  approval?: { approved: boolean; approver: { id: string } };
  requester?: { id: string; assurance: string };
  resumed?: true;
}

describe('docs/guides/ai-sdk.md, run as written', () => {
  it('runs a real generateText loop whose calls are decided, approved, executed and recorded', () => {
    const page = pageBlocks('docs/guides/ai-sdk.md');
    // "Wrap the tools" and the approval continuation (the page marks it `check: continue`)
    const wrap = page.ts.find((b) => b.includes('writTools(') && b.includes('const settings'));
    const resume = page.ts.find((b) => b.includes("type: 'tool-approval-response'"));
    expect(wrap).toBeDefined();
    expect(resume).toBeDefined();
    const dir = scratchDir('ai-sdk-guide');
    dirs.push(dir);
    const run = runModule(dir, 'agent.ts', `${RUNTIME}\n${wrap}\n${resume}\n`);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // the approved refund ran once, after the human's answer, and the model was told
    expect(run.stdout.match(/REFUNDED 42 250/g)).toHaveLength(1);
    expect(run.stdout).toContain('MODEL: refunded 250 on order 42');

    const records = logRecords(join(dir, '.writ', 'audit')) as unknown as StoredRecord[];
    const decisions = records.filter((r) => r.kind === 'decision');
    const decided = (name: string) =>
      decisions.filter((r) => r.call?.name === name).map((r) => r.decision?.effect);
    expect(decided('lookup_order')).toEqual(['allow']);
    expect(decided('refund_order')).toEqual(['approval_required']);
    expect(records.filter((r) => r.kind === 'approval').map((r) => r.approval)).toMatchObject([
      { approved: true, approver: { id: 'alice@example.com' } },
    ]);
    expect(records.filter((r) => r.kind === 'outcome').map((r) => r.outcome?.status)).toEqual(['ok', 'ok']);
    for (const r of decisions)
      expect(r.requester).toMatchObject({ id: 'alice@example.com', assurance: 'verified' });
    // two requests of the conversation, one task: the second continues the one that asked
    const starts = records.filter((r) => r.kind === 'task-start');
    expect(starts).toHaveLength(2);
    expect(starts[1]).toMatchObject({ taskId: starts[0]?.taskId, resumed: true });
    for (const r of [...decisions, ...records.filter((r) => r.kind === 'outcome')])
      expect(r.taskId).toBe(starts[0]?.taskId);

    // pinned with the key the signing key in .writ/keys gives (never the log's own log.json)
    const [keys] = runShell(dir, ['npx writ keys show --json'], {});
    const { verifierKeys } = JSON.parse(keys?.stdout ?? '{}') as { verifierKeys: { verifierKey: string }[] };
    expect(verifierKeys).toHaveLength(1);
    const [verify] = runShell(dir, ['npx writ verify .writ/audit --key "$WRIT_VERIFIER_KEY"'], {
      WRIT_VERIFIER_KEY: verifierKeys[0]?.verifierKey,
    });
    // every record verifies with the pinned key; no checkpoint kept elsewhere anchors it (exit 4)
    expect(verify?.status, verify?.stderr).toBe(4);
    expect(verify?.stdout).toMatch(/^✔ verified, unanchored /);
  });
});
