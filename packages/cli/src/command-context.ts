import { isAbsolute, resolve } from 'node:path';
import { WritError } from '@writ/core';
import { EXIT_CODES, type ExitCode } from './exit-codes.js';
import { type Colors, colorsFor, type ResolvedIo } from './io.js';
import { NOT_A_LOG } from './log-dir.js';
import { type CreateProgressOptions, createProgress, type Progress } from './progress.js';
import { safeTerminalText } from './terminal-text.js';

/**
 * Flags every command accepts (`--json` on the command, `--no-color` / `--debug` anywhere).
 *
 * @example
 * ```ts
 * const ctx = createCommandContext(resolveIo(), { json: false, color: false, debug: true } satisfies CommonFlags);
 * ```
 */
export interface CommonFlags {
  /** `--json`: one JSON document on stdout. */
  json?: boolean;
  /** `--no-color` sets it to false. */
  color?: boolean;
  /** `--debug`: stack traces and causes on errors. */
  debug?: boolean;
}

/**
 * What a command's implementation gets: the streams, the flags every command shares, colours and
 * helpers for output.
 *
 * @example
 * ```ts
 * async function hello(ctx: CommandContext): Promise<number> {
 *   if (ctx.json) ctx.printJson({ hello: 'world' });
 *   else ctx.print(ctx.out.green('hello'));
 *   return 0;
 * }
 * ```
 */
export interface CommandContext extends ResolvedIo {
  readonly json: boolean;
  readonly debug: boolean;
  /** Colours for stdout. */
  readonly out: Colors;
  /** Colours for stderr. */
  readonly err: Colors;
  /** A path given on the command line, resolved against `cwd`. */
  path(value: string): string;
  /** Writes a line to stdout. */
  print(line: string): void;
  /** Writes a line to stderr. */
  note(line: string): void;
  /** Writes `value` as one JSON document on stdout. */
  printJson(value: unknown): void;
  /** A progress bar on stderr (only when stderr is a terminal). */
  progress(options: CreateProgressOptions): Progress;
}

/**
 * Builds the {@link CommandContext} of one command run.
 *
 * @example
 * ```ts
 * const ctx = createCommandContext(resolveIo(), { json: true });
 * ctx.printJson({ ok: true });
 * ```
 */
export function createCommandContext(io: ResolvedIo, flags: CommonFlags): CommandContext {
  const colorFlag = flags.color !== false;
  return {
    ...io,
    json: flags.json === true,
    debug: flags.debug === true,
    out: colorsFor(io.stdout, { env: io.env, flag: colorFlag }),
    err: colorsFor(io.stderr, { env: io.env, flag: colorFlag }),
    path: (value) => (isAbsolute(value) ? value : resolve(io.cwd, value)),
    print: (line) => {
      io.stdout.write(`${line}\n`);
    },
    note: (line) => {
      io.stderr.write(`${line}\n`);
    },
    printJson: (value) => {
      io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    progress: (options) => createProgress(io.stderr, options),
  };
}

/**
 * A failure as the CLI reports it: a stable code and a message.
 *
 * @example
 * ```ts
 * describeError(new WritError('WRIT_AUDIT_UNAVAILABLE', 'no log')); // { code: 'WRIT_AUDIT_UNAVAILABLE', message: 'no log' }
 * ```
 */
export function describeError(error: unknown): { code: string; message: string } {
  if (WritError.isInstance(error)) return { code: error.code, message: error.message };
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.length > 0) {
      const message = error.message.startsWith(`${code}: `)
        ? error.message.slice(code.length + 2)
        : error.message;
      return { code, message };
    }
    return { code: error.name || 'Error', message: error.message };
  }
  return { code: 'Error', message: String(error) };
}

/**
 * Reports a failure: `code: message` on stderr (with the stack and causes under `--debug`), and
 * under `--json` also `{ "error": { "code", "message" } }` on stdout.
 *
 * @example
 * ```ts
 * try { await work(); } catch (error) { reportError(ctx, error); return EXIT_CODES.error; }
 * ```
 */
export function reportError(ctx: CommandContext, error: unknown): void {
  const { code, message } = describeError(error);
  ctx.note(`${ctx.err.red(ctx.err.bold(safeTerminalText(code)))}: ${safeTerminalText(message)}`);
  if (ctx.debug) {
    let current: unknown = error;
    let depth = 0;
    while (current !== undefined && current !== null && depth < 8) {
      if (current instanceof Error) {
        ctx.note(
          ctx.err.dim(depth === 0 ? (current.stack ?? current.message) : `caused by ${current.stack}`),
        );
        current = current.cause;
      } else {
        ctx.note(ctx.err.dim(`caused by ${String(current)}`));
        current = undefined;
      }
      depth++;
    }
  }
  if (ctx.json) ctx.printJson({ error: { code, message } });
}

/**
 * The exit code of a failure a command reports: 6 ({@link EXIT_CODES}.notALog) when the path given is
 * not a Writ log, else 3 (the command could not do its work).
 *
 * @example
 * ```ts
 * try { return await work(); } catch (error) { reportError(ctx, error); return errorExitCode(error); }
 * ```
 */
export function errorExitCode(error: unknown): ExitCode {
  return WritError.isInstance(error) && error.details.reason === NOT_A_LOG
    ? EXIT_CODES.notALog
    : EXIT_CODES.error;
}
