// Issue 21 acceptance, the rows that need work landing in parallel (the same scenario as
// two-services.test.ts, examples/two-services):
// - branch h/carry (item 2): the callee's task-start records what the credential carried,
//   `inbound: { jti, audience, issuer, expiresAt, intentDigest?, requester?: { issuer, assurance },
//   callerLog?, callerSpanId? }`;
// - branch h/receipts (item 3): the caller's outcome records the callee's decision receipt,
//   `remote: [{ via, by, tool, receipt: { log, index, leafHash }, refusal? }]`, and a callee refusal
//   reaches the caller's outcome as a refusal with the callee's code, not `error Error`.
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { leafHash, readLines, type TaskNode } from '@writ/audit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../packages/cli/src/__support__/cli.js';
import { recordAt, startTwoServices, type TwoServicesScenario } from './two-services-run.js';

let scenario: TwoServicesScenario;
// biome-ignore lint/suspicious/noExplicitAny: the --json document is read field by field
let doc: any;

describe('issue 21 acceptance, carried claims and receipts', () => {
  beforeAll(async () => {
    scenario = await startTwoServices('writ-two-services-carried-');
    const json = await scenario.explainTask(['--json']);
    expect(json.stderr).toBe('');
    doc = JSON.parse(json.stdout);
  }, 90_000);
  afterAll(() => scenario?.cleanup());

  /** Each verified log's origin (`writ/audit/<id>`), as the verdicts name it. */
  const originOf = (log: string): string =>
    doc.logs.find((l: { log: string }) => l.log === log).verification.origin;
  const clerk = (): TaskNode => doc.tasks[0].delegations[0];

  it("the callee records what the credential carried: jti, audience, issuer, expiry, intent digest, the requester's IdP and assurance, the caller's log and span", async () => {
    const { run, desk, orders, op } = scenario;
    expect(doc.links).toHaveLength(3);
    const digests = new Set<string>();
    // a credential is cached per task and audience: it names the span of the call that obtained it
    const firstCall = [...doc.links].sort(
      (a: { caller: { index: number } }, b: { caller: { index: number } }) => a.caller.index - b.caller.index,
    )[0];
    const obtainedIn = (await recordAt(desk, firstCall.caller.index)).spanId;
    for (const link of doc.links) {
      const issued = await recordAt(desk, link.caller.index);
      const start = await recordAt(orders, link.callee.index);
      expect(start.inbound).toMatchObject({
        jti: issued.credential.jti,
        audience: [run.ordersUrl],
        issuer: 'spiffe://support.example',
        expiresAt: issued.credential.expiresAt,
        intentDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
        // the requester as the desk verified them: at the OpenID Provider, not at the desk's authority
        requester: { issuer: op.issuer, assurance: 'verified' },
        callerLog: originOf(desk.log),
        callerSpanId:
          issued.credential.jti === (await recordAt(desk, firstCall.caller.index)).credential.jti
            ? obtainedIn
            : issued.spanId,
      });
      digests.add(start.inbound.intentDigest);
    }
    expect(digests.size).toBe(1); // one task, one intent
  });

  it("the caller's outcome holds the callee's decision receipt: the orders log's origin, the decision's index and its leaf hash", async () => {
    const { desk, orders } = scenario;
    const leaves = new Map<number, string>();
    for await (const line of readLines(orders.log)) {
      const { i } = JSON.parse(line.bytes.toString()) as { i: number };
      leaves.set(i, leafHash(line.bytes).toString('hex'));
    }
    for (const link of doc.links) {
      const call = clerk().calls.find((c) => c.index === link.caller.index);
      const decision = call?.callees?.[0]?.calls[0];
      const outcome = await recordAt(desk, call?.records.find((r) => r.kind === 'outcome')?.index as number);
      expect(outcome?.outcome?.remote?.[0]?.receipt).toEqual({
        log: originOf(orders.log),
        index: decision?.index,
        leafHash: leaves.get(decision?.index as number),
      });
    }
  });

  it("the callee's record the caller holds a receipt for, deleted (the server's log cut back after the run's task-start, its checkpoint removed): a finding at the caller's record of that call", async () => {
    const { run, desk, orders, dir } = scenario;
    const refund = clerk().calls.find((c) => c.tool === 'refund_order');
    const decided = refund?.callees?.[0]?.calls[0]?.index as number;
    // the server's log cut back to the refund run's task-start: the link still joins, the receipted
    // decision is gone; without its checkpoint the rest still verifies
    const copy = join(dir, 'cut-orders');
    await cp(orders.log, copy, { recursive: true });
    await rm(join(copy, 'checkpoint'));
    const segment = join(copy, '000000000000.jsonl');
    const lines = (await readFile(segment, 'utf8')).split('\n');
    const start = refund?.callees?.[0]?.records[0]?.index as number;
    await writeFile(segment, `${lines.slice(0, start + 1).join('\n')}\n`);
    const json = await runCli([
      'explain',
      desk.log,
      copy,
      '--task',
      run.taskId,
      '--key',
      `${desk.log}=${desk.key}`,
      '--key',
      `${copy}=${orders.key}`,
      '--json',
    ]);
    expect(json.code).toBe(1);
    const found = JSON.parse(json.stdout);
    const at = new Set(refund?.records.map((r) => r.index));
    const finding = found.findings.find(
      (f: { log: string; index: number }) => f.log === desk.log && at.has(f.index),
    );
    expect(finding, `a finding naming the receipt for ${copy} record ${decided}`).toBeDefined();
  });

  it("a callee's refusal reaches the caller's outcome as a refusal with the callee's code, never `error Error`", async () => {
    const remote = (tool: string) => clerk().calls.find((c) => c.tool === tool)?.outcome?.remote ?? [];
    expect(remote('close_account')[0]?.refusal?.code).toBe('WRIT_POLICY_DENIED');
    expect(remote('lookup_invoice')[0]?.refusal?.code).toBe('WRIT_AUDIENCE_MISMATCH');
    // the text tree shows each as the callee's refusal, never as the tool's own `error Error`
    const text = await scenario.explainTask([]);
    for (const code of ['WRIT_POLICY_DENIED', 'WRIT_AUDIENCE_MISMATCH'])
      expect(text.stdout).toMatch(new RegExp(`outcome refused ${code} by \\S+ \\(reported by the callee`));
    expect(text.stdout).not.toMatch(/outcome error Error in/);
  });
});
