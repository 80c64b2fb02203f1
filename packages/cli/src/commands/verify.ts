import { join } from 'node:path';
import type { VerifyResult } from '@writ/audit';
import type { parseCheckpoint as ParseCheckpoint } from '@writ/audit/internal';
import { type Command, InvalidArgumentError } from 'commander';
import type { CommandContext } from '../command-context.js';
import { addEvidenceOptions, readEvidenceFlags } from '../evidence-flags.js';
import { EXIT_CODES } from '../exit-codes.js';
import { checkLogDir } from '../log-dir.js';
import type { ActionFactory } from '../program.js';
import { safeTerminalText } from '../terminal-text.js';
import {
  type VerifyJson,
  verdictDetails,
  verdictExitCode,
  verdictHeadline,
  verdictJson,
} from '../verdict.js';

export type { VerifyJson } from '../verdict.js';

interface VerifyFlags {
  deep?: boolean;
  fleet?: boolean;
  witness?: string[];
  witnessThreshold?: number;
  log?: string;
  schema?: string;
}

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

/**
 * Registers `writ verify <log> [--key <verifier-key> | --key-file <file>] [--checkpoint <file>]
 * [--witness <vkey>… [--witness-threshold <k>]] [--deep] [--log <id>] [--schema <name>] [--json]`.
 *
 * @example
 * ```ts
 * registerVerifyCommand(program, action);
 * ```
 */
export function registerVerifyCommand(program: Command, action: ActionFactory): void {
  const command = program
    .command('verify')
    .description(
      'verify a Writ audit log offline: every record, the hash chain, every signed checkpoint; say what that proves (exit 0 only when verified with a pinned key and anchored)',
    )
    .argument(
      '<log>',
      'log directory, a PostgreSQL URL (postgres://…) with --log <id>, or a fleet bundle with --fleet',
    );
  addEvidenceOptions(command, { unverified: false })
    .option('--deep', 'also validate every record against the record schema')
    .option(
      '--fleet',
      'the log is a fleet bundle (writ export): verify the fleet log (--key, --checkpoint, --witness are its), every member with its endorsed key, sealed prefixes and completeness',
    )
    .option('--log <id>', 'log id, for a PostgreSQL URL')
    .option('--schema <name>', 'PostgreSQL schema holding the Writ tables (default writ_audit)')
    .option(
      '--witness <vkey>',
      'a witness verifier key (type 0x04): the newest published checkpoint must carry its cosignature (repeat for more)',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option(
      '--witness-threshold <k>',
      'how many of the --witness keys must have cosigned (default: all)',
      parseThreshold,
    )
    .option('--json', 'print one JSON document on stdout')
    .addHelpText(
      'after',
      `
Exit codes: 0 verified and anchored (pinned key, the log holds the tree of the --checkpoint kept outside
it, and every record is under a checkpoint signature), 4 verified, unanchored (pinned key only: a cut at
a seal or a rollback cannot be ruled out; or records after the last checkpoint), 5 unpinned (no --key:
the key was read from the log itself, which proves nothing), 1 it does not verify (the first bad record
is named), 2 usage error, 3 the log cannot be read, 6 not a Writ log (no log.json, no segments).
With --fleet (or a bundle given): the fleet log is verified with --key (the fleet key), every member
with the key the fleet log endorsed, anchored by its newest sealed checkpoint; exit 1 names the first bad
(log, record); 0 needs the fleet log anchored too (--checkpoint or --witness).
With --witness, a newest published checkpoint without --witness-threshold valid cosignatures fails
(exit 1, reason "not witnessed: …"); with them, the cosigned checkpoint anchors the log.`,
    )
    .action(action(runVerify));
}

async function runVerify(ctx: CommandContext, command: Command): Promise<number> {
  const target = command.args[0] as string;
  const flags = command.opts<VerifyFlags>();
  const postgres = POSTGRES_URL.test(target);
  const evidence = await readEvidenceFlags(ctx, command);
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

  const witnesses = await witnessRequirement(command, flags);
  const { isFleetBundle, verifyLog, verifyPostgresLog } = await import('@writ/audit');
  if (!postgres && (flags.fleet === true || (await isFleetBundle(ctx.path(target))))) {
    const bundle = ctx.path(target);
    if (!(await isFleetBundle(bundle)))
      command.error(`error: ${safeTerminalText(bundle)} is not a fleet bundle (manifest.json and fleet/)`, {
        exitCode: EXIT_CODES.notALog,
        code: 'writ.not-a-bundle',
      });
    const { runFleetVerification } = await import('./verify-fleet.js');
    return runFleetVerification(ctx, bundle, evidence, witnesses, { deep: flags.deep === true });
  }
  if (postgres && flags.fleet === true)
    command.error('error: --fleet takes a bundle directory (writ export writes one)', {
      exitCode: EXIT_CODES.usage,
      code: 'writ.usage',
    });
  const { parseCheckpoint, safeConnectionString } = await import('@writ/audit/internal');
  const dir = postgres ? target : ctx.path(target);
  if (!postgres) await checkLogDir(dir);
  const label = postgres ? `${safeConnectionString(target)}#${flags.log}` : dir;
  const progress = ctx.progress({
    label: 'verifying',
    total: postgres ? undefined : await publishedSize(dir, parseCheckpoint),
  });
  let result: VerifyResult;
  try {
    const options = {
      ...(evidence.verifierKey === undefined ? {} : { verifierKey: evidence.verifierKey }),
      ...(evidence.checkpoint === undefined ? {} : { checkpoint: evidence.checkpoint }),
      ...(witnesses === undefined ? {} : { witnesses }),
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

  const json = verdictJson(result, label);
  if (ctx.json) ctx.printJson(json);
  else printVerification(ctx, json);
  return verdictExitCode(result);
}

function printVerification(ctx: CommandContext, result: VerifyJson): void {
  const c = ctx.out;
  // origin and reason can carry text from the log (untrusted)
  if (result.state === 'failed') {
    ctx.print(`${c.red(c.bold('✖ does not verify'))} ${safeTerminalText(result.log)}`);
    ctx.print(`  ${c.red(`first bad record: ${result.firstBadIndex}`)}`);
    ctx.print(`  ${c.red(`reason: ${safeTerminalText(result.reason ?? '')}`)}`);
    ctx.print(
      `  records read: ${result.records}, checkpoints verified: ${result.checkpoints}, sealed: ${result.sealed}`,
    );
  } else ctx.print(verdictHeadline(result, c, result.log));
  ctx.print(`  origin ${safeTerminalText(result.origin)}`);
  ctx.print(`  root   ${safeTerminalText(result.root)}`);
  ctx.print(
    `  key    ${result.keyPinned ? c.green('pinned (given)') : c.yellow('read from the log (not pinned)')}`,
  );
  for (const line of verdictDetails(result, c)) ctx.print(line);
}

function parseThreshold(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number from 1');
  return n;
}

/** The `--witness` keys and threshold, checked: a bad key or threshold is a usage error (exit 2). */
async function witnessRequirement(
  command: Command,
  flags: VerifyFlags,
): Promise<{ keys: string[]; threshold?: number } | undefined> {
  const usage = (message: string): never =>
    command.error(`error: ${message}`, { exitCode: EXIT_CODES.usage, code: 'writ.usage' });
  const keys = flags.witness ?? [];
  if (keys.length === 0) {
    if (flags.witnessThreshold !== undefined) usage('--witness-threshold needs --witness <vkey>');
    return undefined;
  }
  if (flags.witnessThreshold !== undefined && flags.witnessThreshold > keys.length)
    usage(`--witness-threshold ${flags.witnessThreshold} is more than the ${keys.length} --witness key(s)`);
  const { parseCosignatureKey } = await import('@writ/audit');
  const seen = new Set<string>();
  for (const key of keys) {
    try {
      parseCosignatureKey(key);
    } catch (error) {
      usage(`--witness ${safeTerminalText(key)}: ${(error as Error).message}`);
    }
    if (seen.has(key)) usage(`--witness ${safeTerminalText(key)} is given twice`);
    seen.add(key);
  }
  return { keys, ...(flags.witnessThreshold === undefined ? {} : { threshold: flags.witnessThreshold }) };
}

/** Tree size of the log's published checkpoint: the expected record count, for the progress bar. */
async function publishedSize(
  dir: string,
  parseCheckpoint: typeof ParseCheckpoint,
): Promise<number | undefined> {
  const { readBoundedFile, SMALL_FILE_BYTES } = await import('@writ/audit/internal');
  // what is there is verify's to judge: anything but a small regular file means no progress total
  const note = await readBoundedFile(join(dir, 'checkpoint'), {
    maxBytes: SMALL_FILE_BYTES,
    regularOnly: true,
  }).catch(() => undefined);
  if (note === undefined) return undefined;
  try {
    // the signed note's text ends at its first blank line; the signatures follow
    const { size } = parseCheckpoint(note.slice(0, note.indexOf('\n\n') + 1));
    return size > 0 ? size : undefined;
  } catch {
    return undefined;
  }
}
