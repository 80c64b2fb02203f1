// The pack's `writ policy test` cases, run by the BUILT CLI (node packages/cli/dist/bin.js) exactly as a
// user runs them: build first (npx turbo run build). The same cases without the facts fail, which shows
// they test the pack and not Cedar's default deny.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { codingPolicyPaths } from './policy-sources.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = `${ROOT}packages/cli/dist/bin.js`;

interface Result {
  ok: boolean;
  total: number;
  passed: number;
  failed: number;
  cases: { name: string; expect: string; effect: string; pass: boolean; policyIds: string[] }[];
}

function policyTest(extra: readonly string[]): Promise<{ code: number; json: Result }> {
  const { dir, schema, cases } = codingPolicyPaths();
  const args = [BIN, 'policy', 'test', cases, '--policies', dir, '--schema', schema, '--json', ...extra];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 }, (error, stdout) => {
      if (error !== null && typeof error.code !== 'number') return reject(error);
      resolve({ code: error === null ? 0 : (error.code as number), json: JSON.parse(stdout) as Result });
    });
  });
}

describe('writ policy test over the coding-agent pack (built CLI)', () => {
  it('every case passes, with ≥ 60 cases across allow, approval and deny', async () => {
    const { code, json } = await policyTest(['--extend-context', '@writ/coding-policy']);
    const failing = json.cases
      .filter((c) => !c.pass)
      .map((c) => `${c.name}: expected ${c.expect}, got ${c.effect}`);
    expect(failing).toEqual([]);
    expect(code).toBe(0);
    const count = (effect: string) => json.cases.filter((c) => c.expect === effect).length;
    console.log(
      `coding-agent pack: ${json.total} cases, ${count('allow')} allow, ${count('approval_required')} approval, ${count('deny')} deny`,
    );
    expect(json.total).toBeGreaterThanOrEqual(60);
    for (const effect of ['allow', 'approval_required', 'deny'])
      expect(count(effect)).toBeGreaterThanOrEqual(15);
    // every policy of the pack decides at least one case
    const used = new Set(json.cases.flatMap((c) => c.policyIds));
    const ids = ['coding-files.cedar', 'coding-shell.cedar', 'coding-network.cedar'].flatMap((file) =>
      [...readFileSync(`${codingPolicyPaths().dir}${file}`, 'utf8').matchAll(/@id\("([^"]+)"\)/g)].map(
        (m) => `${file}#${m[1]}`,
      ),
    );
    expect(ids.length).toBeGreaterThanOrEqual(20);
    expect(ids.filter((id) => !used.has(id))).toEqual([]);
  });

  it('without the facts (no --extend-context) the allow and approval cases fail: the cases can fail', async () => {
    const { code, json } = await policyTest([]);
    expect(code).toBe(1);
    expect(json.failed).toBeGreaterThanOrEqual(40);
  });
});
