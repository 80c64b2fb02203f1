import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VerifyResult } from '@writ/audit';
import type { parseCheckpoint as ParseCheckpoint } from '@writ/audit/internal';
import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { EXIT_CODES } from '../exit-codes.js';
import type { ActionFactory } from '../program.js';
import { safeTerminalText } from '../terminal-text.js';

/**
 * `T` as a JSON document: every key present, absent values `null`.
 *
 * @example
 * ```ts
 * const doc: JsonDocument<{ a: number; b?: string }> = { a: 1, b: null };
 * ```
 */
type JsonDocument<T> = {
  readonly [K in keyof T]-?: undefined extends T[K] ? Exclude<T[K], undefined> | null : T[K];
};

/**
 * The `--json` output of `writ verify` (one document on stdout): `@writ/audit`'s `VerifyResult`
 * (`ok`, `origin`, `records`, `checkpoints`, `sealed`, `root`, `keyPinned`, `firstBadIndex`, `reason`,
 * `warnings`) with absent values as `null`, so every key is always present, plus the `log` verified: its
 * directory, or `postgres://host:port/db#<log id>` (no credentials).
 *
 * @example
 * ```ts
 * const result = JSON.parse(stdout) as VerifyJson;
 * if (!result.ok) console.error(`record ${result.firstBadIndex}: ${result.reason}`);
 * ```
 */
export type VerifyJson = JsonDocument<VerifyResult> & { readonly log: string };

interface VerifyFlags {
  key?: string;
  keyFile?: string;
  checkpoint?: string;
  deep?: boolean;
  log?: string;
  schema?: string;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * Registers `writ verify <log> [--key <verifier-key> | --key-file <file>] [--checkpoint <file>] [--deep]
 * [--log <id>] [--schema <name>] [--json]`.
 *
 * @example
 * ```ts
 * registerVerifyCommand(program, action);
 * ```
 */
export function registerVerifyCommand(program: Command, action: ActionFactory): void {
  program
    .command('verify')
    .description(
      'verify a Writ audit log offline: every record, the hash chain, every signed checkpoint (exit 0 only if all verify)',
    )
    .argument('<log>', 'log directory, or a PostgreSQL URL (postgres://…) with --log <id>')
    .option('--key <verifier-key>', 'C2SP verifier key obtained independently of the log (pins the key)')
    .option('--key-file <file>', 'read the verifier key from a file')
    .option('--checkpoint <file>', "a checkpoint note obtained independently (a witness's copy)")
    .option('--deep', 'also validate every record against the record schema')
    .option('--log <id>', 'log id, for a PostgreSQL URL')
    .option('--schema <name>', 'PostgreSQL schema holding the Writ tables (default writ_audit)')
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Exit codes: 0 the whole log verifies, 1 it does not (the first bad record is named), 2 usage error,
3 the log cannot be read.`,
    )
    .action(action(runVerify));
}

async function runVerify(ctx: CommandContext, command: Command): Promise<number> {
  const target = command.args[0] as string;
  const flags = command.opts<VerifyFlags>();
  const postgres = POSTGRES_URL.test(target);
  if (flags.key !== undefined && flags.keyFile !== undefined)
    command.error('error: give either --key or --key-file, not both', {
      exitCode: EXIT_CODES.usage,
      code: 'writ.usage',
    });
  if (postgres && flags.log === undefined)
    command.error('error: verifying a PostgreSQL log needs --log <id>', {
      exitCode: EXIT_CODES.usage,
      code: 'writ.usage',
    });
  if (!postgres && (flags.log !== undefined || flags.schema !== undefined))
    command.error('error: --log and --schema apply only to a PostgreSQL URL', {
      exitCode: EXIT_CODES.usage,
      code: 'writ.usage',
    });

  const { verifyLog, verifyPostgresLog } = await import('@writ/audit');
  const { parseCheckpoint, safeConnectionString } = await import('@writ/audit/internal');
  const verifierKey =
    flags.keyFile !== undefined ? (await readFile(ctx.path(flags.keyFile), 'utf8')).trim() : flags.key;
  const checkpoint =
    flags.checkpoint === undefined ? undefined : await readFile(ctx.path(flags.checkpoint), 'utf8');
  const dir = postgres ? target : ctx.path(target);
  const label = postgres ? `${safeConnectionString(target)}#${flags.log}` : dir;
  const progress = ctx.progress({
    label: 'verifying',
    total: postgres ? undefined : await publishedSize(dir, parseCheckpoint),
  });
  let result: VerifyResult;
  try {
    const options = {
      ...(verifierKey === undefined ? {} : { verifierKey }),
      ...(checkpoint === undefined ? {} : { checkpoint }),
      deep: flags.deep === true,
      onProgress: (records: number) => progress.update(records),
    };
    result = postgres
      ? await verifyPostgresLog(flags.log as string, {
          connectionString: target,
          ...(flags.schema === undefined ? {} : { schema: flags.schema }),
          ...options,
        })
      : await verifyLog(dir, options);
  } finally {
    progress.stop();
  }

  const { ok, firstBadIndex, reason, warnings, ...verified } = result;
  const json: VerifyJson = {
    ok,
    log: label,
    ...verified,
    firstBadIndex: firstBadIndex ?? null,
    reason: reason ?? null,
    warnings: [...warnings],
  };
  if (ctx.json) ctx.printJson(json);
  else printVerification(ctx, json);
  return result.ok ? EXIT_CODES.ok : EXIT_CODES.failed;
}

function printVerification(ctx: CommandContext, result: VerifyJson): void {
  const c = ctx.out;
  // origin, reason and warnings can carry text from the log (untrusted)
  const r = {
    ...result,
    log: safeTerminalText(result.log),
    origin: safeTerminalText(result.origin),
    reason: result.reason === null ? null : safeTerminalText(result.reason),
    warnings: result.warnings.map(safeTerminalText),
  };
  if (r.ok) {
    ctx.print(
      `${c.green(c.bold('✔ verified'))} ${r.log}: ${r.records} records, ${r.checkpoints} checkpoint(s), ${r.sealed} sealed`,
    );
  } else {
    ctx.print(`${c.red(c.bold('✖ does not verify'))} ${r.log}`);
    ctx.print(`  ${c.red(`first bad record: ${r.firstBadIndex}`)}`);
    ctx.print(`  ${c.red(`reason: ${r.reason}`)}`);
    ctx.print(`  records read: ${r.records}, checkpoints verified: ${r.checkpoints}, sealed: ${r.sealed}`);
  }
  ctx.print(`  origin ${r.origin}`);
  ctx.print(`  root   ${r.root}`);
  ctx.print(
    `  key    ${r.keyPinned ? c.green('pinned (given)') : c.yellow('read from the log (not pinned)')}`,
  );
  for (const warning of r.warnings) ctx.print(`${c.yellow('⚠ warning:')} ${warning}`);
}

/** Tree size of the log's published checkpoint: the expected record count, for the progress bar. */
async function publishedSize(
  dir: string,
  parseCheckpoint: typeof ParseCheckpoint,
): Promise<number | undefined> {
  const note = await readFile(join(dir, 'checkpoint'), 'utf8').catch(() => undefined);
  if (note === undefined) return undefined;
  try {
    // the signed note's text ends at its first blank line; the signatures follow
    const { size } = parseCheckpoint(note.slice(0, note.indexOf('\n\n') + 1));
    return size > 0 ? size : undefined;
  } catch {
    return undefined;
  }
}
