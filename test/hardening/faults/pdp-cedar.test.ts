// Issue 9 item 2, embedded Cedar: policies that validate at load but fail at evaluation. Cedar itself skips
// an erroring policy and decides on the rest; Writ must deny instead, record the error, and never run the tool.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCedarEngine, defaultPolicyPaths } from '@writ/policy';
import { afterEach, describe, expect, it } from 'vitest';
import { expectFailedClosed, expectRan, type Harness, startHarness } from './support.js';

const harnesses: Harness[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.dispose();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function withPolicies(policies: string, schemaEdit?: (schema: string) => string): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'writ-faults-cedar-'));
  dirs.push(dir);
  const file = join(dir, 'faulty.cedar');
  await writeFile(file, policies);
  let schema: string | undefined;
  if (schemaEdit !== undefined) {
    schema = join(dir, 'edited.cedarschema');
    await writeFile(schema, schemaEdit(await readFile(defaultPolicyPaths().schema, 'utf8')));
  }
  // zero-config settings: the policy files (and schema) are the only thing configured
  const h = await startHarness({
    dir,
    policy: { policies: file, ...(schema === undefined ? {} : { schema }) },
    timeouts: { policyMs: 200 },
  });
  harnesses.push(h);
  return h;
}

const ALLOW_READS =
  '@id("reads") permit (principal, action == Writ::Action::"call_tool", resource) when { resource.readOnly };\n';

describe('embedded Cedar (zero-config createWrit): evaluation errors deny, are recorded, and the tool never runs', () => {
  it('baseline: the same setup allows the read when nothing errors', async () => {
    const h = await withPolicies(ALLOW_READS);
    await expectRan(h, 'cedar-ok', await h.call('cedar-ok'));
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it.each([
    [
      'integer overflow in a forbid (context.chainDepth + i64 max)',
      `${ALLOW_READS}@id("overflow") forbid (principal, action, resource) when { context.chainDepth + 9223372036854775807 > 0 };\n`,
      /faulty\.cedar#overflow: .*overflow/i,
    ],
    [
      'an erroring permit beside a matching permit (Cedar alone would allow)',
      `${ALLOW_READS}@id("erroring-permit") permit (principal, action, resource) when { context.chainDepth * 9223372036854775807 * 2 > 0 };\n`,
      /faulty\.cedar#erroring-permit: .*overflow/i,
    ],
    [
      'integer underflow below i64 min',
      `${ALLOW_READS}@id("underflow") forbid (principal, action, resource) when { -9223372036854775807 - context.chainDepth - 1 < 0 };\n`,
      /faulty\.cedar#underflow: .*overflow/i,
    ],
    [
      'a datetime offset past the representable range',
      `${ALLOW_READS}@id("datetime") forbid (principal, action, resource) when { datetime("2024-01-01").offset(duration("9223372036854775807ms")) > datetime("2024-01-01") };\n`,
      /faulty\.cedar#datetime: /,
    ],
  ])('%s', async (_name, policies, fault) => {
    const h = await withPolicies(policies);
    const orderId = `cedar-${harnesses.length}`;
    await expectFailedClosed(h, orderId, await h.call(orderId), {
      code: 'WRIT_POLICY_DENIED',
      engine: 'cedar',
      fault,
    });
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it.each([
    [
      'a required context attribute Writ does not send (missing attribute)',
      (s: string) => s.replace('argsDigest: String,', 'argsDigest: String,\n      ticket: String,'),
      /ticket/,
    ],
    [
      'an entity attribute of the wrong type (Tool.risk declared Long, sent as a String)',
      (s: string) =>
        s.replace('risk: String,                 // "low"', 'risk: Long,                 // "low"'),
      /risk/,
    ],
    [
      'a required entity attribute Writ does not send (Tool.owner)',
      (s: string) => s.replace('toolType: String,', 'toolType: String,\n    owner: String,'),
      /owner/,
    ],
  ])('a schema the request does not fit at evaluation: %s', async (_name, edit, fault) => {
    const h = await withPolicies(ALLOW_READS, edit);
    const orderId = `cedar-schema-${harnesses.length}`;
    await expectFailedClosed(h, orderId, await h.call(orderId), {
      code: 'WRIT_POLICY_DENIED',
      engine: 'cedar',
      fault,
    });
    expect((await h.closeAndVerify()).ok).toBe(true);
  });

  it.each([
    [
      'comparing values of different types (Long < String)',
      `${ALLOW_READS}@id("types") forbid (principal, action, resource) when { context.chainDepth < "3" };\n`,
      /embedded\.cedar#types: /,
    ],
    [
      'reading an attribute that is absent (context.requester in an autonomous task)',
      `${ALLOW_READS}@id("absent") forbid (principal, action, resource) when { context.requester.assurance == "asserted" };\n`,
      /embedded\.cedar#absent: .*requester/,
    ],
    [
      'reading an entity attribute nobody set (resource.owner)',
      `${ALLOW_READS}@id("no-attr") forbid (principal, action, resource) when { resource.owner == "ops" };\n`,
      /embedded\.cedar#no-attr: .*owner/,
    ],
  ])(
    'the embedded engine without a schema (createCedarEngine, schema: false): %s',
    async (_name, source, fault) => {
      const policy = await createCedarEngine({ sources: { 'embedded.cedar': source }, schema: false });
      const h = await startHarness({ policy, requester: false, timeouts: { policyMs: 200 } });
      harnesses.push(h);
      const orderId = `cedar-free-${harnesses.length}`;
      // no requester: an autonomous task, so context.requester is absent
      await expectFailedClosed(h, orderId, await h.call(orderId), {
        code: 'WRIT_POLICY_DENIED',
        engine: 'cedar',
        fault,
      });
      expect((await h.closeAndVerify()).ok).toBe(true);
    },
  );
});
