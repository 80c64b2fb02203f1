import { functionSchema } from '@writ/core/internal';
import { z } from 'zod';
import { connectionShape, ident } from './pg-pool.js';
import { rowSignerSchema } from './row-signer.js';

/**
 * The options every signed store takes (the call ledger, the approvals): a connection, the row signer,
 * whether to create its tables, and the clock. @internal
 */
export const signedStoreShape = {
  ...connectionShape,
  signer: rowSignerSchema,
  migrate: z.boolean().optional(),
  clock: functionSchema<() => number>().optional(),
};

/** The start of a store's DDL: its schema, then `CREATE TABLE IF NOT EXISTS <schema>.<table> (<columns>)`. @internal */
export function tableDdl(schema: string, table: string, columns: string): string[] {
  const s = ident(schema);
  return [`CREATE SCHEMA IF NOT EXISTS ${s}`, `CREATE TABLE IF NOT EXISTS ${s}.${table} (${columns})`];
}
