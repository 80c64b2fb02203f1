// Runs the BUILT binary (node packages/cli/dist/bin.js) as a subprocess: build before running.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCli, tempDir } from '../__support__/cli.js';

const policyError = z.strictObject({
  code: z.string(),
  message: z.string(),
  file: z.string().nullable(),
  line: z.number().int().positive().nullable(),
  column: z.number().int().positive().nullable(),
});
const validateJson = z.strictObject({
  ok: z.boolean(),
  policies: z.array(z.string()),
  schema: z.string().nullable(),
  error: policyError.nullable(),
});
const testJson = z.strictObject({
  ok: z.boolean(),
  total: z.number().int(),
  passed: z.number().int(),
  failed: z.number().int(),
  cases: z.array(
    z.strictObject({
      name: z.string(),
      expect: z.enum(['allow', 'deny', 'approval_required']),
      effect: z.enum(['allow', 'deny', 'approval_required']),
      pass: z.boolean(),
      policyIds: z.array(z.string()),
      reasons: z.array(z.string()),
      errors: z.array(z.string()),
    }),
  ),
  error: policyError.nullable(),
});

const GOOD = `@id("reads") permit (principal, action == Writ::Action::"call_tool", resource) when { resource.readOnly };
@id("no-prod-deletes") @reason("no deletes in production")
forbid (principal, action == Writ::Action::"call_tool", resource) when { resource.destructive && context.environment == "production" };
`;
// line 3, a syntax error
const BROKEN = `// agents
@id("reads") permit (principal, action == Writ::Action::"call_tool", resource) when { resource.readOnly };
permit (principal, action, resource) when { context.inScope &&& true };
`;
// parses, but `context.nonsense` is not in the Writ schema (line 2)
const INVALID = `
@id("typo") permit (principal, action == Writ::Action::"call_tool", resource) when { context.nonsense };
`;

/** Cases against the policy set shipped with Writ. */
const CASES = [
  {
    name: 'read-only tools are allowed even out of scope',
    request: { action: { name: 'lookup_order', properties: { readOnly: true } }, context: { scope: [] } },
    expect: 'allow',
  },
  {
    name: 'in-scope medium-risk writes are allowed',
    request: {
      action: { name: 'update_order', properties: { risk: 'medium', permission: 'orders:write' } },
      context: { scope: ['orders:*'] },
    },
    expect: 'allow',
  },
  {
    name: 'refunds need a human approval',
    request: {
      subject: { properties: { requester: { id: 'alice@example.com' } } },
      action: { name: 'refund_order', properties: { risk: 'high', permission: 'orders:refund' } },
      resource: { type: 'Order', id: '42' },
    },
    expect: 'approval_required',
  },
  {
    name: 'destructive drift is denied',
    request: {
      action: { name: 'delete_customer', properties: { permission: 'customers:delete' } },
      context: { scope: ['orders:*'] },
    },
    expect: 'deny',
  },
];

let dir: string;
beforeAll(async () => {
  dir = await tempDir('writ-cli-policy-');
  await writeFile(join(dir, 'good.cedar'), GOOD);
  await writeFile(join(dir, 'broken.cedar'), BROKEN);
  await writeFile(join(dir, 'invalid.cedar'), INVALID);
  await writeFile(join(dir, 'cases.json'), JSON.stringify(CASES));
  await writeFile(
    join(dir, 'failing.json'),
    JSON.stringify([
      ...CASES,
      { name: 'deletes are fine (wrong)', request: CASES[3]?.request, expect: 'allow' },
    ]),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent('writ policy validate', () => {
  it('accepts the shipped policy set and your own files', async () => {
    const shipped = await runCli(['policy', 'validate']);
    expect(shipped.code).toBe(0);
    expect(shipped.stdout).toMatch(/^✔ valid: 4 policies against .*writ\.cedarschema/);
    expect(shipped.stdout).toContain('default.cedar#high-risk-needs-approval');
    const own = await runCli(['policy', 'validate', '--policies', 'good.cedar', '--json'], { cwd: dir });
    expect(own.code).toBe(0);
    expect(validateJson.parse(JSON.parse(own.stdout))).toMatchObject({
      ok: true,
      policies: ['good.cedar#reads', 'good.cedar#no-prod-deletes'],
      error: null,
    });
  });

  it('exits 1 for a syntax error, naming file:line:column', async () => {
    const r = await runCli(['policy', 'validate', '--policies', join(dir, 'broken.cedar')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✖ policies are invalid');
    expect(r.stdout).toMatch(/WRIT_POLICY_INVALID: .*broken\.cedar:3:\d+/);
    expect(r.stdout).toMatch(/--> .*broken\.cedar:3:\d+/);
  });

  it('exits 1 for a policy the schema rejects; --no-schema skips the schema', async () => {
    const r = await runCli(['policy', 'validate', '--policies', join(dir, 'invalid.cedar'), '--json']);
    expect(r.code).toBe(1);
    expect(validateJson.parse(JSON.parse(r.stdout)).error).toMatchObject({
      file: join(dir, 'invalid.cedar'),
      line: 2,
    });
    const loose = await runCli([
      'policy',
      'validate',
      '--policies',
      join(dir, 'invalid.cedar'),
      '--no-schema',
    ]);
    expect(loose.code).toBe(0);
    expect(loose.stdout).toContain('(no schema)');
  });

  it('exits 3 when a policy path cannot be read', async () => {
    const r = await runCli(['policy', 'validate', '--policies', join(dir, 'missing.cedar')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^WRIT_POLICY_INVALID: policy path .*missing\.cedar cannot be read/);
  });
});

describe.concurrent('writ policy test', () => {
  it('passes every case against the shipped policies (exit 0)', async () => {
    const r = await runCli(['policy', 'test', join(dir, 'cases.json')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const c of CASES) expect(r.stdout).toContain(`✔ ${c.name}`);
    expect(r.stdout).toContain('4 passed, 0 failed (4 cases)');
  });

  it('exits 1 and explains each failing case; --json reports every case', async () => {
    const r = await runCli(['policy', 'test', join(dir, 'failing.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /✖ deletes are fine \(wrong\): expected allow, got deny by default\.cedar#destructive-out-of-scope/,
    );
    expect(r.stdout).toContain('destructive tools outside the task scope are denied');
    expect(r.stdout).toContain('4 passed, 1 failed (5 cases)');
    const json = testJson.parse(
      JSON.parse((await runCli(['policy', 'test', join(dir, 'failing.json'), '--json'])).stdout),
    );
    expect(json).toMatchObject({ ok: false, total: 5, passed: 4, failed: 1, error: null });
    expect(json.cases.map((c) => [c.effect, c.pass])).toEqual([
      ['allow', true],
      ['allow', true],
      ['approval_required', true],
      ['deny', true],
      ['deny', false],
    ]);
  });

  it('tests your own policies (--policies)', async () => {
    const cases = join(dir, 'own.json');
    await writeFile(
      cases,
      JSON.stringify([
        {
          name: 'reads',
          request: { action: { name: 'lookup', properties: { readOnly: true } } },
          expect: 'allow',
        },
        {
          name: 'no deletes in production',
          request: { action: { name: 'purge' }, context: { environment: 'production' } },
          expect: 'deny',
        },
        { name: 'writes are not permitted at all', request: { action: { name: 'update' } }, expect: 'deny' },
      ]),
    );
    const r = await runCli(['policy', 'test', cases, '--policies', join(dir, 'good.cedar'), '--json']);
    expect(r.code).toBe(0);
    const json = testJson.parse(JSON.parse(r.stdout));
    expect(json.cases.map((c) => c.policyIds)).toEqual([
      ['good.cedar#reads'],
      ['good.cedar#no-prod-deletes'],
      [],
    ]);
    const broken = await runCli(['policy', 'test', cases, '--policies', join(dir, 'broken.cedar')]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/broken\.cedar:3:\d+/);
  });

  it('exits 3 for a cases file that is unreadable, not JSON or not cases; 2 without one', async () => {
    const missing = await runCli(['policy', 'test', join(dir, 'nope.json')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^ENOENT: no such file/);
    await writeFile(join(dir, 'garbage.json'), '[{');
    const garbage = await runCli(['policy', 'test', join(dir, 'garbage.json')]);
    expect(garbage.code).toBe(3);
    expect(garbage.stderr).toMatch(/^WRIT_INPUT_INVALID: .*is not JSON/);
    await writeFile(
      join(dir, 'wrong.json'),
      JSON.stringify([{ name: 'x', request: { action: {} }, expect: 'allow' }]),
    );
    const wrong = await runCli(['policy', 'test', join(dir, 'wrong.json')]);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/^WRIT_INPUT_INVALID: cases\.0\.request\.action\.name: /);
    expect((await runCli(['policy', 'test'])).code).toBe(2);
  });
});

describe.concurrent('writ policy test --extend-context', () => {
  const MARKED = `@id("marked") permit (principal, action == Writ::Action::"call_tool", resource) when { context has marker && context.marker == "yes" };\n`;
  const MARK_CASES = [
    { name: 'marked calls are allowed', request: { action: { name: 'any' } }, expect: 'allow' },
  ];

  it('adds the context entries of the module (path or package) to every case; without it they are missing', async () => {
    await writeFile(join(dir, 'marked.cedar'), MARKED);
    await writeFile(join(dir, 'mark-cases.json'), JSON.stringify(MARK_CASES));
    await writeFile(join(dir, 'mark.mjs'), "export const extendContext = () => ({ marker: 'yes' });\n");
    await writeFile(join(dir, 'mark-default.mjs'), "export default () => ({ marker: 'yes' });\n");
    const base = ['policy', 'test', 'mark-cases.json', '--policies', 'marked.cedar', '--no-schema'];
    expect((await runCli([...base, '--extend-context', './mark.mjs'], { cwd: dir })).code).toBe(0);
    expect(
      (await runCli([...base, '--extend-context', join(dir, 'mark-default.mjs')], { cwd: dir })).code,
    ).toBe(0);
    const without = await runCli(base, { cwd: dir });
    expect(without.code).toBe(1);
    expect(without.stdout).toContain('expected allow, got deny');
  });

  it('refuses a module it cannot find, or one without an extendContext function (exit 3, typed)', async () => {
    await writeFile(join(dir, 'not-a-function.mjs'), 'export const extendContext = 42;\n');
    const base = ['policy', 'test', join(dir, 'cases.json')];
    const missing = await runCli([...base, '--extend-context', '@writ/does-not-exist'], { cwd: dir });
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(
      /^WRIT_INPUT_INVALID: --extend-context: @writ\/does-not-exist cannot be found/,
    );
    const notFunction = await runCli([...base, '--extend-context', './not-a-function.mjs'], { cwd: dir });
    expect(notFunction.code).toBe(3);
    expect(notFunction.stderr).toMatch(/exports no extendContext function/);
  });
});
