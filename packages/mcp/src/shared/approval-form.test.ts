import { describe, expect, it } from 'vitest';
import { APPROVAL_SCHEMA, APPROVAL_SCHEMA_WITH_TOKEN, supportsFormElicitation } from './approval-form.js';

describe('supportsFormElicitation', () => {
  it('is true for form elicitation, and for an empty elicitation capability (form, per the spec)', () => {
    expect(supportsFormElicitation({ elicitation: {} })).toBe(true);
    expect(supportsFormElicitation({ elicitation: { form: {} } })).toBe(true);
    expect(supportsFormElicitation({ elicitation: { form: {}, url: {} } })).toBe(true);
  });

  it('is false without the capability, or with URL elicitation only', () => {
    expect(supportsFormElicitation(undefined)).toBe(false);
    expect(supportsFormElicitation({})).toBe(false);
    expect(supportsFormElicitation({ elicitation: { url: {} } })).toBe(false);
  });
});

describe('the approval forms', () => {
  it('are flat, with primitive fields only (what form elicitation allows); only the verifying server asks for a token', () => {
    for (const form of [APPROVAL_SCHEMA, APPROVAL_SCHEMA_WITH_TOKEN]) {
      expect(form.type).toBe('object');
      expect(form.required).toEqual(['approve']);
      for (const field of Object.values(form.properties)) {
        expect(['boolean', 'string']).toContain(field.type);
      }
    }
    expect(Object.keys(APPROVAL_SCHEMA.properties)).toEqual(['approve', 'reason']);
    expect(Object.keys(APPROVAL_SCHEMA_WITH_TOKEN.properties)).toEqual([
      'approve',
      'reason',
      'approverToken',
    ]);
  });
});
