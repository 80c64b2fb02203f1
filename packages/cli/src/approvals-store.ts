import { WritError } from '@writ/core';
import type { ApprovalStore } from '@writ/core/plugin';
import type { Command } from 'commander';
import type { CommandContext } from './command-context.js';
import { EXIT_CODES } from './exit-codes.js';
import { missingOptionalPackage } from './optional-packages.js';

/**
 * What `writ approvals` needs beyond `@writ/cli`'s own packages: the PostgreSQL stores and the driver.
 * Optional peer dependencies of `@writ/cli`, loaded only by `writ approvals`.
 *
 * @example
 * ```ts
 * console.log(`npm install ${APPROVALS_PACKAGES.join(' ')}`);
 * ```
 */
export const APPROVALS_PACKAGES = Object.freeze(['@writ/postgres', 'pg'] as const);

/** The flags every `writ approvals` command takes to reach the store. */
export interface StoreFlags {
  db?: string;
  schema?: string;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * Adds `--db <url>` and `--schema <name>` to a `writ approvals` command.
 *
 * @example
 * ```ts
 * addStoreOptions(approvals.command('list'));
 * ```
 */
export function addStoreOptions(command: Command): Command {
  return command
    .option('--db <url>', 'PostgreSQL URL of the shared store (default: $DATABASE_URL)')
    .option('--schema <name>', 'PostgreSQL schema holding the approvals table (default writ)');
}

/** The approval store the command reads and answers, and how to let it go. */
export interface OpenedStore {
  readonly store: ApprovalStore;
  /** The database, without its password (for messages). */
  readonly label: string;
  close(): Promise<void>;
}

/**
 * Opens the shared approval store of `@writ/postgres` (never creating tables: a runtime does that) at
 * `--db` or `DATABASE_URL`, its rows checked with the key in `WRIT_STORE_KEY` (the runtimes' key: a row
 * that fails is refused, `WRIT_STORE_TAMPERED`). A missing URL or key is a usage error (exit 2); a missing
 * `@writ/postgres` or `pg` is `WRIT_NOT_CONFIGURED` with the install command.
 *
 * @example
 * ```ts
 * const { store, close } = await openApprovalStore(ctx, command);
 * try { console.log(await store.list()); } finally { await close(); }
 * ```
 */
export async function openApprovalStore(ctx: CommandContext, command: Command): Promise<OpenedStore> {
  const flags = command.opts<StoreFlags>();
  const url = flags.db ?? ctx.env.DATABASE_URL;
  const usage = (message: string): never =>
    command.error(`error: ${message}`, { exitCode: EXIT_CODES.usage, code: 'writ.usage' });
  if (url === undefined || url === '') usage('give the store with --db <postgres-url> or DATABASE_URL');
  if (!POSTGRES_URL.test(url as string)) usage('--db (or DATABASE_URL) must be a postgres:// URL');
  const key = ctx.env.WRIT_STORE_KEY;
  if (key === undefined || key === '')
    usage('set WRIT_STORE_KEY to the store key the runtimes use (rows are signed with it)');
  let postgres: typeof import('@writ/postgres');
  try {
    postgres = await import('@writ/postgres');
    await import('pg');
  } catch (error) {
    throw (
      missingOptionalPackage(error, {
        packages: APPROVALS_PACKAGES,
        needs: 'writ approvals reads and answers the approvals your runtimes keep in PostgreSQL',
        reason: 'postgres_dependencies_missing',
      }) ?? error
    );
  }
  const { safeConnectionString } = await import('@writ/audit/internal');
  const label = safeConnectionString(url as string);
  const schema = flags.schema ?? 'writ';
  const opened = postgres.createPostgresApprovalStore({
    connectionString: url as string,
    signer: postgres.hmacRowSigner(key as string),
    schema,
    migrate: false,
  });
  return { store: guarded(opened, label, schema), label, close: () => opened.close() };
}

/** The store, with "no such table" said in Writ's words (the CLI never creates the tables). */
function guarded(store: ApprovalStore, label: string, schema: string): ApprovalStore {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (error) {
        const code = (error as { code?: unknown } | null)?.code;
        if (code === '42P01' || code === '3F000') {
          throw new WritError(
            'WRIT_NOT_CONFIGURED',
            `${label} holds no Writ approvals in schema ${schema} (no runtime has asked for approval with this store yet, or --schema names another schema)`,
            { cause: error, details: { reason: 'no_approvals_table', schema } },
          );
        }
        throw error;
      }
    };
  return {
    name: store.name,
    open: wrap(store.open.bind(store)),
    get: wrap(store.get.bind(store)),
    take: wrap(store.take.bind(store)),
    answer: wrap(store.answer.bind(store)),
    list: wrap(store.list.bind(store)),
  };
}
