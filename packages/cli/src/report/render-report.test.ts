import { createHash } from 'node:crypto';
import type { CallNode, TaskNode, VerifyResult } from '@writ/audit';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from './escape-html.js';
import { REPORT_CSP, renderReport } from './render-report.js';
import { type ReportModel, verdictOf } from './report-model.js';

const EVIL = `"><script>alert(1)</script><img src=x onerror=alert(2)>'&`;

function call(over: Partial<CallNode> & { effect?: CallNode['decision']['effect'] } = {}): CallNode {
  const { effect = 'allow', ...rest } = over;
  return {
    callId: EVIL,
    tool: EVIL,
    index: 3,
    decision: {
      effect,
      policyIds: [EVIL],
      reasons: [EVIL],
      decisionId: EVIL,
      engine: EVIL,
      evaluatedContext: undefined as never,
    },
    scopeDrift: undefined,
    refusal: undefined,
    approval: undefined,
    credential: { jti: EVIL, type: EVIL, audience: EVIL, expiresAt: 1 },
    outcome: { status: 'ok', durationMs: 1, errorCode: EVIL },
    records: [],
    ...rest,
  };
}

function task(calls: CallNode[], delegations: TaskNode[] = []): TaskNode {
  const agent = { kind: 'agent' as const, id: EVIL, name: EVIL, assurance: 'verified' as const };
  return {
    taskId: EVIL,
    parentTaskId: undefined,
    correlationId: EVIL,
    intent: EVIL,
    requester: { kind: 'human', id: EVIL, issuer: EVIL, assurance: 'verified' },
    chain: [agent],
    scope: [EVIL],
    status: 'refused',
    refusal: { code: EVIL as 'WRIT_INTERNAL', message: EVIL }, // a tampered log can say anything
    credential: undefined,
    calls,
    delegations,
    revoked: [],
    end: { status: 'error', errorCode: EVIL },
    records: [],
  };
}

const failed: VerifyResult = {
  ok: false,
  state: 'failed',
  origin: EVIL,
  records: 4,
  checkpoints: 0,
  sealed: 0,
  covered: 0,
  root: EVIL,
  keyPinned: false,
  firstBadIndex: 2,
  reason: EVIL,
  unproven: ['nothing from record 2 on is proven'],
  warnings: [EVIL],
};

/** A verdict every check of which passed, in `state`. */
const passed = (state: 'anchored' | 'unanchored' | 'unpinned'): VerifyResult => ({
  ...failed,
  ok: true,
  state,
  keyPinned: state !== 'unpinned',
  ...(state === 'anchored' ? { anchorSize: 4 } : {}),
  firstBadIndex: undefined,
  reason: undefined,
  unproven: state === 'anchored' ? [] : ['rollback: the whole log could be an older copy of itself'],
});

describe('renderReport', () => {
  it('escapes every string from the log: the only script is the report’s own, no element comes from the log', () => {
    const model: ReportModel = {
      title: EVIL,
      source: EVIL,
      generatedAt: EVIL,
      verification: failed,
      tasks: [task([call(), call({ effect: 'deny' })], [task([call({ effect: 'approval_required' })])])],
    };
    const html = renderReport(model);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('onerror=alert(2)>');
    expect(html).toContain(escapeHtml(EVIL));
    expect(html.match(/<tr data-verdict=/g)).toHaveLength(3);
    expect(html).toContain('data-status="failed" data-first-bad-index="2"');
  });

  it('pins its inline style and script by hash in the CSP, and references nothing external', () => {
    const html = renderReport({ source: '/log', generatedAt: 'now', verification: undefined, tasks: [] });
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const sha = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    expect(REPORT_CSP).toContain(`style-src ${sha(style)}`);
    expect(REPORT_CSP).toContain(`script-src ${sha(script)}`);
    expect(REPORT_CSP).toContain("default-src 'none'");
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`);
    expect(html).not.toMatch(/https?:/);
    expect(html).toContain('data-status="unverified"');
    expect(html).toContain('The log holds no tasks.');
  });
});

describe('the verification status and the evidence marks', () => {
  const page = (verification: VerifyResult | undefined, calls: CallNode[] = [call()]) =>
    renderReport({ source: '/log', generatedAt: 'now', verification, tasks: [task(calls)] });

  it('says what each state proves, and never calls a log verified whose key was not pinned', () => {
    expect(page(passed('anchored'))).toMatch(
      /data-status="anchored"><h2>✔ Log verified and anchored<\/h2>(?:(?!It cannot rule out).)*<\/section>/s,
    );
    const unanchored = page(passed('unanchored'));
    expect(unanchored).toContain('data-status="unanchored"><h2>✔ Log verified, unanchored</h2>');
    expect(unanchored).toContain(
      '<p>It cannot rule out:</p><ul class="unproven"><li>rollback: the whole log could be an older copy of itself</li></ul>',
    );
    const unpinned = page(passed('unpinned'));
    expect(unpinned).toContain(
      'data-status="unpinned"><h2>⚠ Unpinned: the key was read from the log itself</h2>',
    );
    expect(unpinned).not.toMatch(/Log verified|✔/);
    expect(page(undefined)).toContain('data-status="unverified"><h2>Not verified</h2>');
  });

  it('marks each call and task whose records do not verify or are not sealed yet, in the table and the graph', () => {
    const html = page(failed, [
      call({
        callId: 'ok',
        records: [{ index: 1, kind: 'decision', evidence: 'verified' }],
        evidence: 'verified',
      }),
      call({
        callId: 'changed',
        records: [
          { index: 2, kind: 'decision', evidence: 'failed' },
          { index: 3, kind: 'outcome', evidence: 'failed' },
        ],
        evidence: 'failed',
      }),
      call({
        callId: 'late',
        records: [{ index: 9, kind: 'outcome', evidence: 'unsealed' }],
        evidence: 'unsealed',
      }),
    ]);
    expect(html).toContain('<tr data-verdict="allow" data-call-id="ok">');
    expect(html).toContain('<tr data-verdict="allow" data-call-id="changed" data-evidence="failed">');
    expect(html).toContain(
      '<td class="evidence">✖ not verified: record 2 (decision), record 3 (outcome)</td>',
    );
    expect(html).toContain('<td class="evidence">⚠ not sealed yet: record 9 (outcome)</td>');
    expect(html).toContain('<td class="evidence">verified</td>');
    expect(html).toMatch(
      /<g class="node call verdict-allow" data-call-id="changed" data-verdict="allow" data-evidence="failed"/,
    );
    expect(html).toMatch(
      /<g class="node call verdict-allow" data-call-id="ok" data-verdict="allow" tabindex/,
    );
  });
});

describe('verdictOf', () => {
  it('allow, approval (granted), deny, refused (approval refused or pipeline refusal)', () => {
    expect(verdictOf(call())).toBe('allow');
    expect(verdictOf(call({ effect: 'deny' }))).toBe('deny');
    const approval = { approved: true, approver: null, bindingHash: 'h' };
    expect(verdictOf(call({ effect: 'approval_required', approval }))).toBe('approval');
    expect(verdictOf(call({ effect: 'approval_required', approval: { ...approval, approved: false } }))).toBe(
      'refused',
    );
    expect(verdictOf(call({ refusal: { code: 'WRIT_SCOPE_EXCEEDED', message: 'x' } }))).toBe('refused');
  });
});

describe('escapeHtml', () => {
  it('shows bidi marks, embeddings, overrides and isolates as visible code points', () => {
    expect(escapeHtml('a\u202eb\u202cc\u2066d\u2069e\u200ff\u061cg')).toBe(
      'a[U+202E]b[U+202C]c[U+2066]d[U+2069]e[U+200F]f[U+061C]g',
    );
    expect(escapeHtml('\u05d0\u05d1 Hebrew letters stay')).toBe('\u05d0\u05d1 Hebrew letters stay');
  });

  it('escapes markup and quotes and drops control characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&\u0007</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});
