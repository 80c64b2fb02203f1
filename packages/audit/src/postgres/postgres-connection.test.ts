import { WritError } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { optionsProblem } from '../__support__/options.js';
import {
  checkLogId,
  connectionOptionsSchema,
  logIdSchema,
  pageSizeSchema,
  safeConnectionString,
  unavailable,
} from './postgres-connection.js';

const pool = { connect: async () => ({}), query: async () => ({ rows: [] }), end: async () => {} };
const schema = connectionOptionsSchema({
  pageSize: pageSizeSchema.optional(),
  logId: logIdSchema.optional(),
});
const problem = (options: unknown): string => optionsProblem(schema, options, 'fn');

describe('PostgreSQL connection options', () => {
  it('take exactly one of pool and connectionString, a lower-case schema, and the extra options', () => {
    expect(problem({ pool })).toBe('valid');
    expect(problem({ connectionString: 'postgres://db/app', schema: 'writ_audit', pageSize: 10 })).toBe(
      'valid',
    );
    expect(problem({})).toBe('fn: options.pool: give exactly one of pool and connectionString');
    expect(problem({ pool, connectionString: 'postgres://db/app' })).toBe(
      'fn: options.pool: give exactly one of pool and connectionString',
    );
    expect(problem({ pool: {} })).toBe(
      'fn: options.pool: must be a pg.Pool (or implement connect() and query())',
    );
    expect(problem({ pool, schema: 'Writ' })).toMatch(
      /^fn: options\.schema: must be a lower-case SQL identifier/,
    );
    expect(problem({ pool, pageSize: 0 })).toMatch(/^fn: options\.pageSize: /);
    expect(problem({ pool, logId: '-x' })).toBe(
      'fn: options.logId: must be 1-128 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)',
    );
    expect(problem({ pool, extra: 1 })).toBe('fn: options: unknown option(s) "extra"');
  });

  it('check log ids given as arguments the same way', () => {
    expect(() => checkLogId('support-agent.1', 'readPostgresLog')).not.toThrow();
    for (const bad of ['', 'x y', '.x', 'a'.repeat(129), 42]) {
      expect(() => checkLogId(bad, 'readPostgresLog')).toThrow(
        'readPostgresLog: logId must be 1-128 characters of A-Z a-z 0-9 . _ - (starting with a letter or digit)',
      );
    }
  });

  it('never echo credentials, and turn driver failures into WRIT_AUDIT_UNAVAILABLE but keep our own refusals', () => {
    expect(safeConnectionString('postgres://writer:s3cret@db.internal:5432/app?sslmode=require')).toBe(
      'postgres://db.internal:5432/app',
    );
    expect(safeConnectionString('not a url with s3cret')).toBe('(a PostgreSQL connection string)');
    const driver = unavailable('could not connect to PostgreSQL', new Error('ECONNREFUSED'), { logId: 'a' });
    expect(driver).toMatchObject({
      code: 'WRIT_AUDIT_UNAVAILABLE',
      message: 'could not connect to PostgreSQL: ECONNREFUSED',
      details: { logId: 'a' },
    });
    const ours = new WritError('WRIT_OPTIONS_INVALID', 'invalid schema name "X"');
    expect(unavailable('could not prepare the Writ tables', ours)).toBe(ours);
  });
});
