// Runs the BUILT binary (`node packages/cli/dist/bin.js demo`) as a user would: build first.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'writ-demo-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });

describe('writ demo (built binary)', () => {
  it('prints each decision, verify: OK, the authority-chain tree and where the HTML report is', () => {
    const result = run('demo');
    expect(result.status, result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/✔ allow\s+support-bot\s+lookup_order\(42\)/);
    expect(out).toMatch(/⏸ approved\s+support-bot\s+refund_order\(42, 250\)/);
    expect(out).toMatch(/✖ deny\s+billing-bot\s+delete_customer\(cus_7\)/);
    // the billing agent's model (a real AI SDK generateText loop) received the refusal as its tool result
    expect(out).toContain(
      'the model was told: "Refused by Writ (WRIT_POLICY_DENIED): delete_customer was denied by policy (cedar): destructive tools outside the task scope are denied. The tool was not run."',
    );
    expect(out).toContain('Vercel AI SDK generateText loops');
    expect(out).toMatch(/✖ refused\s+billing-bot\s+delegate ledger-bot/);
    expect(out).toContain('verify: OK, verified and anchored');
    expect(out).toContain('requester alice@example.com (verified)');
    expect(out).toContain('policies default.cedar#destructive-out-of-scope');
    expect(out).toContain('approval granted by maria@example.com');
    const report = /HTML report: (.+)/.exec(out)?.[1]?.trim() as string;
    expect(existsSync(report)).toBe(true);
  });

  it('--json gives the steps and the verification, and the log verifies with the CLI', async () => {
    const result = run('demo', '--json');
    expect(result.status, result.stderr).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.steps.map((s: { effect: string }) => s.effect)).toEqual([
      'allow',
      'approval_required',
      'deny',
      'refused',
    ]);
    expect(doc.verify).toMatchObject({ ok: true, state: 'anchored', keyPinned: true, unproven: [] });
    const verify = run(
      'verify',
      doc.auditDir,
      '--key',
      doc.verifierKey,
      '--checkpoint',
      doc.anchor,
      '--json',
    );
    expect(verify.status).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, state: 'anchored' });
    expect(await readFile(doc.report, 'utf8')).toContain('<svg');
  });
});
