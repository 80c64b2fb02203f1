import { readFile } from 'node:fs/promises';
import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { defaultPolicyPaths } from './cedar-engine.js';
import { loadCedarPolicySet } from './policy-set.js';

let n = 0;
const nextId = () => `policy-set-test-${++n}`;
const shipped = defaultPolicyPaths();

async function loadFailure(promise: Promise<unknown>): Promise<WritError> {
  const error = await promise.catch((e: unknown) => e);
  expect(WritError.isInstance(error, 'WRIT_POLICY_INVALID')).toBe(true);
  return error as WritError;
}

describe('loadCedarPolicySet (real Cedar)', () => {
  it('reads the policy files, validates them against the schema and keeps them under one id', async () => {
    const set = await loadCedarPolicySet({ paths: [shipped.policies], schemaPath: shipped.schema, nextId });
    expect(Object.keys(set.loaded.policies)).toEqual([
      'default.cedar#read-only-tools',
      'default.cedar#in-scope-writes',
      'default.cedar#high-risk-needs-approval',
      'default.cedar#destructive-out-of-scope',
    ]);
    expect(set.setId).toBe(`policy-set-test-${n}`);
    expect(set.schemaName).toBe(set.setId);
    expect(set.loaded.annotations.get('default.cedar#high-risk-needs-approval')).toMatchObject({
      approval: 'required',
    });
  });

  it('takes inline sources and schema text; without a schema nothing is validated', async () => {
    const schemaText = await readFile(shipped.schema, 'utf8');
    const sources = { 'p.cedar': '@id("all") permit (principal, action, resource);' };
    const withSchema = await loadCedarPolicySet({ sources, paths: ['/nowhere'], schemaText, nextId });
    expect(Object.keys(withSchema.loaded.policies)).toEqual(['p.cedar#all']);
    expect(withSchema.schemaName).toBeDefined();
    const loose = await loadCedarPolicySet({
      sources: { 'q.cedar': 'permit (principal, action, resource) when { resource.anything };' },
      paths: [],
      schemaPath: false,
      nextId,
    });
    expect(loose.schemaName).toBeUndefined();
    expect(Object.keys(loose.loaded.policies)).toEqual(['q.cedar#0']);
  });

  it('fails a load with any schema validation error (Cedar reports success), naming file, line and policy', async () => {
    const sources = {
      'typo.cedar':
        '\n\n@id("typo")\npermit (principal, action == Writ::Action::"call_tool", resource)\nwhen { resource.readonly };\n',
    };
    const error = await loadFailure(
      loadCedarPolicySet({ sources, paths: [], schemaPath: shipped.schema, nextId }),
    );
    expect(error.details).toMatchObject({ file: 'typo.cedar', line: 5, policyId: 'typo.cedar#typo' });
    expect(error.message).toMatch(/policy typo\.cedar#typo does not validate against the schema/);
  });

  it('an unreadable schema file fails the load before any id is taken', async () => {
    let asked = 0;
    const error = await loadFailure(
      loadCedarPolicySet({
        paths: [shipped.policies],
        schemaPath: '/nowhere/writ.cedarschema',
        nextId: () => `unused-${++asked}`,
      }),
    );
    expect(error.details).toMatchObject({ file: '/nowhere/writ.cedarschema' });
    expect(asked).toBe(0);
  });
});
