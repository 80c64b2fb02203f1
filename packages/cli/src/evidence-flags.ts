import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from './command-context.js';
import { EXIT_CODES } from './exit-codes.js';

/**
 * The options of the commands that read a log as evidence (`verify`, `explain`, `report`): the pinned
 * verifier key, a checkpoint kept outside the log (the anchor), and, for `explain` and `report`,
 * `--unverified` to read a log without verifying it.
 */

interface EvidenceFlags {
  key?: string;
  keyFile?: string;
  checkpoint?: string;
  unverified?: boolean;
}

/**
 * What to verify a log with, as the flags say.
 *
 * @example
 * ```ts
 * const evidence: Evidence = { verify: true, verifierKey: pinned, checkpoint: keptNote };
 * ```
 */
export interface Evidence {
  /** Verify the log (false with `--unverified`). */
  readonly verify: boolean;
  /** The pinned verifier key (`--key`, `--key-file`). */
  readonly verifierKey?: string;
  /** The text of the `--checkpoint` note. */
  readonly checkpoint?: string;
}

/**
 * Adds `--key`, `--key-file`, `--checkpoint` (and `--unverified` when `unverified`) to a command.
 *
 * @example
 * ```ts
 * addEvidenceOptions(program.command('explain'), { unverified: true });
 * ```
 */
export function addEvidenceOptions(
  command: Command,
  options: { unverified: boolean; many?: boolean },
): Command {
  if (options.many === true)
    command
      .option(
        '--key <[log=]verifier-key>',
        'C2SP verifier key obtained independently of the log (pins the key; without it nothing is verified); with several logs, one --key <log>=<verifier-key> per log',
        collect,
        [],
      )
      .option(
        '--key-file <[log=]file>',
        'read the verifier key from a file (per log: <log>=<file>)',
        collect,
        [],
      )
      .option(
        '--checkpoint <[log=]file>',
        'a checkpoint of the log kept outside it (a copy of a published checkpoint): the anchor (per log: <log>=<file>)',
        collect,
        [],
      );
  else
    command
      .option(
        '--key <verifier-key>',
        'C2SP verifier key obtained independently of the log (pins the key; without it nothing is verified)',
      )
      .option('--key-file <file>', 'read the verifier key from a file')
      .option(
        '--checkpoint <file>',
        'a checkpoint of the log kept outside it (a copy of a published checkpoint): the anchor',
      );
  if (options.unverified)
    command.option('--unverified', 'read the log without verifying it: nothing shown is proven');
  return command;
}

/**
 * Reads the evidence flags of a command: the key (from `--key` or `--key-file`) and the checkpoint
 * note, each read with a bound. Conflicting flags are usage errors (exit 2).
 *
 * @example
 * ```ts
 * const evidence = await readEvidenceFlags(ctx, command);
 * const { verification } = await readVerifiedLog(dir, evidence);
 * ```
 */
export async function readEvidenceFlags(ctx: CommandContext, command: Command): Promise<Evidence> {
  const flags = command.opts<EvidenceFlags>();
  const usage = (message: string) =>
    command.error(`error: ${message}`, { exitCode: EXIT_CODES.usage, code: 'writ.usage' });
  if (flags.key !== undefined && flags.keyFile !== undefined)
    usage('give either --key or --key-file, not both');
  if (
    flags.unverified === true &&
    (flags.key !== undefined || flags.keyFile !== undefined || flags.checkpoint !== undefined)
  )
    usage('--unverified reads the log without verifying it: drop --key, --key-file and --checkpoint');
  const read = (file: string) => readEvidenceFile(ctx, file);
  const verifierKey = flags.keyFile !== undefined ? (await read(flags.keyFile)).trim() : flags.key;
  const checkpoint = flags.checkpoint === undefined ? undefined : await read(flags.checkpoint);
  return {
    verify: flags.unverified !== true,
    ...(verifierKey === undefined ? {} : { verifierKey }),
    ...(checkpoint === undefined ? {} : { checkpoint }),
  };
}

/** Commander's collector of a repeatable option. */
const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * Reads the evidence flags of a command that reads several logs (`addEvidenceOptions(command, { many:
 * true })`): one {@link Evidence} per log of `logs` (as given on the command line), in that order. A
 * `--key`, `--key-file` or `--checkpoint` value names its log as `<log>=<value>` (the log as given, or
 * the same path written another way); with one log the prefix may be left out. A value naming no log given, or two values for one
 * log, is a usage error (exit 2).
 *
 * @example
 * ```ts
 * const evidence = await readLogsEvidence(ctx, command, ['./caller', './callee']);
 * ```
 */
export async function readLogsEvidence(
  ctx: CommandContext,
  command: Command,
  logs: readonly string[],
): Promise<Evidence[]> {
  const flags = command.opts<{
    key: string[];
    keyFile: string[];
    checkpoint: string[];
    unverified?: boolean;
  }>();
  const usage = (message: string): never =>
    command.error(`error: ${message}`, { exitCode: EXIT_CODES.usage, code: 'writ.usage' });
  if (flags.unverified === true && flags.key.length + flags.keyFile.length + flags.checkpoint.length > 0)
    usage('--unverified reads the log without verifying it: drop --key, --key-file and --checkpoint');
  const perLog = (option: string, values: readonly string[]) => {
    const found = new Map<number, string>();
    for (const value of values) {
      // the log named before an "=": as given, or the same path written another way (./a and a); the
      // longest first, a log path may itself contain "="
      const named = logs
        .map((log, i) => ({ log, i }))
        .flatMap(({ log, i }) => {
          if (value.startsWith(`${log}=`)) return [{ log, i }];
          const cut = value.indexOf('=');
          const prefix = cut > 0 ? value.slice(0, cut) : undefined;
          return prefix !== undefined &&
            !/^postgres(ql)?:/i.test(prefix) &&
            resolve(ctx.cwd, prefix) === resolve(ctx.cwd, log)
            ? [{ log: prefix, i }]
            : [];
        })
        .sort((a, b) => b.log.length - a.log.length)[0];
      const i = named?.i ?? (logs.length === 1 ? 0 : undefined);
      if (i === undefined)
        return usage(
          `${option} ${value.split('=')[0]}=…: give ${option} <log>=<value>, <log> one of the logs given`,
        );
      if (found.has(i)) usage(`two ${option} values for ${logs[i]}`);
      found.set(i, named === undefined ? value : value.slice(named.log.length + 1));
    }
    return found;
  };
  const keys = perLog('--key', flags.key);
  const keyFiles = perLog('--key-file', flags.keyFile);
  const checkpoints = perLog('--checkpoint', flags.checkpoint);
  for (const i of keys.keys())
    if (keyFiles.has(i)) usage(`give either --key or --key-file for ${logs[i]}, not both`);
  const read = (file: string) => readEvidenceFile(ctx, file);
  return Promise.all(
    logs.map(async (_, i) => {
      const file = keyFiles.get(i);
      const verifierKey = file === undefined ? keys.get(i) : (await read(file)).trim();
      const note = checkpoints.get(i);
      const checkpoint = note === undefined ? undefined : await read(note);
      return {
        verify: flags.unverified !== true,
        ...(verifierKey === undefined ? {} : { verifierKey }),
        ...(checkpoint === undefined ? {} : { checkpoint }),
      };
    }),
  );
}

/** Reads a key or checkpoint file named on the command line (bounded; a missing file is ENOENT). */
async function readEvidenceFile(ctx: { path(file: string): string }, file: string): Promise<string> {
  const { readBoundedFile, SMALL_FILE_BYTES } = await import('@writ/audit/internal');
  const path = ctx.path(file);
  const text = await readBoundedFile(path, { maxBytes: SMALL_FILE_BYTES, regularOnly: false });
  if (text === undefined)
    throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
  return text;
}
