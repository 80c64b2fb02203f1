import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatIssues } from './format-issues.js';
import { functionSchema } from './schemas.js';
import { isStandardSchema } from './standard-schema.js';

describe('formatIssues', () => {
  const issuesOf = (schema: z.ZodType, value: unknown) => {
    const result = schema.safeParse(value);
    if (result.success) throw new Error('expected issues');
    return result.error.issues;
  };

  it('renders dotted paths under a root, the root alone for the whole value, (root) without one', () => {
    const schema = z.strictObject({
      timeouts: z.object({ policyMs: z.number() }),
      scope: z.array(z.string()),
    });
    expect(
      formatIssues(issuesOf(schema, { timeouts: { policyMs: 'x' }, scope: [1] }), { root: 'options' }),
    ).toEqual([
      'options.timeouts.policyMs: Invalid input: expected number, received string',
      'options.scope.0: Invalid input: expected string, received number',
    ]);
    expect(formatIssues(issuesOf(z.string(), 1), { root: 'document' })).toEqual([
      'document: Invalid input: expected string, received number',
    ]);
    expect(formatIssues([{ message: 'bad', path: [] }])).toEqual(['(root): bad']);
    expect(formatIssues([{ message: 'bad', path: [{ key: 'items' }, 0] }])).toEqual(['items.0: bad']);
  });

  it('names unknown keys (options vs keys) and keeps at most `limit` issues', () => {
    const schema = z.strictObject({ a: z.string() });
    expect(formatIssues(issuesOf(schema, { a: 'x', colour: 1, size: 2 }), { root: 'options' })).toEqual([
      'options: unknown option(s) "colour", "size"',
    ]);
    expect(formatIssues(issuesOf(schema, { a: 'x', colour: 1 }), { root: 'resume' })).toEqual([
      'resume: unknown key(s) "colour"',
    ]);
    expect(
      formatIssues(
        Array.from({ length: 5 }, (_, i) => ({ message: `m${i}` })),
        { limit: 2 },
      ),
    ).toHaveLength(2);
  });
});

describe('functionSchema and isStandardSchema', () => {
  it('functionSchema accepts only functions, with the message given', () => {
    const schema = functionSchema('must be a clock');
    expect(schema.safeParse(() => 1).success).toBe(true);
    const result = schema.safeParse(42);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('must be a clock');
  });

  it('isStandardSchema recognises zod and hand-written Standard Schemas only', () => {
    expect(isStandardSchema(z.string())).toBe(true);
    expect(isStandardSchema({ '~standard': { validate: () => ({ value: 1 }) } })).toBe(true);
    expect(isStandardSchema({ '~standard': {} })).toBe(false);
    expect(isStandardSchema(null)).toBe(false);
    expect(isStandardSchema('z.string()')).toBe(false);
  });
});
