import { readdir, stat } from 'node:fs/promises';
import { WritError } from '@writ/core';

/**
 * What a directory must hold to be read as a Writ file log, checked before a command reads one, so that
 * a wrong path is reported as such ("not a Writ log") rather than as a log with nothing in it.
 */

/** A file log's segments: 12 digits (the index of the first record) + `.jsonl`. */
const SEGMENT = /^\d{12}\.jsonl$/;

/**
 * The `details.reason` of the error {@link checkLogDir} throws for a directory that holds no Writ log
 * (the CLI exits with `EXIT_CODES.notALog` for it).
 *
 * @example
 * ```ts
 * if (WritError.isInstance(error) && error.details.reason === NOT_A_LOG) return EXIT_CODES.notALog;
 * ```
 */
export const NOT_A_LOG = 'not_a_log';

/**
 * Checks that `dir` is a Writ file log: a directory holding `log.json` or record segments. Throws
 * `WRIT_AUDIT_UNAVAILABLE` with `details.reason` {@link NOT_A_LOG} and a message `not a Writ log: <dir>
 * (why)` when it is not (a file, an empty directory, a directory of something else), and
 * `WRIT_AUDIT_UNAVAILABLE` `<dir> cannot be read` when it does not exist or cannot be listed. What the
 * files hold is for verification to judge (a damaged `log.json` is named there).
 *
 * @example
 * ```ts
 * await checkLogDir(ctx.path(command.args[0] as string));
 * ```
 */
export async function checkLogDir(dir: string): Promise<void> {
  const unreadable = (cause: unknown) =>
    new WritError('WRIT_AUDIT_UNAVAILABLE', `${dir} cannot be read`, { cause, details: { dir } });
  const info = await stat(dir).catch((cause: unknown) => {
    throw unreadable(cause);
  });
  const notALog = (why: string) =>
    new WritError('WRIT_AUDIT_UNAVAILABLE', `not a Writ log: ${dir} (${why})`, {
      details: { reason: NOT_A_LOG, dir },
    });
  if (!info.isDirectory()) throw notALog('not a directory');
  const names = await readdir(dir).catch((cause: unknown) => {
    throw unreadable(cause);
  });
  if (names.includes('log.json') || names.some((name) => SEGMENT.test(name))) return;
  if (names.includes('manifest.json') && names.includes('fleet'))
    throw notALog('a fleet bundle: give it to writ verify --fleet, explain, tasks, calls or report');
  throw notALog(
    names.length === 0
      ? 'the directory is empty'
      : `no log.json and no record segments (NNNNNNNNNNNN.jsonl) among its ${names.length} entr${names.length === 1 ? 'y' : 'ies'}`,
  );
}
